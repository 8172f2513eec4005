// The driver against the emulator on a real pseudo-terminal: every operation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, sale, fiscalReceipts, type Rig } from './rig.js';
import { tlv, u32 } from '../../firmware/printer/codec/tlv.js';
import type { PrinterService } from '../../firmware/printer/service.js';
import { printerFnBridge } from '../../firmware/uplink/fn-bridge.js';

describe('driver over a real PTY: operations', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig.close();
  });

  it('opens a pseudo-terminal, which has no low-latency mode, and works over it', async () => {
    // Low-latency mode is asked for on every open (it matters on an FTDI adapter); a tty
    // that refuses it must still carry the protocol.
    expect(rig.line.isOpen).toBe(true);
    expect(rig.line.lowLatency).toBe(false);
    expect((await rig.driver.shortStatus()).operator).toBe(30);
  });

  it('reads short and full status', async () => {
    const s = await rig.driver.shortStatus();
    expect(s.operator).toBe(30);
    expect(s.mode).toBe(4);
    const f = await rig.driver.fullStatus();
    expect(f.firmware).toBe('A.4');
    expect(f.serial).toBe('12345678');
    expect(Math.abs(f.dateTime.getTime() - Date.now())).toBeLessThan(5000);
  });

  it('reads FN status, expiry, exchange status and the unconfirmed count', async () => {
    const fn = await rig.driver.fnStatus();
    expect(fn.fnNumber).toBe('9999078900012345');
    expect(fn.lastFd).toBe(rig.emu.fn.state.lastFd);
    expect((await rig.driver.fnExpiry()).expires.getTime()).toBeGreaterThan(Date.now());
    const ex = await rig.driver.exchangeStatus();
    expect(ex.queued).toBe(await rig.driver.unconfirmedCount());
  });

  it('opens a shift (E0h) and says so in mode and FN status', async () => {
    await rig.driver.openShift();
    expect((await rig.driver.shortStatus()).mode).toBe(2);
    expect((await rig.driver.fnStatus()).shiftOpen).toBe(true);
    expect((await rig.driver.shiftParams()).open).toBe(true);
  });

  it('prints a sale with FF46h/FF45h and returns fiscal data that matches the FN document', async () => {
    const r = await rig.print(sale(45000));
    expect(r.fd).toBe(rig.emu.fn.state.lastFd);
    expect(r.fp).toBe(rig.emu.fn.doc(r.fd)?.fp);
    expect(r.qr).toBe(`t=${r.dateTime.replace(/[-:]/g, '').slice(0, 13)}&s=450.00&fn=9999078900012345&i=${r.fd}&fp=${r.fp}&n=1`);
    const doc = await rig.driver.readDocument(r.fd);
    expect(doc.docType).toBe(3);
    expect(doc.json['1020']).toBe(45000);
    expect(doc.json['1054']).toBe(1);
    expect((doc.json['1059'] as Record<string, unknown>)['1030']).toBe('Линза ACUVUE');
    expect(rig.checkpoints.at(-1)?.lastFd).toBe(r.fd - 1);
  });

  it('prints a refund (1054 = 2) the same way; the open receipt is a sale return (mode 28h)', async () => {
    await rig.driver.operationV2({ opType: 2, qtyMicro: 1e6, price: 100, sum: 100, taxSum: null, taxBits: 1, department: 1, paymentMethod: 4, paymentObject: 1, name: 'x' });
    expect(await rig.driver.shortStatus()).toMatchObject({ mode: 8, modeStatus: 2 });
    await rig.driver.cancelReceipt();
    const r = await rig.print(sale(12000, 'refund'));
    expect(r.operation).toBe(2);
    const found = await rig.driver.findFd(r.fd);
    expect(found).toMatchObject({ docType: 3, operation: 2, amount: 12000, fp: r.fp });
  });

  it('cancels an open receipt (88h)', async () => {
    await rig.driver.operationV2({ opType: 1, qtyMicro: 1e6, price: 100, sum: 100, taxSum: null, taxBits: 1, department: 1, paymentMethod: 4, paymentObject: 1, name: 'x' });
    expect((await rig.driver.shortStatus()).mode).toBe(8);
    const before = fiscalReceipts(rig.emu);
    await rig.driver.cancelReceipt();
    expect((await rig.driver.shortStatus()).mode).toBe(2);
    expect(fiscalReceipts(rig.emu)).toBe(before);
  });

  it('X-report changes nothing fiscal; Z-report closes the shift with a fiscal document', async () => {
    const fd = rig.emu.fn.state.lastFd;
    await rig.driver.xReport();
    expect(rig.emu.fn.state.lastFd).toBe(fd);
    await rig.driver.zReport();
    expect(rig.emu.fn.state.lastFd).toBe(fd + 1);
    expect((await rig.driver.shortStatus()).mode).toBe(4);
    expect((await rig.driver.findFd(fd + 1)).docType).toBe(5);
  });

  it('a receipt opens the shift when none is open', async () => {
    const shift = rig.emu.fn.state.shift.number;
    const r = await rig.print();
    expect(r.shift).toBe(shift + 1);
    expect(r.receiptInShift).toBe(1);
  });

  it('hands an OFD ticket back to the FN (FF30h/FF31h read, FF32h/FF33h write)', async () => {
    const before = await rig.driver.unconfirmedCount();
    const msg = await rig.driver.readOfdMessage();
    expect(msg).not.toBeNull();
    expect(msg?.subarray(0, 4).toString('hex')).toBe('2a08410a');
    const fd = (await rig.driver.exchangeStatus()).firstFd;
    const header = Buffer.from(msg!.subarray(0, 30));
    const body = Buffer.alloc(8);
    body.writeUInt16LE(1040, 0);
    body.writeUInt16LE(4, 2);
    body.writeUInt32LE(fd, 4);
    header.writeUInt16LE(body.length, 24);
    await rig.driver.writeOfdTicket(Buffer.concat([header, body, Buffer.alloc(200, 1)]).subarray(0, 30 + 8));
    expect(await rig.driver.unconfirmedCount()).toBe(before - 1);
    expect((await rig.driver.findFd(fd)).ticketReceived).toBe(true);
  });

  it('the uplink takes a ticket the FN already holds as handed (box killed between FN and buffer), not one it lacks', async () => {
    await rig.print(sale());
    const fd = (await rig.driver.exchangeStatus()).firstFd;
    expect(fd).toBeGreaterThan(0);
    const bridge = printerFnBridge({ fiscaliser: rig.fiscaliser, state: 'connected' } as unknown as PrinterService);
    const ticket = (n: number) => ({ fn_number: '9999078900012345', fd_number: n, received_at: new Date().toISOString(), ofd_fiscal_sign: 'ab', tlv_b64: tlv(7, tlv(1040, u32(n))).toString('base64') });
    await bridge.handTicket(ticket(fd));
    expect((await rig.driver.findFd(fd)).ticketReceived).toBe(true);
    await expect(bridge.handTicket(ticket(fd))).resolves.toBeUndefined(); // the same ticket again after a restart
    await expect(bridge.handTicket(ticket(fd + 1000))).rejects.toThrow(); // no such document: still an error
  });

  it('keeps one command at a time when callers race', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => rig.driver.shortStatus()));
    expect(results.every((s) => s.operator === 30)).toBe(true);
    const [a, b] = await Promise.all([rig.print(sale(1000)), rig.print(sale(2000))]);
    expect(b.fd).toBe(a.fd + 1);
  });
});
