// Printer operations over the transport: each method is one protocol command (or a short,
// fixed sequence of them) with its reply decoded. "Printing the previous command" (50h) and
// "waiting for continue-print" (58h) are answered here, because both mean the command did
// not run and may simply be sent again.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CMD, FLAG, QUERIES, decodeCloseV2, decodeExchangeStatus, decodeFdAsTlv, decodeFindFd, decodeFnExpiry, decodeFnStatus,
  decodeFullStatus, decodeShiftParams, decodeShortStatus, decodeU16, encodeCloseV2, encodeOperationV2, fdRequest, pw, replyBody,
  type CloseV2, type CloseV2Reply, type ExchangeStatus, type FnExpiry, type FnStatus, type FoundFd, type FullStatus,
  type OperationV2, type ShiftParams, type ShortStatus,
} from './codec/commands.js';
import { ByteReader, ByteWriter } from './codec/bytes.js';
import { tlvToJson, type TlvJson } from './codec/tlv.js';
import { PrinterError, PrintTimeoutError } from './errors.js';
import type { Transport } from './transport.js';
import type { Frame } from './codec/frame.js';

export interface DriverPasswords {
  /** Cashier (operator) password, 1..28. */
  operator: number;
  /** System administrator password (FN commands, reports). */
  sysadmin: number;
}

/** Reply waits per command class (vendor OPOS driver values). */
const REPLY_MS = { status: 3000, op: 10000, report: 30000, shift: 100000 } as const;

/**
 * Commands that cannot make a fiscal document (queries, items of an open receipt, cancel,
 * non-fiscal printing, the OFD exchange). Any other command may move the FN's document counter.
 */
const MAKES_NO_DOCUMENT = new Set<number>([
  ...QUERIES, CMD.operationV2, CMD.cancelReceipt, CMD.continuePrint, CMD.printLine,
  CMD.ofdDataReady, CMD.ofdReadBlock, CMD.ofdWriteStart, CMD.ofdWriteBlock,
]);

export interface FnDocument { fd: number; docType: number; body: Buffer; json: TlvJson }

export class ShtrihDriver {
  /** Absolute time (ms) after which no command is sent; set around one bounded job. */
  deadline: number | null = null;
  /** Bumped before every command that may make a fiscal document, and on every failed exchange. */
  private documentEpoch = 0;

  constructor(private readonly transport: Transport, readonly passwords: DriverPasswords = { operator: 30, sysadmin: 30 }) {}

  /** Runs `fn` with every command bounded by `ms` from now. */
  async within<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.deadline;
    this.deadline = Date.now() + ms;
    try {
      return await fn();
    } finally {
      this.deadline = prev;
    }
  }

  private remaining(wanted: number): number {
    if (this.deadline === null) return wanted;
    const left = this.deadline - Date.now();
    if (left <= 0) throw new PrintTimeoutError('the time allowed for this printer operation ran out');
    return Math.min(wanted, left);
  }

  /**
   * Changes whenever the FN's documents may have changed without the caller seeing the reply
   * that says how: a command that can make a document was sent, an exchange failed, or the line
   * was reopened (possibly to another printer). Equal epochs mean the FN's document counter is
   * where the last reply the caller read left it.
   */
  get epoch(): string {
    return `${this.transport.opens}:${this.documentEpoch}`;
  }

  /** One command; error replies become PrinterError; 50h/58h are waited out and resent. */
  async exec(cmd: number, data: Buffer, replyMs: number = REPLY_MS.op): Promise<Buffer> {
    for (;;) {
      if (!MAKES_NO_DOCUMENT.has(cmd)) this.documentEpoch++;
      let frame: Frame;
      try {
        frame = await this.transport.send(cmd, data, this.remaining(replyMs));
      } catch (err) {
        this.documentEpoch++;
        throw err;
      }
      try {
        return replyBody(cmd, frame.data);
      } catch (err) {
        if (!(err instanceof PrinterError)) throw err;
        if (err.code === 0x50 && cmd !== CMD.shortStatus) {
          await this.waitPrinted();
          continue;
        }
        if (err.code === 0x58 && cmd !== CMD.continuePrint) {
          await this.continuePrint();
          continue;
        }
        throw err;
      }
    }
  }

  /** Polls short status until the printer stops printing (submode 4/5). */
  async waitPrinted(): Promise<ShortStatus> {
    for (;;) {
      const s = await this.shortStatus();
      if (s.submode !== 4 && s.submode !== 5) return s;
      await sleep(Math.min(20, this.deadline === null ? 20 : Math.max(1, this.deadline - Date.now())));
      this.remaining(1);
    }
  }

  private get op(): Buffer {
    return pw(this.passwords.operator).build();
  }
  private get sys(): Buffer {
    return pw(this.passwords.sysadmin).build();
  }

  async shortStatus(): Promise<ShortStatus> {
    return decodeShortStatus(await this.exec(CMD.shortStatus, this.op, REPLY_MS.status));
  }
  async fullStatus(): Promise<FullStatus> {
    return decodeFullStatus(await this.exec(CMD.status, this.op, REPLY_MS.status));
  }
  async fnStatus(): Promise<FnStatus> {
    return decodeFnStatus(await this.exec(CMD.fnStatus, this.sys, REPLY_MS.report));
  }
  async fnExpiry(): Promise<FnExpiry> {
    return decodeFnExpiry(await this.exec(CMD.fnExpiry, this.sys, REPLY_MS.report));
  }
  async exchangeStatus(): Promise<ExchangeStatus> {
    return decodeExchangeStatus(await this.exec(CMD.exchangeStatus, this.sys, REPLY_MS.report));
  }
  async shiftParams(): Promise<ShiftParams> {
    return decodeShiftParams(await this.exec(CMD.shiftParams, this.sys, REPLY_MS.report));
  }
  /** FF3Fh: documents the FN still holds without an OFD ticket. */
  async unconfirmedCount(): Promise<number> {
    return decodeU16(await this.exec(CMD.unconfirmed, this.sys, REPLY_MS.report));
  }
  async findFd(fd: number): Promise<FoundFd> {
    return decodeFindFd(await this.exec(CMD.findFd, fdRequest(this.passwords.sysadmin, fd), REPLY_MS.report));
  }

  /** FF3Ah then FF3Bh until the whole document body is read. */
  async readDocument(fd: number): Promise<FnDocument> {
    const head = decodeFdAsTlv(await this.exec(CMD.fdAsTlv, fdRequest(this.passwords.sysadmin, fd), REPLY_MS.report));
    const parts: Buffer[] = [];
    let got = 0;
    while (got < head.length) {
      let chunk: Buffer;
      try {
        chunk = await this.exec(CMD.readTlv, this.sys, REPLY_MS.report);
      } catch (err) {
        if (err instanceof PrinterError && err.code === 0x08) break;
        throw err;
      }
      if (chunk.length === 0) break;
      parts.push(chunk);
      got += chunk.length;
    }
    const body = Buffer.concat(parts);
    return { fd, docType: head.docType, body, json: tlvToJson(body) };
  }

  async openShift(): Promise<void> {
    await this.exec(CMD.openShift, this.sys, REPLY_MS.shift);
  }
  async xReport(): Promise<void> {
    await this.exec(CMD.xReport, this.sys, REPLY_MS.report);
  }
  /** Z-report: closes the shift in the FN (a fiscal document). */
  async zReport(): Promise<void> {
    await this.exec(CMD.zReport, this.sys, REPLY_MS.report);
  }
  /** Non-fiscal line (17h) on the receipt tape: flags bit 1 = receipt tape; 40 bytes WIN-1251. */
  async printLine(text: string): Promise<void> {
    await this.exec(CMD.printLine, Buffer.concat([this.op, new ByteWriter().u8(0x02).text(text, 40).build()]), REPLY_MS.op);
  }
  async continuePrint(): Promise<void> {
    await this.exec(CMD.continuePrint, this.op, REPLY_MS.op);
  }
  async cancelReceipt(): Promise<void> {
    await this.exec(CMD.cancelReceipt, this.op, REPLY_MS.op);
  }
  async operationV2(op: Omit<OperationV2, 'password'>): Promise<void> {
    await this.exec(CMD.operationV2, encodeOperationV2({ ...op, password: this.passwords.operator }), REPLY_MS.report);
  }
  async closeReceiptV2(c: Omit<CloseV2, 'password'>): Promise<CloseV2Reply> {
    return decodeCloseV2(await this.exec(CMD.closeReceiptV2, encodeCloseV2({ ...c, password: this.passwords.operator }), REPLY_MS.report));
  }

  /** FF30h/FF31h: the FN's next message for the OFD, or null when it has none. */
  async readOfdMessage(): Promise<Buffer | null> {
    const r = new ByteReader(await this.exec(CMD.ofdDataReady, this.sys, REPLY_MS.report));
    const length = r.uint(2);
    const maxBlock = Math.max(1, r.u8());
    if (length === 0) return null;
    const parts: Buffer[] = [];
    for (let off = 0; off < length; off += maxBlock) {
      const n = Math.min(maxBlock, length - off);
      parts.push(await this.exec(CMD.ofdReadBlock, pw(this.passwords.sysadmin).uint(off, 2).u8(n).build(), REPLY_MS.report));
    }
    return Buffer.concat(parts);
  }

  /** FF32h/FF33h: hands the OFD's answer (header + ticket) back to the FN. */
  async writeOfdTicket(answer: Buffer): Promise<void> {
    const maxBlock = Math.max(1, (await this.exec(CMD.ofdWriteStart, pw(this.passwords.sysadmin).uint(answer.length, 2).build(), REPLY_MS.report))[0] ?? 1);
    for (let off = 0; off < answer.length; off += maxBlock) {
      const part = answer.subarray(off, off + maxBlock);
      await this.exec(CMD.ofdWriteBlock, new ByteWriter().uint(this.passwords.sysadmin, 4).uint(off, 2).u8(part.length).bytes(part).build(), REPLY_MS.report);
    }
  }

  static paperOut(s: ShortStatus): boolean {
    return s.submode === 1 || s.submode === 2 || (s.flags & FLAG.receiptPaperSensor) === 0;
  }
  static coverOpen(s: ShortStatus): boolean {
    return (s.flags & FLAG.coverOpen) !== 0;
  }
}
