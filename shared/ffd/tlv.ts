// FFD TLV decoding (docs: /work/shared/reference/ffd-tlv.md §1): tag u16 LE, length u16 LE,
// value; an STLV's value is more TLVs. Box and hub both read fiscal documents with it: the
// printer driver when it takes a document out of the FN, the hub when it checks a receipt's
// JSON projection against the document the OFD will receive. Encoding (CP866 strings and the
// rest) stays with the printer codec (firmware/printer/codec/tlv.ts), which re-exports these.

export interface Tlv {
  tag: number;
  value: Buffer;
}

export class TlvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlvError';
  }
}

export function parseTlvs(buf: Uint8Array): Tlv[] {
  const b = Buffer.from(buf);
  const out: Tlv[] = [];
  let pos = 0;
  while (pos < b.length) {
    if (b.length - pos < 4) throw new TlvError(`truncated TLV header at offset ${pos}`);
    const tag = b.readUInt16LE(pos);
    const len = b.readUInt16LE(pos + 2);
    if (pos + 4 + len > b.length) throw new TlvError(`tag ${tag} at offset ${pos} claims ${len} bytes, only ${b.length - pos - 4} left`);
    out.push({ tag, value: b.subarray(pos + 4, pos + 4 + len) });
    pos += 4 + len;
  }
  return out;
}

/**
 * The value of `tag`, which must occur exactly once in `body` (a second copy would leave open
 * which one counts) and be `size` bytes (a number) or pass `size` (a check and its wording).
 */
export function onlyTag(body: readonly Tlv[], tag: number, what: string, size?: number | [(n: number) => boolean, string]): Buffer {
  const found = body.filter((t) => t.tag === tag);
  if (found.length !== 1) throw new TlvError(`tag ${tag} (${what}) ${found.length ? `occurs ${found.length} times` : 'is missing'}`);
  const v = found[0]!.value;
  const [ok, wording] = typeof size === 'number' ? [(n: number) => n === size, String(size)] : size ?? [() => true, ''];
  if (!ok(v.length)) throw new TlvError(`tag ${tag} (${what}) has ${v.length} bytes, not ${wording}`);
  return v;
}

/** VLN: unsigned little-endian of any length (writers pad differently; length 0 = 0). */
export function readVln(b: Buffer): number {
  let v = 0;
  for (let i = b.length - 1; i >= 0; i--) v = v * 256 + (b[i] as number);
  return v;
}
