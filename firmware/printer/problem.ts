// Printer failures as RFC 9457 problems for the LAN API: the cause in plain words (ru + en),
// what the cashier should do, and whether the receipt was fiscalised (never, except "unknown").
import { Problem } from '../../shared/http/problem.js';
import { PrinterError, PrinterUnavailableError, PrintTimeoutError, UncertainOutcomeError } from './errors.js';
import { FiscalUncertainError } from './fiscaliser.js';

/** 409 for states the POS must act on (shift, open document), 503 for "printer not ready now". */
const STATUS_BY_KIND: Record<string, number> = {
  'shift-expired': 409, 'shift-open': 409, 'shift-closed': 409, 'receipt-state': 409,
  'bad-request': 422, overflow: 422, password: 500,
};

export function printerProblem(err: unknown): Problem | null {
  if (err instanceof PrinterError) {
    const status = STATUS_BY_KIND[err.kind] ?? 503;
    return new Problem(status, `printer-${err.kind}`, `Printer: ${err.en}`, `${err.en}. ${err.action}`, {
      printer_error: { code: err.code, kind: err.kind, message_ru: err.ru, message_en: err.en, action: err.action },
      fiscalised: false,
    }, status === 503 ? { 'retry-after': '5' } : {});
  }
  if (err instanceof FiscalUncertainError) {
    return new Problem(504, 'printer-outcome-unknown', 'Printer: outcome unknown',
      `${err.message}. ${err.action}`, {
        printer_error: { kind: 'uncertain', message_ru: err.ru, message_en: 'it is not yet known whether the receipt was fiscalised', action: err.action },
        fiscalised: null,
      }, { 'retry-after': '10' });
  }
  if (err instanceof PrintTimeoutError) {
    return new Problem(503, 'printer-timeout', 'Printer: timed out', `${err.message}. ${err.action}`, {
      printer_error: { kind: 'timeout', message_ru: err.ru, message_en: 'the printer did not finish in time', action: err.action },
      fiscalised: false,
    }, { 'retry-after': '5' });
  }
  if (err instanceof PrinterUnavailableError || err instanceof UncertainOutcomeError) {
    const e = err instanceof PrinterUnavailableError ? err : new PrinterUnavailableError(err.message);
    return new Problem(503, 'printer-disconnected', 'Printer disconnected', `${e.message}. ${e.action}`, {
      printer_error: { kind: 'disconnected', message_ru: e.ru, message_en: 'no connection to the fiscal printer', action: e.action },
      fiscalised: false,
    }, { 'retry-after': '5' });
  }
  return null;
}
