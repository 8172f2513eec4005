// Request encoders and reply decoders for the command subset the box uses. A request is the
// data after the command code; a reply decoder gets the data after the command code with
// the error byte already checked and skipped (see `replyBody`).
import { ByteReader, ByteWriter, readFnDate, readFnDateTime, readKktDateTime } from './bytes.js';
import { PrinterError } from '../errors.js';

export const CMD = {
  shortStatus: 0x10, status: 0x11, printLine: 0x17, cut: 0x25, xReport: 0x40, zReport: 0x41,
  sale: 0x80, refundSale: 0x82, closeReceipt: 0x85, cancelReceipt: 0x88, openReceipt: 0x8d,
  continuePrint: 0xb0, openShift: 0xe0,
  fnStatus: 0xff01, fnNumber: 0xff02, fnExpiry: 0xff03, findFd: 0xff0a, addTlv: 0xff0c,
  ofdDataReady: 0xff30, ofdReadBlock: 0xff31, ofdWriteStart: 0xff32, ofdWriteBlock: 0xff33,
  exchangeStatus: 0xff39, fdAsTlv: 0xff3a, readTlv: 0xff3b, ofdTicket: 0xff3c, unconfirmed: 0xff3f,
  shiftParams: 0xff40, closeReceiptV2: 0xff45, operationV2: 0xff46,
} as const;

/** Queries: running one changes nothing on the device. */
export const QUERIES: ReadonlySet<number> = new Set<number>([CMD.shortStatus, CMD.status, CMD.fnStatus, CMD.fnNumber,
  CMD.fnExpiry, CMD.findFd, CMD.exchangeStatus, CMD.fdAsTlv, CMD.readTlv, CMD.unconfirmed, CMD.shiftParams]);

/** Throws PrinterError if the reply carries an error; returns the bytes after the error code. */
export function replyBody(cmd: number, data: Buffer): Buffer {
  if (data.length < 1) throw new PrinterError(0x7e, cmd);
  const err = data[0] as number;
  if (err !== 0) throw new PrinterError(err, cmd);
  return data.subarray(1);
}

export const pw = (password: number): ByteWriter => new ByteWriter().uint(password, 4);

// ---- status --------------------------------------------------------------------------------

export interface ShortStatus {
  operator: number;
  flags: number;
  mode: number;
  /** Document type in mode 8 (0 sale, 1 purchase, 2 sale return, 3 purchase return, 4 non-fiscal). */
  modeStatus: number;
  submode: number;
  opsInReceipt: number;
  batteryV: number;
  supplyV: number;
  lastPrintResult?: number;
}

export const FLAG = { receiptRoll: 1 << 1, receiptPaperSensor: 1 << 7, receiptLever: 1 << 9, coverOpen: 1 << 10 } as const;

export function decodeShortStatus(b: Buffer): ShortStatus {
  const r = new ByteReader(b);
  const operator = r.u8();
  const flags = r.uint(2);
  const modeByte = r.u8();
  const submode = r.u8();
  const opsLow = r.u8();
  const batteryV = r.u8();
  const supplyV = r.u8();
  r.u8();
  r.u8();
  const opsHigh = r.left > 0 ? r.u8() : 0;
  const out: ShortStatus = { operator, flags, mode: modeByte & 0x0f, modeStatus: modeByte >> 4, submode, opsInReceipt: opsHigh * 256 + opsLow, batteryV, supplyV };
  if (r.left >= 4) {
    r.bytes(3);
    out.lastPrintResult = r.u8();
  }
  return out;
}

export interface FullStatus {
  operator: number;
  firmware: string;
  build: number;
  docNumber: number;
  flags: number;
  mode: number;
  submode: number;
  dateTime: Date;
  serial: string;
  lastClosedShift: number;
  inn: string;
}

export function decodeFullStatus(b: Buffer): FullStatus {
  const r = new ByteReader(b);
  const operator = r.u8();
  const firmware = `${r.ascii(1)}.${r.ascii(1)}`;
  const build = r.uint(2);
  r.bytes(3);
  r.u8();
  const docNumber = r.uint(2);
  const flags = r.uint(2);
  const mode = r.u8() & 0x0f;
  const submode = r.u8();
  r.u8();
  r.bytes(7);
  const dateTime = readKktDateTime(r);
  r.u8();
  const serialLow = r.uint(4);
  const lastClosedShift = r.uint(2);
  r.bytes(4);
  const innRaw = r.uint(6);
  const serialHigh = r.left >= 2 ? r.uint(2) : 0;
  const serial = serialLow === 0xffffffff ? '' : String(serialHigh * 2 ** 32 + serialLow);
  return { operator, firmware, build, docNumber, flags, mode, submode, dateTime, serial, lastClosedShift, inn: innRaw === 2 ** 48 - 1 ? '' : String(innRaw).padStart(12, '0') };
}

// ---- FN queries ----------------------------------------------------------------------------

export interface FnStatus {
  phase: number;
  currentDoc: number;
  docData: boolean;
  shiftOpen: boolean;
  warnings: number;
  dateTime: Date;
  fnNumber: string;
  lastFd: number;
}

export function decodeFnStatus(b: Buffer): FnStatus {
  const r = new ByteReader(b);
  const phase = r.u8();
  const currentDoc = r.u8();
  const docData = r.u8() === 1;
  const shiftOpen = r.u8() === 1;
  const warnings = r.u8();
  const dateTime = readFnDateTime(r);
  const fnNumber = r.ascii(16);
  const lastFd = r.uint(4);
  return { phase, currentDoc, docData, shiftOpen, warnings, dateTime, fnNumber, lastFd };
}

export interface FnExpiry { expires: Date; reregistrationsLeft?: number; reregistrationsDone?: number }

export function decodeFnExpiry(b: Buffer): FnExpiry {
  const r = new ByteReader(b);
  const out: FnExpiry = { expires: readFnDate(r) };
  if (r.left >= 2) {
    out.reregistrationsLeft = r.u8();
    out.reregistrationsDone = r.u8();
  }
  return out;
}

export interface ExchangeStatus { status: number; reading: boolean; queued: number; firstFd: number; firstDate: Date | null }

export function decodeExchangeStatus(b: Buffer): ExchangeStatus {
  const r = new ByteReader(b);
  const status = r.u8();
  const reading = r.u8() === 1;
  const queued = r.uint(2);
  const firstFd = r.uint(4);
  const dateBytes = r.bytes(5);
  const firstDate = queued > 0 ? readFnDateTime(new ByteReader(dateBytes)) : null;
  return { status, reading, queued, firstFd, firstDate };
}

export interface ShiftParams { open: boolean; shift: number; receipt: number }

export function decodeShiftParams(b: Buffer): ShiftParams {
  const r = new ByteReader(b);
  return { open: r.u8() === 1, shift: r.uint(2), receipt: r.uint(2) };
}

export interface FoundFd {
  docType: number;
  ticketReceived: boolean;
  dateTime?: Date;
  fd?: number;
  fp?: number;
  /** Receipt documents: 1054 settlement type and total in kopecks. */
  operation?: number;
  amount?: number;
  /** Shift documents: shift number. */
  shift?: number;
}

export function decodeFindFd(b: Buffer): FoundFd {
  const r = new ByteReader(b);
  const out: FoundFd = { docType: r.u8(), ticketReceived: r.u8() === 1 };
  if ([3, 4, 31, 41].includes(out.docType) && r.left >= 19) {
    out.dateTime = readFnDateTime(r);
    out.fd = r.uint(4);
    out.fp = r.uint(4);
    out.operation = r.u8();
    out.amount = r.uint(5);
  } else if ([2, 5].includes(out.docType) && r.left >= 15) {
    out.dateTime = readFnDateTime(r);
    out.fd = r.uint(4);
    out.fp = r.uint(4);
    out.shift = r.uint(2);
  }
  return out;
}

export const fdRequest = (password: number, fd: number): Buffer => pw(password).uint(fd, 4).build();

export function decodeFdAsTlv(b: Buffer): { docType: number; length: number } {
  const r = new ByteReader(b);
  return { docType: r.uint(2), length: r.uint(2) };
}

export function decodeU16(b: Buffer): number {
  return new ByteReader(b).uint(2);
}

// ---- receipts ------------------------------------------------------------------------------

/** FF46h operation types = tag 1054. */
export const OP_TYPE = { sale: 1, refund: 2 } as const;

/** FF46h tax-rate bit mask (obs.: 1 = 20 %, 2 = 10 %, 4 = 0 %, 8 = no VAT, 16 = 20/120, 32 = 10/110). */
export const TAX_BIT = { vat20: 1, vat10: 2, vat0: 4, none: 8, vat20_120: 16, vat10_110: 32 } as const;
export type TaxBitName = keyof typeof TAX_BIT;

export interface OperationV2 {
  password: number;
  opType: number;
  /** Quantity in millionths (FF46h takes 6 bytes x 10^6). */
  qtyMicro: number;
  price: number;
  /** Item total in kopecks; null lets the printer compute price x qty. */
  sum: number | null;
  taxSum: number | null;
  taxBits: number;
  department: number;
  paymentMethod: number;
  paymentObject: number;
  name: string;
}

export function encodeOperationV2(op: OperationV2): Buffer {
  const w = new ByteWriter().uint(op.password, 4).u8(op.opType).uint(op.qtyMicro, 6).uint(op.price, 5);
  if (op.sum === null) w.fill(0xff, 5);
  else w.uint(op.sum, 5);
  if (op.taxSum === null) w.fill(0xff, 5);
  else w.uint(op.taxSum, 5);
  return w.u8(op.taxBits).u8(op.department).u8(op.paymentMethod).u8(op.paymentObject).text(op.name, 0, 128).build();
}

export interface CloseV2 {
  password: number;
  cash: number;
  /** Payment types 2..16 (index 0 = type 2 "electronic"). */
  other: number[];
  rounding: number;
  /** Six tax sums (null: the printer computes them in tax mode 0). */
  taxes: (number | null)[];
  taxSystemBit: number;
  text: string;
}

export function encodeCloseV2(c: CloseV2): Buffer {
  const w = new ByteWriter().uint(c.password, 4).uint(c.cash, 5);
  for (let i = 0; i < 15; i++) w.uint(c.other[i] ?? 0, 5);
  w.u8(c.rounding);
  for (let i = 0; i < 6; i++) {
    const t = c.taxes[i];
    if (t === null || t === undefined) w.uint(0, 5);
    else w.uint(t, 5);
  }
  return w.u8(c.taxSystemBit).text(c.text, 0, 64).build();
}

export interface CloseV2Reply { change: number; fd: number; fp: number; dateTime?: Date }

export function decodeCloseV2(b: Buffer): CloseV2Reply {
  const r = new ByteReader(b);
  const out: CloseV2Reply = { change: r.uint(5), fd: r.uint(4), fp: r.uint(4) };
  if (r.left >= 5) out.dateTime = readFnDateTime(r);
  return out;
}

export function decodeOperator(b: Buffer): number {
  return b.length > 0 ? (b[0] as number) : 0;
}
