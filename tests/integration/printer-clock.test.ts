// The printer's clock as the reference of a box without RTC: the Shtrih-M emulator on a real
// PTY, its clock right or 3 h off; the clock watch reads it at start-up.
import { afterEach, describe, expect, it } from 'vitest';
import { startPrinterBox, type PrinterBox } from '../helpers/printer-box.js';

let pb: PrinterBox | null = null;
afterEach(async () => { await pb?.stopAll(); pb = null; });

describe('printer clock vs system clock', () => {
  it('agrees when both are right: no alarm, offset within seconds', async () => {
    pb = await startPrinterBox();
    const offset = pb.box.clockWatch.snapshot.get('printer')?.offset_s;
    expect(offset).toBeDefined();
    expect(Math.abs(offset!)).toBeLessThan(5);
    expect(pb.box.clockWatch.alarm).toBe(false);
  });

  it('the printer 3 h ahead (or the Pi 3 h behind): drift alarm in /health and the metric', async () => {
    pb = await startPrinterBox({ clockOffsetMs: 3 * 3_600_000 });
    const health = await (await pb.get('/health')).json() as { status: string; degraded: string[]; components: { clock: { detail: { state: string } } } };
    expect(health.degraded).toContain('clock');
    expect(health.components.clock.detail.state).toBe('drift');
    expect(await (await pb.get('/metrics')).text()).toMatch(/box_clock_offset_seconds\{source="printer"\} -10[78]\d\d/);
  });
});
