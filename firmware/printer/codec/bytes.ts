// Little-endian field readers/writers and the two date layouts of the Shtrih-M protocol.
// KKT commands carry dates as DD MM YY; FN (FFxx) commands as YY MM DD [HH mm].
import iconv from 'iconv-lite';

export class ByteWriter {
  private readonly parts: number[] = [];
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  /** Unsigned little-endian integer of `size` bytes (up to 7: safe integers only). */
  uint(v: number, size: number): this {
    if (!Number.isSafeInteger(v) || v < 0 || v >= 2 ** (8 * size)) throw new RangeError(`${v} does not fit ${size} bytes`);
    let x = v;
    for (let i = 0; i < size; i++) {
      this.parts.push(x % 256);
      x = Math.floor(x / 256);
    }
    return this;
  }
  int(v: number, size: number): this {
    return this.uint(v < 0 ? 2 ** (8 * size) + v : v, size);
  }
  bytes(b: Uint8Array | readonly number[]): this {
    for (const x of b) this.parts.push(x & 0xff);
    return this;
  }
  fill(value: number, count: number): this {
    for (let i = 0; i < count; i++) this.parts.push(value);
    return this;
  }
  /** WIN-1251 text padded with zeros to `size` bytes (0 = no padding, variable length up to max). */
  text(s: string, size: number, max = size): this {
    const enc = iconv.encode(s, 'win1251').subarray(0, max);
    this.bytes(enc);
    if (size > enc.length) this.fill(0, size - enc.length);
    return this;
  }
  build(): Buffer {
    return Buffer.from(this.parts);
  }
}

export class ShortReplyError extends Error {
  constructor(need: number, have: number) {
    super(`reply too short: need ${need} more bytes, have ${have}`);
    this.name = 'ShortReplyError';
  }
}

export class ByteReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get left(): number {
    return this.buf.length - this.pos;
  }
  private need(n: number): void {
    if (this.left < n) throw new ShortReplyError(n, this.left);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }
  uint(size: number): number {
    this.need(size);
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (this.buf[this.pos + i] as number);
    this.pos += size;
    return v;
  }
  int(size: number): number {
    const u = this.uint(size);
    return u >= 2 ** (8 * size - 1) ? u - 2 ** (8 * size) : u;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  rest(): Buffer {
    return this.bytes(this.left);
  }
  /** WIN-1251 text up to the first zero byte. */
  text(n: number): string {
    const b = this.bytes(n);
    const end = b.indexOf(0);
    return iconv.decode(end < 0 ? b : b.subarray(0, end), 'win1251');
  }
  ascii(n: number): string {
    return this.bytes(n).toString('latin1').replace(/\0+$/, '');
  }
}

/** FN DATE_TIME (YY MM DD HH mm) as a wall-clock Date in UTC fields (the FN has no zone). */
export function readFnDateTime(r: ByteReader): Date {
  const [yy, mo, dd, hh, mi] = [r.u8(), r.u8(), r.u8(), r.u8(), r.u8()];
  return new Date(Date.UTC(2000 + yy, mo - 1, dd, hh, mi));
}

export function writeFnDateTime(w: ByteWriter, d: Date): ByteWriter {
  return w.u8(d.getUTCFullYear() - 2000).u8(d.getUTCMonth() + 1).u8(d.getUTCDate()).u8(d.getUTCHours()).u8(d.getUTCMinutes());
}

export function readFnDate(r: ByteReader): Date {
  const [yy, mo, dd] = [r.u8(), r.u8(), r.u8()];
  return new Date(Date.UTC(2000 + yy, mo - 1, dd));
}

/** KKT date DD MM YY + time HH MM SS. */
export function readKktDateTime(r: ByteReader): Date {
  const [dd, mo, yy] = [r.u8(), r.u8(), r.u8()];
  const [hh, mi, ss] = [r.u8(), r.u8(), r.u8()];
  return new Date(Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss));
}

export function writeKktDate(w: ByteWriter, d: Date): ByteWriter {
  return w.u8(d.getUTCDate()).u8(d.getUTCMonth() + 1).u8(d.getUTCFullYear() - 2000);
}

export function writeKktTime(w: ByteWriter, d: Date): ByteWriter {
  return w.u8(d.getUTCHours()).u8(d.getUTCMinutes()).u8(d.getUTCSeconds());
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ').toUpperCase();
}
