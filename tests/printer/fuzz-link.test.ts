// Garbage on the serial line, both directions: the emulator must shrug it off and keep
// answering; the host transport facing a babbling device must fail cleanly and in time.
import { describe, expect, it } from 'vitest';
import { startRig } from './rig.js';
import { memoryPair } from '../../hardware/shtrih-emulator/memory-line.js';
import { Transport } from '../../firmware/printer/transport.js';
import { PrinterUnavailableError, UncertainOutcomeError } from '../../firmware/printer/errors.js';
import { silentLogger } from '../../shared/logger.js';

function prng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

describe('fuzzing the line', () => {
  it('the emulator survives 3000 random chunks (with STX/ENQ bias) and still prints', async () => {
    const rig = await startRig({ memory: true });
    const rnd = prng(7);
    const raw = (rig.emu as unknown as { link: { onBytes(b: Buffer): void } }).link;
    for (let i = 0; i < 3000; i++) {
      const len = 1 + Math.floor(rnd() * 12);
      const b = Buffer.from(Array.from({ length: len }, () => {
        const r = rnd();
        return r < 0.1 ? 0x02 : r < 0.15 ? 0x05 : r < 0.2 ? 0x06 : Math.floor(rnd() * 256);
      }));
      raw.onBytes(b);
    }
    await new Promise((r) => setTimeout(r, 150));
    rig.emu.link.reset();
    const r = await rig.print();
    expect(r.fd).toBe(rig.emu.fn.state.lastFd);
    await rig.close();
  });

  it('the host facing a babbling device fails with typed errors within its deadline, never returns garbage', async () => {
    const { device, host } = memoryPair();
    await device.open();
    await host.open();
    const rnd = prng(99);
    device.onData(() => {
      const n = Math.floor(rnd() * 6);
      void device.write(Buffer.from(Array.from({ length: n }, () => (rnd() < 0.3 ? 0x06 : Math.floor(rnd() * 256)))));
    });
    const t = new Transport(host, silentLogger(), { byteTimeoutMs: 20, ackTimeoutMs: 50, maxEnqAttempts: 3, maxRetries: 5, replyPollMs: 50 });
    for (let i = 0; i < 8; i++) {
      const t0 = Date.now();
      try {
        const f = await t.send(0x10, Buffer.from([30, 0, 0, 0]), 400);
        // By chance a valid frame for 10h could appear; it must then really be a 10h reply.
        expect(f.cmd).toBe(0x10);
      } catch (err) {
        expect(err instanceof PrinterUnavailableError || err instanceof UncertainOutcomeError).toBe(true);
      }
      expect(Date.now() - t0).toBeLessThan(1500);
    }
  });
});
