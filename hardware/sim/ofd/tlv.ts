// FFD TLV as the test OFD reads it (docs/ffd-tlv reference §1): tag u16 LE, length u16 LE,
// value; an STLV's value is more TLVs. Enough to check a receipt's mandatory tags and to
// build documents in tests; the printer's own codec lives with the printer driver.
export interface Tlv { tag: number; value: Buffer }

/** STLV tags inside a receipt (form 3) that hold nested TLVs. */
const NESTED = new Set([3, 31, 1059, 1256, 1223, 1224, 1163, 1084, 1261, 1260, 1270, 1291, 1068]);

export function decodeTlv(buf: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let i = 0;
  while (i < buf.length) {
    if (i + 4 > buf.length) throw new Error(`truncated TLV header at byte ${i}`);
    const tag = buf.readUInt16LE(i);
    const len = buf.readUInt16LE(i + 2);
    if (i + 4 + len > buf.length) throw new Error(`tag ${tag} claims ${len} bytes, only ${buf.length - i - 4} left`);
    out.push({ tag, value: buf.subarray(i + 4, i + 4 + len) });
    i += 4 + len;
  }
  return out;
}

export function isNested(tag: number): boolean {
  return NESTED.has(tag);
}

export function encodeTlv(tag: number, value: Buffer): Buffer {
  if (value.length > 0xffff) throw new Error(`tag ${tag} value too long`);
  const h = Buffer.alloc(4);
  h.writeUInt16LE(tag, 0);
  h.writeUInt16LE(value.length, 2);
  return Buffer.concat([h, value]);
}

export const enc = {
  u32(n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; },
  byte(n: number): Buffer { return Buffer.from([n]); },
  /** VLN: minimal little-endian bytes. */
  vln(n: number): Buffer {
    const bytes: number[] = [];
    let v = BigInt(n);
    while (v > 0n) { bytes.push(Number(v & 0xffn)); v >>= 8n; }
    return Buffer.from(bytes);
  },
  /** FVLN: decimals byte + VLN mantissa. */
  fvln(mantissa: number, decimals: number): Buffer { return Buffer.concat([Buffer.from([decimals]), enc.vln(mantissa)]); },
  /** CP866 matters only for Cyrillic; ASCII text is the same bytes. */
  str(s: string): Buffer { return Buffer.from(s, 'latin1'); },
  time(d: Date): Buffer { return enc.u32(Math.floor(d.getTime() / 1000)); },
};

export const dec = {
  uint(b: Buffer): number {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] ?? 0);
    return Number(v);
  },
};
