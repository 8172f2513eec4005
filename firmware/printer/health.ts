// What /health says about the printer: connection, mode, paper, shift age, FN lifetime and the
// documents still waiting for an OFD ticket. Read through the same queue as receipts, cached
// briefly so a health poll never competes with sales.
import { ShtrihDriver } from './driver.js';
import type { Fiscaliser } from './fiscaliser.js';
import type { LineState } from './connection.js';

export type PrinterMode = 'shift-open' | 'shift-expired' | 'shift-closed' | 'receipt-open' | 'other';

export interface PrinterHealth {
  connected: boolean;
  state: LineState;
  mode?: PrinterMode;
  paper?: 'ok' | 'out';
  coverOpen?: boolean;
  shift?: { open: boolean; number: number; receipts: number; ageMinutes: number | null };
  fn?: { number: string; daysLeft: number; unconfirmed: number; oldestUnconfirmedAgeMinutes: number | null; warnings: number };
  error?: string;
}

function modeName(mode: number): PrinterMode {
  if (mode === 2) return 'shift-open';
  if (mode === 3) return 'shift-expired';
  if (mode === 4) return 'shift-closed';
  if (mode === 8) return 'receipt-open';
  return 'other';
}

/** Finds when the open shift began: walks back from the last FD to its shift-open document. */
export async function findShiftStart(d: ShtrihDriver, lastFd: number, maxSteps = 300): Promise<Date | null> {
  for (let fd = lastFd, n = 0; fd > 0 && n < maxSteps; fd--, n++) {
    const doc = await d.findFd(fd);
    if (doc.docType === 2) return doc.dateTime ?? null;
    if (doc.docType === 5) return null;
  }
  return null;
}

export class PrinterHealthProbe {
  private cache: { at: number; value: PrinterHealth } | null = null;
  private shiftStart: { shift: number; at: Date | null } | null = null;

  constructor(private readonly fiscaliser: Fiscaliser, private readonly state: () => LineState, private readonly ttlMs = 2000) {}

  /** Forget cached values (after a receipt, a Z-report, a reconnect). */
  invalidate(): void {
    this.cache = null;
  }

  async read(now = new Date()): Promise<PrinterHealth> {
    const state = this.state();
    if (state !== 'connected') return { connected: false, state };
    if (this.cache && now.getTime() - this.cache.at < this.ttlMs) return this.cache.value;
    try {
      const value = await this.fiscaliser.run(async (d) => {
        const s = await d.shortStatus();
        const fn = await d.fnStatus();
        const shift = await d.shiftParams();
        const exp = await d.fnExpiry();
        const ex = await d.exchangeStatus();
        if (shift.open && this.shiftStart?.shift !== shift.shift) this.shiftStart = { shift: shift.shift, at: await findShiftStart(d, fn.lastFd) };
        // Ages are measured on the FN's own clock, the same wall-clock base its documents use.
        const minutesSince = (d0: Date | null | undefined) => (d0 ? Math.max(0, Math.round((fn.dateTime.getTime() - d0.getTime()) / 60_000)) : null);
        const h: PrinterHealth = {
          connected: true, state, mode: modeName(s.mode), paper: ShtrihDriver.paperOut(s) ? 'out' : 'ok', coverOpen: ShtrihDriver.coverOpen(s),
          shift: { open: shift.open, number: shift.shift, receipts: shift.receipt, ageMinutes: shift.open ? minutesSince(this.shiftStart?.at) : null },
          fn: {
            number: fn.fnNumber, daysLeft: Math.floor((exp.expires.getTime() - fn.dateTime.getTime()) / 86_400_000),
            unconfirmed: ex.queued, oldestUnconfirmedAgeMinutes: minutesSince(ex.firstDate), warnings: fn.warnings,
          },
        };
        return h;
      });
      this.cache = { at: now.getTime(), value };
      return value;
    } catch (err) {
      // Cached too: a silent printer must not make every /health call wait for its timeouts.
      const value: PrinterHealth = { connected: this.state() === 'connected', state: this.state(), error: (err as Error).message };
      this.cache = { at: now.getTime(), value };
      return value;
    }
  }
}
