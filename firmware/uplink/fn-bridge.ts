// The uplink's narrow view of the fiscal drive: read a document's TLV, hand an OFD ticket
// back (so the FN's count of documents without a ticket falls), read that count. With a
// printer these go through its command queue; without one (tests, a box not yet wired to a
// printer) a synthetic TLV is built from the stored receipt and tickets are only recorded.
import type { OfdTicket } from '../../shared/mqtt/messages.js';
import type { StoredReceipt } from '../buffer/receipt-buffer.js';
import { parseTlvs, str, tlv, u32, u8, vln } from '../printer/codec/tlv.js';
import type { PrinterService } from '../printer/service.js';
import type { TlvSource } from './outbox.js';

export interface FnBridge extends TlvSource {
  /** Hands the OFD's confirmation to the FN; throws when the FN did not take it. */
  handTicket(ticket: OfdTicket): Promise<void>;
  /** Documents the FN holds without a ticket, or null when unknown (no printer / offline). */
  unconfirmed(): Promise<number | null>;
  /**
   * Age in seconds of the oldest document without a ticket, on the FN's own clock (the FN
   * blocks after 30 days of it); null when there is none or it cannot be asked.
   */
  oldestUnconfirmedAgeS?(): Promise<number | null>;
}

/** The FN answer header the Shtrih FF32h/FF33h path expects before the ticket's TLVs (30 bytes). */
const ANSWER_HEADER_LEN = 30;

export function printerFnBridge(printer: PrinterService): FnBridge {
  return {
    async tlv(_r, fd) {
      const doc = await printer.fiscaliser.run((d) => d.readDocument(fd));
      return tlv(doc.docType, doc.body);
    },
    async handTicket(ticket) {
      const outer = parseTlvs(Buffer.from(ticket.tlv_b64, 'base64'))[0];
      if (!outer) throw new Error('empty OFD ticket');
      const answer = Buffer.concat([Buffer.alloc(ANSWER_HEADER_LEN), outer.tag === 7 ? outer.value : Buffer.from(ticket.tlv_b64, 'base64')]);
      try {
        await printer.fiscaliser.run((d) => d.writeOfdTicket(answer));
      } catch (err) {
        // A box killed after the FN took the ticket but before the receipt became synced gets
        // the same ticket again after the restart, and the FN refuses a second one for the
        // document. If the FN already holds a ticket for it, the hand-over did happen.
        const found = await printer.fiscaliser.run((d) => d.findFd(ticket.fd_number)).catch(() => null);
        if (found?.ticketReceived) return;
        throw err;
      }
    },
    async unconfirmed() {
      if (printer.state !== 'connected') return null;
      try {
        return await printer.fiscaliser.run((d) => d.unconfirmedCount());
      } catch {
        return null;
      }
    },
    async oldestUnconfirmedAgeS() {
      if (printer.state !== 'connected') return null;
      try {
        return await printer.fiscaliser.run(async (d) => {
          const ex = await d.exchangeStatus();
          if (!ex.firstDate) return null;
          const fn = await d.fnStatus();
          return Math.max(0, Math.round((fn.dateTime.getTime() - ex.firstDate.getTime()) / 1000));
        });
      } catch {
        return null;
      }
    },
  };
}

/** No printer: a faithful-enough receipt TLV (form 3) from the stored receipt and its fiscal data. */
export function syntheticFnBridge(): FnBridge & { tickets: OfdTicket[] } {
  const tickets: OfdTicket[] = [];
  return {
    tickets,
    async tlv(r: StoredReceipt, fd: number) {
      const f = (r.fiscalData ?? {}) as { fiscal_sign?: string; fn_serial?: string; shift_number?: number; receipt_number?: number; printed_at?: string };
      const fp = Buffer.alloc(6);
      fp.writeUInt32BE(Number(f.fiscal_sign ?? 0) >>> 0, 2);
      const change = r.receipt.change;
      const cash = r.receipt.payments.filter((p) => p.method === 'cash').reduce((s, p) => s + p.amount, 0) - change;
      const card = r.receipt.payments.filter((p) => p.method === 'card').reduce((s, p) => s + p.amount, 0);
      const at = u32(Math.floor(Date.parse(f.printed_at ?? r.createdAt) / 1000));
      const items = r.receipt.items.map((it) => tlv(1059, Buffer.concat([
        tlv(1030, str(it.name)), tlv(1079, vln(it.price)), tlv(1023, Buffer.concat([u8(3), vln(it.qty)])), tlv(1043, vln(it.sum)),
        tlv(1199, u8(1)), tlv(1214, u8(4)), tlv(1212, u8(1)),
      ])));
      return tlv(3, Buffer.concat([
        tlv(1209, u8(4)), tlv(1042, u32(f.receipt_number ?? 1)), tlv(1012, at), tlv(1038, u32(f.shift_number ?? 1)),
        tlv(1054, u8(r.type === 'refund' ? 2 : 1)), tlv(1037, str('0000000001012345    ')), tlv(1009, str('demo address')),
        tlv(1187, str('demo store')), ...items, tlv(1020, vln(r.total)), tlv(1031, vln(cash)), tlv(1081, vln(card)),
        tlv(1040, u32(fd)), tlv(1041, str(f.fn_serial ?? '9999078900012345')), tlv(1077, fp),
      ]));
    },
    async handTicket(ticket) { tickets.push(ticket); },
    async unconfirmed() { return null; },
  };
}
