// The sweep's bookkeeping with a scripted FN (the wire path is covered for real in
// tests/integration/fn-reports-to-ofd.test.ts): documents it found not to be reports are not
// looked up again, so a report behind many of them is reached, in a later pass if need be.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReceiptBuffer } from '../../firmware/buffer/receipt-buffer.js';
import { HybridLogicalClock } from '../../firmware/clock/hlc.js';
import type { PrinterService } from '../../firmware/printer/service.js';
import { FnReportSweep } from '../../firmware/uplink/fn-report-sweep.js';
import { silentLogger } from '../../shared/logger.js';
import { tempDir } from '../helpers/temp-dir.js';

const FN = '9999078900012345';
const dirs: { remove(): void }[] = [];
afterEach(() => { for (const d of dirs.splice(0)) d.remove(); });

function scriptedFn(forms: Record<number, number>) {
  const lookups: number[] = [];
  const fds = Object.keys(forms).map(Number);
  const driver = {
    exchangeStatus: async () => ({ status: 0, reading: false, queued: fds.length, firstFd: Math.min(...fds), firstDate: new Date() }),
    fnStatus: async () => ({ fnNumber: FN, lastFd: Math.max(...fds), dateTime: new Date() }),
    findFd: async (fd: number) => {
      lookups.push(fd);
      const docType = forms[fd]!;
      return docType === 2 || docType === 5
        ? { docType, ticketReceived: false, dateTime: new Date('2026-11-26T09:00:00Z'), fd, fp: 1000 + fd, shift: 3 }
        : { docType, ticketReceived: false };
    },
  };
  const printer = { state: 'connected', fiscaliser: { run: <T>(fn: (d: typeof driver) => Promise<T>) => fn(driver) } };
  return { printer: printer as unknown as PrinterService, lookups };
}

describe('FN report sweep', () => {
  it('a shift report behind 60 documents that are not reports is recorded on the next pass, once', async () => {
    const d = tempDir('sweep-');
    dirs.push(d);
    const buffer = ReceiptBuffer.open(join(d.path, 'box.db'), { clock: new HybridLogicalClock({ node: 'b' }), capacity: 100 });
    const forms: Record<number, number> = {};
    for (let fd = 1; fd <= 60; fd++) forms[fd] = 3; // receipts printed by another program
    forms[61] = 5;
    const { printer, lookups } = scriptedFn(forms);
    const sweep = new FnReportSweep(printer, buffer, silentLogger(), { periodMs: 60_000, maxLookups: 50 });
    expect(await sweep.sweep()).toBe(0);
    expect(lookups).toHaveLength(50);
    expect(await sweep.sweep()).toBe(1);
    expect(lookups.slice(50)).toEqual(Array.from({ length: 11 }, (_, i) => 51 + i));
    expect(await sweep.sweep()).toBe(0);
    expect(lookups).toHaveLength(61); // nothing asked twice
    const report = buffer.pending(10).find((r) => r.type === 'shift_close');
    expect(report).toMatchObject({ posId: 'fn', status: 'printed', total: 0, fiscalData: { fiscal_document_number: 61, fiscal_sign: '1061', fn_serial: FN, shift_number: 3 } });
    expect(buffer.status().current_queued).toBe(1);
    buffer.close();
  });
});
