// The standard lower level: STX LEN CMD DATA LRC, where LEN counts CMD+DATA and LRC is the XOR
// of every byte after STX. FFxxh commands carry two command bytes, both inside LEN.
export const STX = 0x02;
export const ENQ = 0x05;
export const ACK = 0x06;
export const NAK = 0x15;

export interface Frame {
  /** One-byte code (0x10) or the two-byte FF code as 0xFFxx (0xFF45). */
  cmd: number;
  data: Buffer;
}

export function isFfCommand(cmd: number): boolean {
  return cmd > 0xff;
}

export function cmdName(cmd: number): string {
  return `${cmd.toString(16).toUpperCase().padStart(2, '0')}h`;
}

export function lrc(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let x = 0;
  for (let i = from; i < to; i++) x ^= bytes[i] as number;
  return x;
}

/** The whole frame on the wire, STX through LRC. */
export function encodeFrame(cmd: number, data: Uint8Array = Buffer.alloc(0)): Buffer {
  const head = isFfCommand(cmd) ? [0xff, cmd & 0xff] : [cmd];
  const len = head.length + data.length;
  if (len > 255) throw new RangeError(`frame body of ${len} bytes exceeds 255`);
  const buf = Buffer.alloc(len + 3);
  buf[0] = STX;
  buf[1] = len;
  buf.set(head, 2);
  buf.set(data, 2 + head.length);
  buf[buf.length - 1] = lrc(buf, 1, buf.length - 1);
  return buf;
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/**
 * Decodes one complete frame (STX..LRC). Throws FrameError on a bad STX, length or LRC;
 * a valid frame starting with FF is an FFxxh command.
 */
export function decodeFrame(buf: Uint8Array): Frame {
  if (buf.length < 4) throw new FrameError(`frame of ${buf.length} bytes is too short`);
  if (buf[0] !== STX) throw new FrameError(`frame must start with STX, got ${buf[0]}`);
  const len = buf[1] as number;
  if (len === 0 || buf.length !== len + 3) throw new FrameError(`LEN ${len} does not match frame size ${buf.length}`);
  const want = lrc(buf, 1, buf.length - 1);
  if (want !== buf[buf.length - 1]) throw new FrameError(`bad LRC: got ${buf[buf.length - 1]}, computed ${want}`);
  return splitBody(Buffer.from(buf.subarray(2, 2 + len)));
}

/** CMD+DATA (the LEN bytes) into a command code and its data. */
export function splitBody(body: Buffer): Frame {
  if (body[0] === 0xff) {
    if (body.length < 2) throw new FrameError('FF command without its second byte');
    return { cmd: 0xff00 | (body[1] as number), data: body.subarray(2) };
  }
  return { cmd: body[0] as number, data: body.subarray(1) };
}
