// After a clean exchange the device waits for STX, so queries and receipt items go out
// without ENQ (one round trip fewer each); the close, which makes the fiscal document, always
// starts with ENQ, because only an unanswered ENQ proves a command was never sent.
import { afterEach, describe, expect, it } from 'vitest';
import { ACK, ENQ, STX } from '../../firmware/printer/codec/frame.js';
import { CMD } from '../../firmware/printer/codec/commands.js';
import { sale, startRig, type Rig } from './rig.js';

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

/**
 * Every unit the host sends (a control byte, or a frame with its command), in order. One write
 * may carry several (the ACK of a reply goes out with the next frame).
 */
function recordStarts(r: Rig): { first: number; cmd: number | null }[] {
  const starts: { first: number; cmd: number | null }[] = [];
  const write = r.line.write.bind(r.line);
  r.line.write = (bytes: Buffer) => {
    for (let i = 0; i < bytes.length;) {
      const b0 = bytes[i] as number;
      if (b0 !== STX) {
        starts.push({ first: b0, cmd: null });
        i++;
        continue;
      }
      starts.push({ first: b0, cmd: bytes[i + 2] === 0xff ? 0xff00 | (bytes[i + 3] as number) : (bytes[i + 2] as number) });
      i += (bytes[i + 1] as number) + 3;
    }
    return write(bytes);
  };
  return starts;
}

/** For each frame sent: was the write just before it an ENQ? */
function enqBeforeFrames(starts: { first: number; cmd: number | null }[]): { cmd: number; enq: boolean }[] {
  return starts.flatMap((s, i) => (s.first === STX && s.cmd !== null ? [{ cmd: s.cmd, enq: starts[i - 1]?.first === ENQ }] : []));
}

describe('transport fast start', () => {
  it('skips ENQ after a clean exchange, except before the close', async () => {
    rig = await startRig({ memory: true, emulator: { fnDocMs: 0, printLineMs: 0 } });
    const starts = recordStarts(rig);
    rig.transport.lineOpened(); // the link's state is unknown again: ENQ first
    await rig.driver.shortStatus();
    await rig.driver.shortStatus();
    await rig.print(sale(1000));
    const frames = enqBeforeFrames(starts);
    expect(frames[0]).toEqual({ cmd: CMD.shortStatus, enq: true });
    expect(frames[1]).toEqual({ cmd: CMD.shortStatus, enq: false });
    const close = frames.find((f) => f.cmd === CMD.closeReceiptV2);
    expect(close).toEqual({ cmd: CMD.closeReceiptV2, enq: true });
    expect(frames.filter((f) => f.cmd === CMD.operationV2).every((f) => !f.enq)).toBe(true);
    expect(rig.transport.stats.enqSkipped).toBe(frames.filter((f) => !f.enq).length);
  });

  it('the ACK of a reply and the next frame leave in one write', async () => {
    rig = await startRig({ memory: true, emulator: { fnDocMs: 0, printLineMs: 0 } });
    await rig.print(sale(1000));
    const writes: Buffer[] = [];
    const write = rig.line.write.bind(rig.line);
    rig.line.write = (bytes: Buffer) => {
      writes.push(Buffer.from(bytes));
      return write(bytes);
    };
    await rig.print(sale(2000));
    // The status reply's ACK rides with the item's frame, the item reply's ACK with the close's ENQ.
    expect(writes.some((w) => w[0] === ACK && w[1] === STX && w[3] === 0xff && w[4] === 0x46)).toBe(true);
    expect(writes.some((w) => w[0] === ACK && w[1] === ENQ)).toBe(true);
    expect(writes.every((w) => w.length > 1 || w[0] !== ACK || w === writes.at(-1))).toBe(true);
  });

  it('goes back to ENQ after an exchange that failed', async () => {
    rig = await startRig({ memory: true, emulator: { fnDocMs: 0, printLineMs: 0 } });
    await rig.driver.shortStatus();
    const starts = recordStarts(rig);
    rig.emu.faults.silence = true;
    await expect(rig.driver.shortStatus()).rejects.toThrow(/no answer|timed out/);
    rig.emu.faults.silence = false;
    await rig.driver.shortStatus();
    const frames = enqBeforeFrames(starts);
    expect(frames[0]).toEqual({ cmd: CMD.shortStatus, enq: false }); // the fast start that met silence
    expect(frames.at(-1)).toEqual({ cmd: CMD.shortStatus, enq: true });
  });
});
