// The device: executes one command and builds its reply, as a Shtrih-M KKT with an FN does.
// Modes, submodes and error codes follow protocol v1.17 (App. 1 and the error table); print
// time is simulated after the reply (the real device answers first, then prints).
import { ByteReader, ByteWriter, writeFnDateTime, writeKktDate, writeKktTime } from '../../firmware/printer/codec/bytes.js';
import { parseTlvs } from '../../firmware/printer/codec/tlv.js';
import { type FnStore, type ReceiptItemDoc } from './fn-store.js';
import type { Faults } from './faults.js';

export interface DeviceOptions {
  /** Print time per receipt line (thermal head: ~10-30 ms). */
  printLineMs: number;
  /** Print backlog the device accepts before answering 50h "printing previous". */
  printBufferMs: number;
  /** Time the FN takes to write and sign a fiscal document (real FNs: ~100-300 ms). */
  fnDocMs: number;
  clock: () => Date;
}

class Refuse extends Error {
  constructor(readonly code: number) {
    super(`error ${code}`);
  }
}

interface OpenReceipt { type: number; items: ReceiptItemDoc[]; operator: number }

// FF46h tax-rate byte -> tag 1199 (0x81..0x88: the 2025 rates 5 %, 7 %, 5/105, 7/107).
const TAX_BIT_TO_1199: Record<number, number> = { 1: 1, 2: 2, 4: 5, 8: 6, 16: 3, 32: 4, 0x81: 7, 0x82: 8, 0x84: 9, 0x88: 10 };
const OFD_BLOCK = 128;
/** Receipt type (8Dh: 0 sale, 1 purchase, 2 sale return, 3 purchase return) <-> tag 1054. */
const TYPE_TO_1054 = [1, 3, 2, 4] as const;
const OP_1054_TO_TYPE: Record<number, number> = { 1: 0, 2: 2, 3: 1, 4: 3 };

export class ShtrihDevice {
  receipt: OpenReceipt | null = null;
  private busyUntil = 0;
  private paperRanOut = false;
  private awaitingContinue = false;
  private reprintLines = 0;
  private tlvCursor: { body: Buffer; pos: number } | null = null;
  private ofdIn: { total: number; data: Buffer } | null = null;
  /** Counts of executed commands by code, for tests that must prove "executed once". */
  readonly executed = new Map<number, number>();
  /** Commands refused with 50h because the print buffer was full. */
  busyRefusals = 0;
  /** Non-fiscal lines printed on the receipt tape (17h), for tests to read what came out. */
  readonly tape: string[] = [];

  constructor(readonly fn: FnStore, readonly faults: Faults, readonly opts: DeviceOptions) {}

  private now(): Date {
    return this.opts.clock();
  }

  get submode(): number {
    if (this.awaitingContinue) return 3;
    if (this.paperRanOut) return 2;
    if (this.faults.paperLinesLeft === 0) return 1;
    if (Date.now() < this.busyUntil) return 5;
    return 0;
  }

  get shiftExpired(): boolean {
    const s = this.fn.state.shift;
    return s.open && s.openedAt !== null && this.now().getTime() - Date.parse(s.openedAt) > 24 * 3600_000;
  }

  get mode(): number {
    if (this.receipt) return 8 | (this.receipt.type << 4);
    if (!this.fn.state.shift.open) return 4;
    return this.shiftExpired ? 3 : 2;
  }

  get flags(): number {
    const paper = this.faults.paperLinesLeft !== 0 && !this.paperRanOut;
    let f = 1 << 0 | 1 << 8;
    if (paper) f |= 1 << 1 | 1 << 7 | 1 << 6;
    if (!this.faults.coverOpen) f |= 1 << 9;
    if (this.faults.coverOpen) f |= 1 << 10;
    return f;
  }

  /** Paper loaded and cover closed again: an interrupted print now waits for B0h. */
  paperLoaded(): void {
    this.faults.paperLinesLeft = null;
    if (this.paperRanOut) {
      this.paperRanOut = false;
      this.awaitingContinue = true;
    }
  }

  private print(lines: number): void {
    const left = this.faults.paperLinesLeft;
    if (left !== null) {
      if (lines > left) {
        this.faults.paperLinesLeft = 0;
        this.paperRanOut = true;
        this.reprintLines = lines;
        this.busyUntil = Date.now() + left * this.opts.printLineMs;
        return;
      }
      this.faults.paperLinesLeft = left - lines;
    }
    this.busyUntil = Math.max(Date.now(), this.busyUntil) + lines * this.opts.printLineMs;
  }

  private canPrint(): void {
    if (this.awaitingContinue) throw new Refuse(0x58);
    if (this.paperRanOut || this.faults.paperLinesLeft === 0 || this.faults.coverOpen) throw new Refuse(0x6b);
    // The print buffer takes new lines while printing; only a long backlog is refused.
    if (this.busyUntil - Date.now() > this.opts.printBufferMs) {
      this.busyRefusals++;
      throw new Refuse(0x50);
    }
  }

  private fnCanWrite(): void {
    if (this.faults.fnExpired) throw new Refuse(0x12);
    if (this.faults.fnFull) throw new Refuse(0x14);
  }

  private password(r: ByteReader, admin = false): number {
    const p = r.uint(4);
    if (p < 1 || p > 30 || (admin && p < 29)) throw new Refuse(0x4f);
    return p;
  }

  /** How long a command takes before its reply: fiscal documents cost an FN write. */
  execDelayMs(cmd: number): number {
    return [0xff45, 0x85, 0x41, 0xe0].includes(cmd) ? this.opts.fnDocMs : 0;
  }

  /** Executes one command; returns the reply data after the command code (error first). */
  execute(cmd: number, data: Buffer): Buffer {
    try {
      const body = this.run(cmd, new ByteReader(data));
      this.executed.set(cmd, (this.executed.get(cmd) ?? 0) + 1);
      return Buffer.concat([Buffer.from([0]), body]);
    } catch (err) {
      if (err instanceof Refuse) return Buffer.from([err.code]);
      if (err instanceof Error && err.name === 'ShortReplyError') return Buffer.from([0x7e]);
      throw err;
    }
  }

  private ensureShift(cashier: number): void {
    if (this.shiftExpired) throw new Refuse(0x4e);
    if (!this.fn.state.shift.open) {
      this.fnCanWrite();
      this.fn.openShift(this.now(), `Кассир ${cashier}`);
      this.print(6);
    }
  }

  private openReceipt(type: number, operator: number): void {
    if (this.receipt) {
      if (this.receipt.type !== type) throw new Refuse(0x49);
      return;
    }
    this.canPrint();
    this.ensureShift(operator);
    this.receipt = { type, items: [], operator };
  }

  private run(cmd: number, r: ByteReader): Buffer {
    const w = new ByteWriter();
    switch (cmd) {
      case 0x10: {
        const op = this.password(r);
        const ops = this.receipt?.items.length ?? 0;
        return w.u8(op).uint(this.flags, 2).u8(this.mode).u8(this.submode).u8(ops & 0xff).u8(0x9b).u8(0x7a).u8(0).u8(0).u8(ops >> 8).fill(0, 3).u8(this.submode === 5 ? 5 : 0).build();
      }
      case 0x11: {
        const op = this.password(r);
        const st = this.fn.state;
        const serial = Number(st.serial);
        const now = this.now();
        w.u8(op).text('A4', 2).uint(1234, 2).u8(1).u8(1).u8(24).u8(1).uint(st.lastFd & 0xffff, 2).uint(this.flags, 2).u8(this.mode).u8(this.submode).u8(0).fill(0, 7);
        writeKktDate(w, now);
        writeKktTime(w, now);
        return w.u8(0).uint(serial % 2 ** 32, 4).uint(Math.max(0, st.shift.number - (st.shift.open ? 1 : 0)), 2).uint(0, 2).u8(0).u8(0).uint(Number(st.inn), 6).uint(Math.floor(serial / 2 ** 32), 2).build();
      }
      case 0x17: {
        const op = this.password(r);
        this.canPrint();
        const flags = r.left > 0 ? r.u8() : 0;
        const text = r.left > 0 ? r.text(Math.min(40, r.left)) : '';
        this.print(1);
        if (flags & 0x02) this.tape.push(text);
        return w.u8(op).build();
      }
      case 0x25: {
        const op = this.password(r);
        this.canPrint();
        return w.u8(op).build();
      }
      case 0x40: {
        const op = this.password(r, true);
        if (this.receipt) throw new Refuse(0x4a);
        this.canPrint();
        this.print(12);
        return w.u8(op).build();
      }
      case 0x41: {
        const op = this.password(r, true);
        if (this.receipt) throw new Refuse(0x4a);
        if (!this.fn.state.shift.open) throw new Refuse(0x3d);
        this.canPrint();
        if (this.faults.fnExpired) throw new Refuse(0x12);
        this.fn.closeShift(this.now(), `Администратор ${op}`);
        this.print(20);
        return w.u8(op).build();
      }
      case 0xe0: {
        this.password(r);
        if (this.fn.state.shift.open) throw new Refuse(0x3c);
        this.canPrint();
        this.fnCanWrite();
        this.fn.openShift(this.now(), 'Администратор');
        this.print(6);
        return w.build();
      }
      case 0x8d: {
        const op = this.password(r);
        const type = r.u8();
        if (type > 3) throw new Refuse(0x33);
        if (this.receipt) throw new Refuse(0x4a);
        this.openReceipt(type, op);
        this.print(3);
        return w.u8(op).build();
      }
      case 0x80:
      case 0x82: {
        const op = this.password(r);
        const qty = r.uint(5);
        const price = r.uint(5);
        r.u8();
        const tax = r.u8();
        r.bytes(3);
        // Text is 36, 40 or 48 bytes depending on the model the host driver thinks it talks to.
        const name = r.left > 0 ? r.text(r.left) : '';
        this.openReceipt(cmd === 0x80 ? 0 : 2, op);
        this.canPrint();
        this.addItem({ name, qtyMicro: qty * 1000, price, sum: Math.round((price * qty) / 1000), vatRate: tax === 0 ? 6 : tax, method: 4, object: 1 });
        return w.u8(op).build();
      }
      case 0x85: {
        const op = this.password(r);
        const cash = r.uint(5);
        const other = r.uint(5) + r.uint(5) + r.uint(5);
        const rc = this.requireReceipt();
        this.canPrint();
        const change = this.closeReceipt(rc, cash, other, 1);
        return w.u8(op).uint(change, 5).build();
      }
      case 0x88: {
        const op = this.password(r);
        if (!this.receipt) throw new Refuse(0x55);
        this.canPrint();
        this.receipt = null;
        this.print(2);
        return w.u8(op).build();
      }
      case 0xb0: {
        const op = this.password(r);
        if (!this.awaitingContinue) throw new Refuse(0x56);
        this.awaitingContinue = false;
        this.print(this.reprintLines);
        return w.u8(op).build();
      }
      case 0xff46: return this.operationV2(r);
      case 0xff45: return this.closeV2(r);
      default: return this.fnCommand(cmd, r, w);
    }
  }

  private requireReceipt(): OpenReceipt {
    if (!this.receipt) throw new Refuse(0x55);
    return this.receipt;
  }

  private addItem(item: ReceiptItemDoc): void {
    const rc = this.requireReceipt();
    if (rc.items.length >= 200) throw new Refuse(0x4b);
    rc.items.push(item);
    this.print(2);
  }

  private operationV2(r: ByteReader): Buffer {
    const op = this.password(r);
    const opType = r.u8();
    if (opType < 1 || opType > 4) throw new Refuse(0x33);
    const qtyMicro = r.uint(6);
    const price = r.uint(5);
    const sumRaw = r.bytes(5);
    r.bytes(5);
    const taxBits = r.u8();
    r.u8();
    const method = r.u8();
    const object = r.u8();
    const name = r.left > 0 ? r.text(r.left) : '';
    const computed = Math.round((price * qtyMicro) / 1e6);
    const sum = sumRaw.every((b) => b === 0xff) ? computed : new ByteReader(sumRaw).uint(5);
    if (Math.abs(sum - computed) > 1) throw new Refuse(0x33);
    const vatRate = TAX_BIT_TO_1199[taxBits];
    if (vatRate === undefined) throw new Refuse(0x33);
    if (this.shiftExpired) throw new Refuse(0x16);
    this.openReceipt(OP_1054_TO_TYPE[opType] as number, op);
    this.canPrint();
    this.addItem({ name, qtyMicro, price, sum, vatRate, method, object });
    return Buffer.alloc(0);
  }

  private closeV2(r: ByteReader): Buffer {
    this.password(r);
    const cash = r.uint(5);
    let other = 0;
    let card = 0;
    for (let i = 0; i < 15; i++) {
      const v = r.uint(5);
      other += v;
      if (i < 12) card += v;
    }
    r.u8();
    r.bytes(30);
    // 0 = "the tax system the KKT was registered with" (drivers send it); else exactly one bit.
    const taxSystem = r.u8() || 1;
    if ((taxSystem & (taxSystem - 1)) !== 0 || taxSystem > 32) throw new Refuse(0x33);
    const rc = this.requireReceipt();
    this.canPrint();
    const change = this.closeReceipt(rc, cash, other, taxSystem, card);
    const doc = this.fn.state.docs[this.fn.state.docs.length - 1];
    if (!doc) throw new Refuse(0x39);
    const w = new ByteWriter().uint(change, 5).uint(doc.fd, 4).uint(doc.fp, 4);
    return writeFnDateTime(w, new Date(doc.dateTime)).build();
  }

  private closeReceipt(rc: OpenReceipt, cash: number, other: number, taxSystem: number, card = other): number {
    const total = rc.items.reduce((a, it) => a + it.sum, 0);
    if (total === 0) throw new Refuse(0x8e);
    if (other > total) throw new Refuse(0x4d);
    if (cash + other < total) throw new Refuse(0x45);
    this.fnCanWrite();
    const change = cash + other - total;
    this.fn.receipt(this.now(), TYPE_TO_1054[rc.type] ?? 1, rc.items, { cash: cash - change, card }, taxSystem, `Кассир ${rc.operator}`);
    this.receipt = null;
    this.print(8 + rc.items.length);
    return change;
  }

  private fnCommand(cmd: number, r: ByteReader, w: ByteWriter): Buffer {
    const st = this.fn.state;
    this.password(r);
    switch (cmd) {
      case 0xff01: {
        const warnings = (this.faults.fnExpired ? 1 : 0) | (this.faults.fnFull ? 4 : 0);
        const current = this.receipt ? 0x04 : 0;
        w.u8(this.faults.fnExpired ? 0x03 | 0x04 : 0x03).u8(current).u8(this.receipt && this.receipt.items.length > 0 ? 1 : 0).u8(st.shift.open ? 1 : 0).u8(warnings);
        writeFnDateTime(w, this.now());
        return w.text(st.fnNumber, 16).uint(st.lastFd, 4).build();
      }
      case 0xff02: return w.text(st.fnNumber, 16).build();
      case 0xff03: {
        const d = this.faults.fnExpired ? new Date(this.now().getTime() - 86400_000) : new Date(st.expires);
        return w.u8(d.getUTCFullYear() - 2000).u8(d.getUTCMonth() + 1).u8(d.getUTCDate()).u8(30).u8(0).build();
      }
      case 0xff0a: {
        const doc = this.fn.doc(r.uint(4));
        if (!doc) throw new Refuse(0x08);
        w.u8(doc.form).u8(doc.confirmed ? 1 : 0);
        writeFnDateTime(w, new Date(doc.dateTime)).uint(doc.fd, 4).uint(doc.fp, 4);
        if (doc.form === 3) return w.u8(doc.operation ?? 0).uint(doc.amount ?? 0, 5).build();
        return w.uint(doc.shift, 2).build();
      }
      case 0xff39: {
        const q = this.fn.unconfirmed();
        const first = q[0];
        w.u8(q.length > 0 ? 0b110 : 0).u8(this.ofdIn ? 1 : 0).uint(q.length, 2).uint(first?.fd ?? 0, 4);
        return first ? writeFnDateTime(w, new Date(first.dateTime)).build() : w.fill(0, 5).build();
      }
      case 0xff3a: {
        const doc = this.fn.doc(r.uint(4));
        if (!doc) throw new Refuse(0x08);
        const body = Buffer.from(doc.body, 'base64');
        this.tlvCursor = { body, pos: 0 };
        return w.uint(doc.form, 2).uint(body.length, 2).build();
      }
      case 0xff3b: {
        const c = this.tlvCursor;
        if (!c || c.pos >= c.body.length) throw new Refuse(0x08);
        const len = 4 + c.body.readUInt16LE(c.pos + 2);
        const part = c.body.subarray(c.pos, c.pos + len);
        c.pos += len;
        return part;
      }
      case 0xff3c: {
        const doc = this.fn.doc(r.uint(4));
        if (!doc || !doc.confirmed) throw new Refuse(0x08);
        writeFnDateTime(w, new Date(doc.dateTime));
        return w.fill(0x5a, 18).uint(doc.fd, 4).build();
      }
      case 0xff3f: return w.uint(this.fn.unconfirmed().length, 2).build();
      case 0xff40: return w.u8(st.shift.open ? 1 : 0).uint(st.shift.number, 2).uint(st.shift.receipts, 2).build();
      case 0xff30: {
        const msg = this.ofdMessage();
        return w.uint(msg?.length ?? 0, 2).u8(OFD_BLOCK).build();
      }
      case 0xff31: {
        const msg = this.ofdMessage();
        const off = r.uint(2);
        const n = r.u8();
        if (!msg || off + n > msg.length) throw new Refuse(0x09);
        return msg.subarray(off, off + n);
      }
      case 0xff32: {
        this.ofdIn = { total: r.uint(2), data: Buffer.alloc(0) };
        return w.u8(OFD_BLOCK).build();
      }
      case 0xff33: return this.ofdWrite(r);
      default: throw new Refuse(0x37);
    }
  }

  /** The message for the OFD: 30-byte session header + the oldest unconfirmed document. */
  private ofdMessage(): Buffer | null {
    const doc = this.fn.unconfirmed()[0];
    if (!doc) return null;
    const body = Buffer.from(doc.body, 'base64');
    const head = Buffer.alloc(30);
    Buffer.from([0x2a, 0x08, 0x41, 0x0a, 0x81, 0xa2, 0x01, 0x20]).copy(head, 0);
    head.write(this.fn.state.fnNumber, 8, 'latin1');
    head.writeUInt16LE(body.length, 24);
    return Buffer.concat([head, body]);
  }

  private ofdWrite(r: ByteReader): Buffer {
    const inbound = this.ofdIn;
    if (!inbound) throw new Refuse(0x02);
    const off = r.uint(2);
    const len = r.u8();
    if (off !== inbound.data.length) throw new Refuse(0x09);
    inbound.data = Buffer.concat([inbound.data, r.bytes(len)]);
    if (inbound.data.length >= inbound.total) {
      this.ofdIn = null;
      const body = inbound.data.subarray(30);
      let fd = this.fn.unconfirmed()[0]?.fd;
      try {
        const tag = parseTlvs(body).find((t) => t.tag === 1040);
        if (tag && tag.value.length === 4) fd = tag.value.readUInt32LE(0);
      } catch {
        throw new Refuse(0x20);
      }
      if (fd === undefined || !this.fn.confirm(fd)) throw new Refuse(0x20);
    }
    return Buffer.alloc(0);
  }
}
