// The power-loss sequence with fake timers and the in-process GPIO simulator: debounce,
// flicker, grace expiry, a sale in flight when power drops, and the SIGTERM path.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SalesGate } from '../../firmware/api/sales-gate.js';
import { PowerMonitor } from '../../firmware/power/power-monitor.js';
import { PowerSequence, type PowerState } from '../../firmware/power/power-sequence.js';
import { SimulatedGpio } from '../../firmware/power/simulated-gpio.js';
import type { StatusPublisher } from '../../firmware/status-publisher.js';
import type { Problem } from '../../shared/http/problem.js';
import { silentLogger } from '../../shared/logger.js';

// X728: the line goes high (1) when mains is lost.
const LOSS = 1;
const OK = 0;

function rig(opts: { graceMs?: number; debounceMs?: number; startLevel?: 0 | 1 } = {}) {
  const steps: string[] = [];
  const published: Record<string, unknown>[] = [];
  const states: PowerState[] = [];
  const gpio = new SimulatedGpio(opts.startLevel ?? OK);
  const gate = new SalesGate();
  const status: StatusPublisher = { publish: async (subject, s) => { steps.push(`publish:${String(s.state)}`); published.push({ subject, ...s }); } };
  const monitor = new PowerMonitor(gpio, { lossLevel: LOSS, debounceMs: opts.debounceMs ?? 50 });
  const seq = new PowerSequence({
    gate, status, log: silentLogger(), node: 'box01', graceMs: opts.graceMs ?? 30_000, retryAfterS: 60,
    checkpoint: () => steps.push('checkpoint'),
    stopBox: async () => { steps.push('stopBox'); },
    powerOff: async () => { steps.push('powerOff'); },
  }, monitor);
  seq.on('state', (s) => states.push(s));
  return { steps, published, states, gpio, gate, seq };
}

async function refusal(gate: SalesGate): Promise<Problem> {
  try {
    await gate.run(async () => 'sold');
  } catch (err) {
    return err as Problem;
  }
  throw new Error('the gate let a sale through');
}

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('power-loss sequence (GPIO simulator, fake timers)', () => {
  it('a chattering line shorter than the debounce is no power loss', async () => {
    const r = rig({ debounceMs: 50 });
    await r.seq.start();
    for (let i = 0; i < 5; i++) {
      r.gpio.set(LOSS);
      await vi.advanceTimersByTimeAsync(10);
      r.gpio.set(OK);
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.seq.state).toBe('mains');
    expect(r.gate.closed).toBeNull();
    expect(r.steps).toEqual(['publish:mains']);
  });

  it('mains lost: sales paused with 503 + Retry-After, WAL checkpointed, power published, then poweroff after the grace', async () => {
    const r = rig({ graceMs: 30_000 });
    await r.seq.start();
    r.gpio.set(LOSS);
    await vi.advanceTimersByTimeAsync(50);
    expect(r.seq.state).toBe('on_battery');
    const p = await refusal(r.gate);
    expect(p.status).toBe(503);
    expect(p.headers['Retry-After']).toBe('60');
    expect(p.body.type).toMatch(/power-loss$/);
    expect(String(p.body.cashier_message)).toMatch(/питание/);
    expect(r.steps).toEqual(['publish:mains', 'checkpoint', 'publish:on_battery']);
    expect(r.published.at(-1)).toMatchObject({ subject: 'power', state: 'on_battery', mains: false, grace_ms: 30_000 });

    await vi.advanceTimersByTimeAsync(29_000);
    expect(r.steps).not.toContain('stopBox');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(r.steps).toEqual(['publish:mains', 'checkpoint', 'publish:on_battery', 'checkpoint', 'publish:shutting_down', 'stopBox', 'powerOff']);
    expect(r.states).toEqual(['on_battery', 'shutting_down', 'stopped']);
  });

  it('a flicker (mains back within the grace) resumes sales without a reboot', async () => {
    const r = rig({ graceMs: 30_000 });
    await r.seq.start();
    r.gpio.set(LOSS);
    await vi.advanceTimersByTimeAsync(50);
    expect(r.gate.closed?.cause).toBe('power-loss');
    await vi.advanceTimersByTimeAsync(10_000);
    r.gpio.set(OK);
    await vi.advanceTimersByTimeAsync(50);
    expect(r.seq.state).toBe('mains');
    expect(r.gate.closed).toBeNull();
    await expect(r.gate.run(async () => 'sold')).resolves.toBe('sold');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(r.steps).not.toContain('stopBox');
    expect(r.steps).not.toContain('powerOff');
    expect(r.published.at(-1)).toMatchObject({ state: 'mains', mains: true, reason: 'mains restored' });
  });

  it('the sale being printed when power drops finishes before the checkpoint; new sales are refused meanwhile', async () => {
    const r = rig();
    await r.seq.start();
    let finishPrint!: (v: string) => void;
    const inFlight = r.gate.run(() => new Promise<string>((resolve) => { finishPrint = resolve; }));
    r.gpio.set(LOSS);
    await vi.advanceTimersByTimeAsync(50);
    expect(r.seq.state).toBe('on_battery');
    expect((await refusal(r.gate)).status).toBe(503);
    expect(r.steps).toEqual(['publish:mains']); // waiting for the print, no checkpoint yet
    finishPrint('printed');
    await expect(inFlight).resolves.toBe('printed');
    await vi.advanceTimersByTimeAsync(0);
    expect(r.steps).toEqual(['publish:mains', 'checkpoint', 'publish:on_battery']);
  });

  it('SIGTERM takes the same path without powering off, once', async () => {
    const r = rig();
    await r.seq.start();
    await Promise.all([r.seq.shutdown('SIGTERM'), r.seq.shutdown('SIGTERM')]);
    expect(r.steps).toEqual(['publish:mains', 'checkpoint', 'publish:shutting_down', 'stopBox']);
    expect((await refusal(r.gate)).body.type).toMatch(/shutting-down$/);
    expect(r.seq.state).toBe('stopped');
  });

  it('a print that never ends does not keep the box from powering off', async () => {
    const r = rig({ graceMs: 1_000 });
    await r.seq.start();
    void r.gate.run(() => new Promise<string>(() => {}));
    r.gpio.set(LOSS);
    await vi.advanceTimersByTimeAsync(50 + 1_000);
    expect(r.steps).not.toContain('stopBox');
    await vi.advanceTimersByTimeAsync(15_000);
    expect(r.steps.slice(-3)).toEqual(['publish:shutting_down', 'stopBox', 'powerOff']);
  });

  it('a box that boots on battery goes straight into the loss sequence', async () => {
    const r = rig({ startLevel: LOSS, graceMs: 5_000 });
    await r.seq.start();
    expect(r.seq.state).toBe('on_battery');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(r.steps.at(-1)).toBe('powerOff');
  });
});
