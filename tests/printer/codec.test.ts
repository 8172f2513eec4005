import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FrameError, lrc } from '../../firmware/printer/codec/frame.js';
import { ByteReader, ByteWriter, hex, ShortReplyError } from '../../firmware/printer/codec/bytes.js';
import {
  decodeCloseV2, decodeExchangeStatus, decodeFindFd, decodeFnExpiry, decodeFnStatus, decodeFullStatus, decodeShiftParams,
  decodeShortStatus, encodeCloseV2, encodeOperationV2, replyBody,
} from '../../firmware/printer/codec/commands.js';
import { parseTlvs, tlv, tlvToJson, TlvError, str, u32, vln, readVln, fvln, readFvln } from '../../firmware/printer/codec/tlv.js';
import { PrinterError } from '../../firmware/printer/errors.js';

const bytes = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');

describe('frame codec against the spec traces', () => {
  it('encodes short status 10h with password 30 as 02 05 10 1E 00 00 00 0B', () => {
    expect(hex(encodeFrame(0x10, new ByteWriter().uint(30, 4).build()))).toBe('02 05 10 1E 00 00 00 0B');
  });
  it('encodes FN status FF01h as 02 06 FF 01 1E 00 00 00 E6', () => {
    expect(hex(encodeFrame(0xff01, new ByteWriter().uint(30, 4).build()))).toBe('02 06 FF 01 1E 00 00 00 E6');
  });
  it('decodes both traces back to command and password', () => {
    const a = decodeFrame(bytes('02 05 10 1E 00 00 00 0B'));
    expect(a.cmd).toBe(0x10);
    expect(new ByteReader(a.data).uint(4)).toBe(30);
    const b = decodeFrame(bytes('02 06 FF 01 1E 00 00 00 E6'));
    expect(b.cmd).toBe(0xff01);
    expect(b.data.length).toBe(4);
  });
  it('rejects a bad LRC, a wrong LEN, a missing STX and short input', () => {
    expect(() => decodeFrame(bytes('02 05 10 1E 00 00 00 0C'))).toThrow(/LRC/);
    expect(() => decodeFrame(bytes('02 06 10 1E 00 00 00 0B'))).toThrow(/LEN/);
    expect(() => decodeFrame(bytes('03 05 10 1E 00 00 00 0B'))).toThrow(/STX/);
    expect(() => decodeFrame(bytes('02 05'))).toThrow(FrameError);
  });
  it('LRC is the XOR of everything after STX', () => {
    expect(lrc(bytes('05 10 1E 00 00 00'))).toBe(0x0b);
  });
  it('refuses bodies over 255 bytes', () => {
    expect(() => encodeFrame(0x17, Buffer.alloc(255))).toThrow(RangeError);
  });
});

describe('fuzzed frames', () => {
  // Deterministic PRNG so a failure reproduces.
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  it('random garbage and truncations only ever raise FrameError', () => {
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(rnd() * 40);
      const buf = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      if (rnd() < 0.5 && len > 0) buf[0] = 2;
      try {
        decodeFrame(buf);
      } catch (err) {
        expect(err).toBeInstanceOf(FrameError);
      }
    }
  });
  it('every truncation of a valid frame is rejected', () => {
    const f = encodeFrame(0xff46, Buffer.alloc(40, 7));
    for (let n = 0; n < f.length; n++) expect(() => decodeFrame(f.subarray(0, n))).toThrow(FrameError);
    expect(decodeFrame(f).cmd).toBe(0xff46);
  });
  it('one flipped bit anywhere is caught', () => {
    const f = encodeFrame(0x10, new ByteWriter().uint(30, 4).build());
    for (let i = 1; i < f.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const g = Buffer.from(f);
        g[i] = (g[i] as number) ^ (1 << bit);
        expect(() => decodeFrame(g)).toThrow(FrameError);
      }
    }
  });
  it('reply decoders given truncated bodies raise ShortReplyError, never crash', () => {
    const decoders = [decodeShortStatus, decodeFullStatus, decodeFnStatus, decodeFnExpiry, decodeExchangeStatus, decodeShiftParams, decodeCloseV2];
    for (const d of decoders) {
      for (let n = 0; n < 3; n++) expect(() => d(Buffer.alloc(n))).toThrow(ShortReplyError);
    }
    expect(decodeFindFd(Buffer.from([3, 0]))).toEqual({ docType: 3, ticketReceived: false });
  });
});

describe('command encodings', () => {
  it('FF46h puts each field at the spec offsets', () => {
    const b = encodeOperationV2({ password: 30, opType: 1, qtyMicro: 2_000_000, price: 15000, sum: null, taxSum: null, taxBits: 1, department: 1, paymentMethod: 4, paymentObject: 1, name: 'Линза' });
    const r = new ByteReader(b);
    expect(r.uint(4)).toBe(30);
    expect(r.u8()).toBe(1);
    expect(r.uint(6)).toBe(2_000_000);
    expect(r.uint(5)).toBe(15000);
    expect(hex(r.bytes(5))).toBe('FF FF FF FF FF');
    expect(hex(r.bytes(5))).toBe('FF FF FF FF FF');
    expect([r.u8(), r.u8(), r.u8(), r.u8()]).toEqual([1, 1, 4, 1]);
    expect(r.text(r.left)).toBe('Линза');
    expect(b[30]).toBe(0xcb); // "Л" in WIN-1251
  });
  it('FF45h without text is LEN 118 on the wire, tax system at offset 115', () => {
    const data = encodeCloseV2({ password: 30, cash: 100, other: [200], rounding: 0, taxes: [null, null, null, null, null, null], taxSystemBit: 1, text: '' });
    expect(encodeFrame(0xff45, data)[1]).toBe(118);
    expect(new ByteReader(data.subarray(9, 14)).uint(5)).toBe(200);
    expect(data[115]).toBe(1);
  });
  it('replyBody turns an error byte into a typed PrinterError', () => {
    expect(() => replyBody(0xff46, Buffer.from([0x6b]))).toThrow(PrinterError);
    try {
      replyBody(0x10, Buffer.from([0x4f]));
    } catch (err) {
      expect((err as PrinterError).kind).toBe('password');
    }
    expect(replyBody(0x10, Buffer.from([0, 1, 2]))).toEqual(Buffer.from([1, 2]));
  });
  it('signed and unsigned LE numbers round-trip', () => {
    const b = new ByteWriter().int(-9999, 2).uint(999_999_999_999, 5).build();
    const r = new ByteReader(b);
    expect(r.int(2)).toBe(-9999);
    expect(r.uint(5)).toBe(999_999_999_999);
    expect(() => new ByteWriter().uint(256, 1)).toThrow(RangeError);
  });
});

describe('TLV', () => {
  it('parses nested documents and keeps repeated tags', () => {
    const item = (n: string) => tlv(1059, Buffer.concat([tlv(1030, str(n)), tlv(1043, vln(500)), tlv(1023, fvln(1500, 3))]));
    const doc = Buffer.concat([tlv(1040, u32(7)), item('a'), item('б')]);
    const j = tlvToJson(doc);
    expect(j['1040']).toBe(7);
    expect(j['1059']).toEqual([{ '1030': 'a', '1043': 500, '1023': 1.5 }, { '1030': 'б', '1043': 500, '1023': 1.5 }]);
  });
  it('VLN and FVLN follow the FFD examples', () => {
    expect(hex(fvln(15, 1))).toBe('01 0F');
    expect(hex(fvln(2000, 3))).toBe('03 D0 07');
    expect(readFvln(bytes('00 03'))).toBe(3);
    expect(readVln(vln(123456789))).toBe(123456789);
  });
  it('rejects truncated TLV', () => {
    expect(() => parseTlvs(bytes('28 04 04 00 01'))).toThrow(TlvError);
    expect(() => parseTlvs(bytes('28 04'))).toThrow(TlvError);
  });
});
