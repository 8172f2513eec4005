// FFD TLV: tag u16 LE, length u16 LE, value. Used to read fiscal documents out of the FN
// (FF3Ah/FF3Bh) and by the emulator to build them. Strings are CP866. The decoder itself is
// shared with the hub (shared/ffd/tlv.ts), which checks receipts against their TLV.
import iconv from 'iconv-lite';
import { parseTlvs, readVln, TlvError } from '../../../shared/ffd/tlv.js';

export { parseTlvs, readVln, TlvError, type Tlv } from '../../../shared/ffd/tlv.js';

export function tlv(tag: number, value: Uint8Array): Buffer {
  if (value.length > 0xffff) throw new TlvError(`tag ${tag}: value of ${value.length} bytes is too long`);
  const head = Buffer.alloc(4);
  head.writeUInt16LE(tag, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([head, value]);
}

export const str = (s: string): Buffer => iconv.encode(s, 'cp866');
export const readStr = (b: Buffer): string => iconv.decode(b, 'cp866');
export const u8 = (v: number): Buffer => Buffer.from([v & 0xff]);

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}

/** VLN written with the fewest bytes (0 -> zero-length value is allowed; we write 1 byte). */
export function vln(v: number): Buffer {
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.push(x % 256);
    x = Math.floor(x / 256);
  } while (x > 0);
  return Buffer.from(bytes);
}

/** FVLN: decimal places, then a VLN mantissa. */
export function fvln(mantissa: number, decimals: number): Buffer {
  return Buffer.concat([u8(decimals), vln(mantissa)]);
}

export function readFvln(b: Buffer): number {
  const places = b[0] ?? 0;
  return readVln(b.subarray(1)) / 10 ** places;
}

export const unixTime = (d: Date): Buffer => u32(Math.floor(d.getTime() / 1000));

/** A parsed document as plain JSON: repeated tags become arrays, STLV tags nest. */
export type TlvJson = Record<string, unknown>;

const STLV_TAGS = new Set([1059, 1084, 1163, 1223, 1224, 1256, 1261, 1260, 1270, 1291, 1194, 1157, 1129, 1130, 1131, 1132, 1133, 1068]);
const STRING_TAGS = new Set([1000, 1008, 1009, 1017, 1018, 1021, 1030, 1036, 1037, 1041, 1048, 1060, 1117, 1187, 1188, 1203, 1226, 1227, 1228]);
const MONEY_TAGS = new Set([1020, 1031, 1043, 1079, 1081, 1102, 1103, 1104, 1105, 1106, 1107, 1200, 1215, 1216, 1217, 1198]);
const U32_TAGS = new Set([1038, 1040, 1042, 1097, 1111, 1118]);
const TIME_TAGS = new Set([1012, 1098]);

export function tlvToJson(buf: Uint8Array): TlvJson {
  const out: TlvJson = {};
  for (const t of parseTlvs(buf)) {
    let v: unknown;
    if (STLV_TAGS.has(t.tag)) v = tlvToJson(t.value);
    else if (STRING_TAGS.has(t.tag)) v = readStr(t.value).trimEnd();
    else if (MONEY_TAGS.has(t.tag)) v = readVln(t.value);
    else if (U32_TAGS.has(t.tag) && t.value.length === 4) v = t.value.readUInt32LE(0);
    else if (TIME_TAGS.has(t.tag) && t.value.length === 4) v = new Date(t.value.readUInt32LE(0) * 1000).toISOString();
    else if (t.tag === 1023) v = readFvln(t.value);
    else if (t.value.length === 1) v = t.value[0];
    else v = t.value.toString('hex');
    const key = String(t.tag);
    const prev = out[key];
    if (prev === undefined) out[key] = v;
    else out[key] = Array.isArray(prev) ? [...(prev as unknown[]), v] : [prev, v];
  }
  return out;
}
