// The virtual fiscal drive: document counter, shift, stored FFD 1.2 documents and their OFD
// tickets. State lives in a JSON file written atomically after every change, so a restarted
// emulator (or one killed mid-receipt) keeps its counter exactly as a real FN would.
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { str, tlv, u32, u8, unixTime } from '../../firmware/printer/codec/tlv.js';

export interface StoredDoc {
  fd: number;
  /** Form code = STLV tag: 2 shift open, 3 receipt, 5 shift close. */
  form: number;
  dateTime: string;
  fp: number;
  /** 1054 for receipts. */
  operation?: number;
  amount?: number;
  shift: number;
  body: string;
  confirmed: boolean;
}

export interface FnState {
  fnNumber: string;
  regNumber: string;
  inn: string;
  serial: string;
  key: string;
  lastFd: number;
  shift: { open: boolean; number: number; openedAt: string | null; receipts: number; docs: number };
  expires: string;
  docs: StoredDoc[];
}

export function newFnState(): FnState {
  const now = new Date();
  return {
    fnNumber: '9999078900012345',
    regNumber: '0000000001012345',
    inn: '7700000000',
    serial: '0012345678',
    key: randomBytes(16).toString('hex'),
    lastFd: 0,
    shift: { open: false, number: 0, openedAt: null, receipts: 0, docs: 0 },
    expires: new Date(Date.UTC(now.getUTCFullYear() + 1, now.getUTCMonth(), now.getUTCDate())).toISOString(),
    docs: [],
  };
}

export interface ReceiptItemDoc { name: string; qtyMicro: number; price: number; sum: number; vatRate: number; method: number; object: number }

export class FnStore {
  state: FnState;

  constructor(private readonly file: string | null) {
    this.state = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as FnState) : newFnState();
    this.save();
  }

  save(): void {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
  }

  doc(fd: number): StoredDoc | undefined {
    return this.state.docs.find((d) => d.fd === fd);
  }

  unconfirmed(): StoredDoc[] {
    return this.state.docs.filter((d) => !d.confirmed);
  }

  /** Deterministic "fiscal sign": a keyed hash of the document (a real FN uses GOST crypto). */
  private sign(fd: number, body: Buffer): number {
    return createHmac('sha256', this.state.key).update(u32(fd)).update(body).digest().readUInt32BE(0);
  }

  private common(now: Date): Buffer[] {
    return [tlv(1009, str('г. Москва, ул. Оптиков, 1')), tlv(1187, str('Салон оптики')), tlv(1048, str('ООО "Оптика"')),
      tlv(1018, str(this.state.inn.padEnd(12, ' '))), tlv(1037, str(this.state.regNumber.padEnd(20, ' '))), tlv(1012, unixTime(now)), tlv(1209, u8(4))];
  }

  private add(form: number, now: Date, parts: Buffer[], extra: Partial<StoredDoc>): StoredDoc {
    const fd = this.state.lastFd + 1;
    const unsigned = Buffer.concat([...parts, tlv(1040, u32(fd)), tlv(1041, str(this.state.fnNumber))]);
    const fp = this.sign(fd, unsigned);
    const fpd = Buffer.alloc(6);
    fpd.writeUInt32BE(fp, 2);
    const body = Buffer.concat([unsigned, tlv(1077, fpd)]);
    const doc: StoredDoc = { fd, form, dateTime: now.toISOString(), fp, shift: this.state.shift.number, body: body.toString('base64'), confirmed: false, ...extra };
    this.state.lastFd = fd;
    this.state.docs.push(doc);
    this.state.shift.docs++;
    this.save();
    return doc;
  }

  openShift(now: Date, cashier: string): StoredDoc {
    const s = this.state.shift;
    s.open = true;
    s.number++;
    s.openedAt = now.toISOString();
    s.receipts = 0;
    s.docs = 0;
    return this.add(2, now, [tlv(1000, str('ОТЧЕТ ОБ ОТКРЫТИИ СМЕНЫ')), ...this.common(now), tlv(1038, u32(s.number)), tlv(1021, str(cashier))], {});
  }

  closeShift(now: Date, cashier: string): StoredDoc {
    const s = this.state.shift;
    const doc = this.add(5, now, [tlv(1000, str('ОТЧЕТ О ЗАКРЫТИИ СМЕНЫ')), ...this.common(now), tlv(1038, u32(s.number)), tlv(1021, str(cashier)),
      tlv(1118, u32(s.receipts)), tlv(1111, u32(s.docs + 1)), tlv(1097, u32(this.unconfirmed().length))], {});
    s.open = false;
    s.openedAt = null;
    this.save();
    return doc;
  }

  receipt(now: Date, operation: number, items: ReceiptItemDoc[], pay: { cash: number; card: number }, taxSystemBit: number, cashier: string): StoredDoc {
    const s = this.state.shift;
    s.receipts++;
    const total = items.reduce((a, it) => a + it.sum, 0);
    const itemTlvs = items.map((it) => tlv(1059, Buffer.concat([
      tlv(1030, str(it.name)), tlv(1079, vlnOf(it.price)), tlv(1023, Buffer.concat([u8(6), vlnOf(it.qtyMicro)])), tlv(1043, vlnOf(it.sum)),
      tlv(1199, u8(it.vatRate)), tlv(1214, u8(it.method)), tlv(1212, u8(it.object)), tlv(2108, u8(0)),
    ])));
    return this.add(3, now, [tlv(1000, str('КАССОВЫЙ ЧЕК')), ...this.common(now), tlv(1042, u32(s.receipts)), tlv(1038, u32(s.number)),
      tlv(1054, u8(operation)), tlv(1055, u8(taxSystemBit)), tlv(1021, str(cashier)), ...itemTlvs, tlv(1020, vlnOf(total)),
      tlv(1031, vlnOf(pay.cash)), tlv(1081, vlnOf(pay.card))], { operation, amount: total });
  }

  confirm(fd: number): boolean {
    const d = this.doc(fd);
    if (!d || d.confirmed) return false;
    d.confirmed = true;
    this.save();
    return true;
  }
}

function vlnOf(v: number): Buffer {
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.push(x % 256);
    x = Math.floor(x / 256);
  } while (x > 0);
  return Buffer.from(bytes);
}
