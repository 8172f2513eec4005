// Test rig: the emulator on a real socat PTY (or in memory) and the whole driver stack on top.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShtrihEmulator, type EmulatorOptions } from '../../hardware/shtrih-emulator/emulator.js';
import { openSerialLine, type SerialLine } from '../../firmware/printer/serial-line.js';
import { Transport, type TransportTimings } from '../../firmware/printer/transport.js';
import { ShtrihDriver } from '../../firmware/printer/driver.js';
import { Fiscaliser, type Checkpoint, type FiscaliserOptions } from '../../firmware/printer/fiscaliser.js';
import { PrinterConnection } from '../../firmware/printer/connection.js';
import { silentLogger } from '../../shared/logger.js';
import type { Receipt } from '../../shared/receipt.js';

export const FAST: TransportTimings = { byteTimeoutMs: 100, ackTimeoutMs: 300, maxEnqAttempts: 3, maxRetries: 10, replyPollMs: 300 };

export interface Rig {
  emu: ShtrihEmulator;
  line: SerialLine;
  transport: Transport;
  driver: ShtrihDriver;
  fiscaliser: Fiscaliser;
  connection: PrinterConnection;
  checkpoints: Checkpoint[];
  print(r?: Receipt): ReturnType<Fiscaliser['print']>;
  close(): Promise<void>;
}

export interface RigOptions {
  memory?: boolean;
  emulator?: Partial<EmulatorOptions>;
  timings?: TransportTimings;
  fiscaliser?: Partial<FiscaliserOptions>;
  dir?: string;
}

export function sale(total = 30000, type: 'sale' | 'refund' = 'sale'): Receipt {
  return {
    pos_id: 'pos-1', type, total, change: 0,
    items: [{ name: 'Линза ACUVUE', qty: 1000, price: total, sum: total, vat: 'vat20', payment_method: 'full_payment', payment_object: 'commodity' }],
    payments: [{ method: type === 'sale' ? 'cash' : 'card', amount: total }],
  };
}

export async function startRig(o: RigOptions = {}): Promise<Rig> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'kkt-'));
  const eopts: EmulatorOptions = { dir, printLineMs: 1, ...o.emulator };
  let emu: ShtrihEmulator;
  let line: SerialLine;
  if (o.memory) {
    const m = ShtrihEmulator.inMemory(eopts);
    emu = m.emulator;
    line = m.host;
  } else {
    emu = await ShtrihEmulator.onPty(eopts);
    line = openSerialLine(emu.hostPath, 115200);
  }
  const log = silentLogger();
  const transport = new Transport(line, log, o.timings ?? FAST);
  const driver = new ShtrihDriver(transport);
  const fiscaliser = new Fiscaliser(driver, log, { receiptTimeoutMs: 10_000, taxSystemBit: 1, reconcileWaitMs: 1500, ...o.fiscaliser });
  const connection = new PrinterConnection(line, transport, log, { initialMs: 50, maxMs: 400 });
  await connection.start();
  await connection.waitConnected(5000);
  const checkpoints: Checkpoint[] = [];
  return {
    emu, line, transport, driver, fiscaliser, connection, checkpoints,
    print: (r = sale()) => fiscaliser.print(r, (c) => checkpoints.push(c)),
    close: async () => {
      await connection.stop();
      await emu.stop();
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Receipts (form 3) the emulator's FN holds. */
export function fiscalReceipts(emu: ShtrihEmulator): number {
  return emu.fn.state.docs.filter((d) => d.form === 3).length;
}

export async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
