// The FN's oldest document without an OFD ticket, read over the real wire (FF39h exchange
// status + FF01h FN clock) and carried in the heartbeat: the FN blocks after 30 days of it, so
// the fleet must see the age, not only the count.
import { afterEach, describe, expect, it } from 'vitest';
import { printerFnBridge } from '../../firmware/uplink/fn-bridge.js';
import { saleBody } from '../helpers/receipts.js';
import { startPrinterBox, type PrinterBox } from '../helpers/printer-box.js';

let pb: PrinterBox | null = null;
afterEach(async () => { await pb?.stopAll(); pb = null; });

describe('oldest FN document without a ticket', () => {
  it('is null with none, about 0 s after a sale, and grows with the FN clock', async () => {
    pb = await startPrinterBox();
    const fn = printerFnBridge(pb.box.printer!);
    expect(await fn.oldestUnconfirmedAgeS!()).toBeNull();
    expect((await pb.post(saleBody())).status).toBe(201);
    expect(await fn.unconfirmed()).toBe(2); // the shift's opening report and the sale
    const fresh = await fn.oldestUnconfirmedAgeS!();
    expect(fresh).not.toBeNull();
    expect(fresh!).toBeLessThan(5);
    // Three days later on the FN's clock, still no ticket.
    pb.emu.clockOffsetMs = 3 * 86_400_000;
    const age = await fn.oldestUnconfirmedAgeS!();
    expect(age! - 3 * 86_400).toBeGreaterThanOrEqual(0);
    expect(age! - 3 * 86_400).toBeLessThan(5);
  });
});
