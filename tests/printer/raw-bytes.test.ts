// "A driver we did not write": no third-party Shtrih driver installs here (PyPI is closed,
// npm has none), so this test talks to the emulator the way any driver would, with plain
// serialport and hand-written bytes from the protocol spec. It uses none of our codec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { ShtrihEmulator } from '../../hardware/shtrih-emulator/emulator.js';

const h = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');
const xor = (b: Buffer) => b.reduce((a, x) => a ^ x, 0);
/** STX LEN body LRC, built by hand. */
const frame = (body: Buffer) => Buffer.concat([h('02'), Buffer.from([body.length]), body, Buffer.from([xor(Buffer.concat([Buffer.from([body.length]), body]))])]);

describe('raw bytes from the spec against the emulator on a PTY', () => {
  let dir: string;
  let emu: ShtrihEmulator;
  let port: SerialPort;
  let rx: number[] = [];

  const take = async (n: number, ms = 2000): Promise<Buffer> => {
    const until = Date.now() + ms;
    while (rx.length < n) {
      if (Date.now() > until) throw new Error(`wanted ${n} bytes, got ${rx.length}: ${Buffer.from(rx).toString('hex')}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return Buffer.from(rx.splice(0, n));
  };
  const send = (b: Buffer) => new Promise<void>((res, rej) => port.write(b, (e) => (e ? rej(e) : res())));
  /** Sends a frame, expects ACK, reads the reply frame and acknowledges it. */
  const command = async (body: Buffer): Promise<Buffer> => {
    await send(h('05'));
    expect((await take(1))[0]).toBe(0x15);
    await send(frame(body));
    expect((await take(1))[0]).toBe(0x06);
    const head = await take(2);
    expect(head[0]).toBe(0x02);
    const rest = await take((head[1] as number) + 1);
    const reply = Buffer.concat([head, rest]);
    expect(xor(reply.subarray(1, reply.length - 1))).toBe(reply[reply.length - 1]);
    await send(h('06'));
    return reply.subarray(2, reply.length - 1);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kkt-raw-'));
    emu = await ShtrihEmulator.onPty({ dir, printLineMs: 0 });
    port = new SerialPort({ path: emu.hostPath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    port.on('data', (b: Buffer) => rx.push(...b));
  });
  afterAll(async () => {
    await new Promise<void>((res) => port.close(() => res()));
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ENQ on an idle device gets NAK', async () => {
    await send(h('05'));
    expect(await take(1)).toEqual(h('15'));
  });

  it('short status: request 02 05 10 1E 00 00 00 0B, reply LEN 17 with mode 4 (shift closed)', async () => {
    const body = await command(h('10 1E 00 00 00'));
    expect(body.length).toBe(17);
    expect(body.subarray(0, 3)).toEqual(h('10 00 1E'));
    expect(body[5]! & 0x0f).toBe(4);
    expect(frame(h('10 1E 00 00 00'))).toEqual(h('02 05 10 1E 00 00 00 0B'));
  });

  it('classic receipt: 8Dh open, 80h sale (40-byte text), 85h close with change', async () => {
    expect(await command(h('8D 01 00 00 00 00'))).toEqual(h('8D 00 01'));
    const text = Buffer.alloc(40);
    text.write('Test', 'latin1');
    const sale = Buffer.concat([h('80 01 00 00 00'), h('E8 03 00 00 00'), h('10 27 00 00 00'), h('01'), h('01 00 00 00'), text]);
    expect(await command(sale)).toEqual(h('80 00 01'));
    const close = Buffer.concat([h('85 01 00 00 00'), h('20 4E 00 00 00'), Buffer.alloc(15), h('00 00'), h('00 00 00 00'), Buffer.alloc(40)]);
    const reply = await command(close);
    expect(reply.subarray(0, 3)).toEqual(h('85 00 01'));
    expect(reply.readUIntLE(3, 5)).toBe(10000);
  });

  it('FN status FF01h trace: reply LEN 33, last FD counts shift open + receipt', async () => {
    expect(frame(h('FF 01 1E 00 00 00'))).toEqual(h('02 06 FF 01 1E 00 00 00 E6'));
    const body = await command(h('FF 01 1E 00 00 00'));
    expect(body.length).toBe(33);
    expect(body.subarray(0, 3)).toEqual(h('FF 01 00'));
    expect(body.subarray(13, 29).toString('latin1')).toBe(emu.fn.state.fnNumber);
    expect(body.readUInt32LE(29)).toBe(2);
  });

  it('a reply not acknowledged is held and resent on ENQ, the command runs once', async () => {
    const runs = emu.device.executed.get(0x10) ?? 0;
    await send(h('05'));
    expect(await take(1)).toEqual(h('15'));
    await send(h('02 05 10 1E 00 00 00 0B'));
    expect(await take(1)).toEqual(h('06'));
    const first = await take(20);
    await send(h('15'));
    await send(h('05'));
    expect(await take(1)).toEqual(h('06'));
    expect(await take(20)).toEqual(first);
    await send(h('06'));
    expect(emu.device.executed.get(0x10)).toBe(runs + 1);
  });

  it('garbage and a bad LRC get NAK, and the device still answers afterwards', async () => {
    await send(h('02 05 10 1E 00 00 00 0C'));
    expect(await take(1)).toEqual(h('15'));
    await send(h('AA'));
    expect(await take(1)).toEqual(h('15'));
    await new Promise((r) => setTimeout(r, 120));
    rx = [];
    expect((await command(h('10 1E 00 00 00'))).subarray(0, 2)).toEqual(h('10 00'));
  });

  it('classic cancel (88h), return receipt (82h + 85h), X (40h), Z (41h), open shift (E0h)', async () => {
    const text = Buffer.alloc(40);
    const item = (cmd: string) => Buffer.concat([h(`${cmd} 01 00 00 00`), h('E8 03 00 00 00'), h('64 00 00 00 00'), h('01'), h('01 00 00 00'), text]);
    const close = Buffer.concat([h('85 01 00 00 00'), h('64 00 00 00 00'), Buffer.alloc(15), h('00 00'), h('00 00 00 00'), text]);
    const fd = emu.fn.state.lastFd;
    expect(await command(h('8D 01 00 00 00 00'))).toEqual(h('8D 00 01'));
    expect(await command(item('80'))).toEqual(h('80 00 01'));
    expect(await command(h('88 01 00 00 00'))).toEqual(h('88 00 01'));
    expect(emu.fn.state.lastFd).toBe(fd);
    expect(await command(item('82'))).toEqual(h('82 00 01'));
    expect((await command(close)).subarray(0, 3)).toEqual(h('85 00 01'));
    expect(emu.fn.doc(fd + 1)).toMatchObject({ operation: 2, amount: 100 });
    expect(await command(h('40 1E 00 00 00'))).toEqual(h('40 00 1E'));
    expect(await command(h('40 01 00 00 00'))).toEqual(h('40 4F'));
    expect(await command(h('41 1E 00 00 00'))).toEqual(h('41 00 1E'));
    expect(emu.fn.state.shift.open).toBe(false);
    expect(await command(h('E0 1E 00 00 00'))).toEqual(h('E0 00'));
    expect(emu.fn.state.shift.open).toBe(true);
  });

  it('FN queries FF03h, FF39h, FF3Fh answer with the spec lengths', async () => {
    const exp = await command(h('FF 03 1E 00 00 00'));
    expect(exp.length).toBe(8);
    expect(exp.subarray(0, 3)).toEqual(h('FF 03 00'));
    const ex = await command(h('FF 39 1E 00 00 00'));
    expect(ex.length).toBe(16);
    const unconfirmed = await command(h('FF 3F 1E 00 00 00'));
    expect(unconfirmed.length).toBe(5);
    expect(unconfirmed.readUInt16LE(3)).toBe(emu.fn.unconfirmed().length);
    expect(ex.readUInt16LE(5)).toBe(emu.fn.unconfirmed().length);
  });

  it('a wrong password is refused with 4Fh', async () => {
    expect(await command(h('10 63 00 00 00'))).toEqual(h('10 4F'));
  });
});
