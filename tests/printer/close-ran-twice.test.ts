// A close that reaches the device twice (its first run's reply lost on the way, the frame sent
// again) meets a closed receipt the second time: 55h. That answer must not be read as "not
// fiscalised" - the first run made the document - or the POS's retry prints the sale again.
import { afterEach, describe, expect, it } from 'vitest';
import { STX } from '../../firmware/printer/codec/frame.js';
import { startRig, sale, fiscalReceipts, type Rig } from './rig.js';

/** Runs every close frame the host writes once on the device first, as an earlier copy would have. */
function closeRunsEarly(rig: Rig): void {
  const write = rig.line.write.bind(rig.line);
  rig.line.write = (bytes: Buffer) => {
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === STX && bytes[i + 2] === 0xff && bytes[i + 3] === 0x45) {
        const len = bytes[i + 1] as number;
        const reply = rig.emu.device.execute(0xff45, bytes.subarray(i + 4, i + 2 + len));
        expect(reply[0]).toBe(0);
        break;
      }
    }
    return write(bytes);
  };
}

describe('a close answered "receipt closed" (55h)', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.close();
  });

  it('is reconciled with the FN: the document the first run made is the sale, nothing is printed twice', async () => {
    rig = await startRig({ memory: true });
    await rig.print();
    const before = fiscalReceipts(rig.emu);
    closeRunsEarly(rig);
    const r = await rig.print(sale(60950));
    expect(r.total).toBe(60950);
    expect(r.fd).toBe(rig.emu.fn.state.lastFd);
    expect(r.fp).toBe(rig.emu.fn.doc(r.fd)?.fp);
    expect(fiscalReceipts(rig.emu)).toBe(before + 1);
  });

  it('a stray NAK taken for the close frame\'s answer: the reply that follows is taken as the close\'s own, the close is not sent again', async () => {
    rig = await startRig({ memory: true });
    await rig.print();
    const closesSeen = () => rig.emu.link.log.filter((l) => l.cmd === 0xff45).length;
    const before = { seen: closesSeen(), receipts: fiscalReceipts(rig.emu) };
    const inbox = (rig.transport as unknown as { inbox: { push(b: Buffer): void } }).inbox;
    const write = rig.line.write.bind(rig.line);
    let injected = false;
    rig.line.write = async (bytes: Buffer) => {
      await write(bytes);
      const i = bytes.indexOf(STX);
      if (!injected && i >= 0 && bytes[i + 2] === 0xff && bytes[i + 3] === 0x45) {
        injected = true;
        inbox.push(Buffer.from([0x15])); // NAK, ahead of the device's ACK
      }
    };
    const r = await rig.print(sale(40400));
    expect(injected).toBe(true);
    expect(r.fd).toBe(rig.emu.fn.state.lastFd);
    expect(closesSeen()).toBe(before.seen + 1);
    expect(fiscalReceipts(rig.emu)).toBe(before.receipts + 1);
  });
});
