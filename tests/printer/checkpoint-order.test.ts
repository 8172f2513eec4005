// The FN checkpoint must be durable before the close is sent; its write (an fsync, slow on an
// SD card) is started once the first item is with the device so the two overlap.
import { afterEach, describe, expect, it } from 'vitest';
import { startRig, sale, fiscalReceipts, type Rig } from './rig.js';
import type { Checkpoint } from '../../firmware/printer/fiscaliser.js';

const CLOSE = 0xff45;
const ITEM = 0xff46;

describe('checkpoint write order (real PTY)', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.close();
  });

  it('is written after the first item was sent and before the close, and the close waits for it', async () => {
    rig = await startRig();
    await rig.print();
    const closesBefore = rig.emu.device.executed.get(CLOSE) ?? 0;
    const commandsBefore = rig.transport.stats.commands;
    const seen: { commands: number; closes: number; itemsExecuted: number; itemFramesWritten: number }[] = [];
    const itemsBefore = rig.emu.device.executed.get(ITEM) ?? 0;
    // Item frames the host has handed to the line (STX LEN FF 46 ...), counted at the write.
    let itemFramesWritten = 0;
    const write = rig.line.write.bind(rig.line);
    rig.line.write = (bytes: Buffer) => {
      for (let i = 0; i + 3 < bytes.length; i++) if (bytes[i] === 0x02 && bytes[i + 2] === 0xff && bytes[i + 3] === 0x46) itemFramesWritten++;
      return write(bytes);
    };
    const r = await rig.fiscaliser.print(sale(2500), () => {
      // A slow disk: the item's exchange goes on meanwhile; the close must not.
      const until = performance.now() + 20;
      while (performance.now() < until);
      seen.push({
        commands: rig.transport.stats.commands - commandsBefore,
        closes: (rig.emu.device.executed.get(CLOSE) ?? 0) - closesBefore,
        itemsExecuted: (rig.emu.device.executed.get(ITEM) ?? 0) - itemsBefore,
        itemFramesWritten,
      });
    });
    // The item's frame was on the line (the save overlaps the device's work on it); the device
    // had not finished the item, and the close had not run.
    expect(seen).toEqual([{ commands: 2, closes: 0, itemsExecuted: 0, itemFramesWritten: 1 }]);
    expect(r.fd).toBe(rig.emu.fn.state.lastFd);
    expect((rig.emu.device.executed.get(CLOSE) ?? 0) - closesBefore).toBe(1);
  });

  it('a checkpoint that cannot be stored: no close is sent, the open receipt is cancelled, nothing is fiscalised', async () => {
    rig = await startRig();
    await rig.print();
    const before = fiscalReceipts(rig.emu);
    const closesBefore = rig.emu.device.executed.get(CLOSE) ?? 0;
    const err = await rig.fiscaliser.print(sale(3100), (_c: Checkpoint) => {
      throw new Error('SQLITE_FULL: database or disk is full');
    }).then(() => new Error('printed'), (e: unknown) => e as Error);
    expect(err.message).toMatch(/disk is full/);
    expect(rig.emu.device.executed.get(CLOSE) ?? 0).toBe(closesBefore);
    expect(rig.emu.device.receipt).toBeNull();
    expect(fiscalReceipts(rig.emu)).toBe(before);
    // The next sale prints normally.
    const r = await rig.print(sale(3100));
    expect(r.fd).toBe(rig.emu.fn.state.lastFd);
  });
});
