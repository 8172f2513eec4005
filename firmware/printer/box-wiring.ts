// The printer's two other faces in the box: the /health section and the shift/report
// commands of the LAN API.
import type { HealthCheck } from '../health/health.js';
import type { KktOperations } from '../api/routes/kkt.js';
import { printerProblem } from './problem.js';
import type { PrinterService } from './service.js';

/** ok = the printer answers; what a cashier must fix (paper, shift, FN) is listed as warnings. */
export function printerHealthCheck(printer: PrinterService): HealthCheck {
  return {
    name: 'printer',
    async check() {
      const h = await printerStatus(printer);
      return { ok: h.connected === true && h.error === undefined, detail: h };
    },
  };
}

async function printerStatus(printer: PrinterService): Promise<Record<string, unknown>> {
  const h = await printer.readHealth();
  if (!h.connected) return { ...h, message: 'printer disconnected', path: printer.cfg.path };
  const warnings: string[] = [];
  if (h.paper === 'out') warnings.push('out of paper: load a new roll');
  if (h.coverOpen) warnings.push('cover open: close it');
  if (h.mode === 'shift-expired') warnings.push('shift over 24 h: run a Z-report (POST /v1/kkt/shift/close)');
  if (h.fn && h.fn.daysLeft < 30) warnings.push(`fiscal drive expires in ${h.fn.daysLeft} days: plan its replacement`);
  return { ...h, warnings };
}

export function printerKktOperations(printer: PrinterService): KktOperations {
  return {
    problem: printerProblem,
    async openShift() {
      await printer.openShift();
      // The opening report is a fiscal document too: name it, as the Z-report's answer does.
      const { s, fn } = await printer.fiscaliser.run(async (d) => ({ s: await d.shiftParams(), fn: await d.fnStatus() }));
      return { shift_open: s.open, shift_number: s.shift, fiscal_document_number: fn.lastFd };
    },
    async xReport() {
      await printer.xReport();
      const s = await printer.fiscaliser.run((d) => d.shiftParams());
      return { printed: 'x-report', shift_open: s.open, shift_number: s.shift, receipts_in_shift: s.receipt };
    },
    async testPrint() {
      const lines = ['OpticsERP: test print', `box time ${new Date().toISOString().slice(0, 19)}Z`, 'not a fiscal document'];
      await printer.testPrint(lines);
      return { printed: 'test', lines: lines.length };
    },
    async closeShift() {
      const before = await printer.fiscaliser.run((d) => d.shiftParams());
      await printer.closeShift();
      const fn = await printer.fiscaliser.run((d) => d.fnStatus());
      return { printed: 'z-report', shift_open: false, shift_number: before.shift, receipts_in_shift: before.receipt, fiscal_document_number: fn.lastFd };
    },
  };
}
