// The printer as the box's composition root sees it: one object to start, stop, print with,
// reconcile with, and ask for health. Everything inside is the driver stack of this folder.
import { PrinterConnection, type LineState } from './connection.js';
import { ShtrihDriver } from './driver.js';
import { Fiscaliser, type Checkpoint, type FiscalData, type ReconcileResult } from './fiscaliser.js';
import { PrinterHealthProbe, type PrinterHealth } from './health.js';
import { openSerialLine, type SerialLine } from './serial-line.js';
import { DEFAULT_TIMINGS, Transport } from './transport.js';
import type { PrinterConfig } from './config.js';
import type { Logger } from '../../shared/logger.js';
import type { Receipt } from '../../shared/receipt.js';

export class PrinterService {
  readonly line: SerialLine;
  readonly transport: Transport;
  readonly driver: ShtrihDriver;
  readonly fiscaliser: Fiscaliser;
  readonly connection: PrinterConnection;
  readonly health: PrinterHealthProbe;

  constructor(readonly cfg: PrinterConfig, log: Logger, line?: SerialLine) {
    this.line = line ?? openSerialLine(cfg.path, cfg.baudRate);
    this.transport = new Transport(this.line, log.child({ part: 'printer-transport' }), {
      ...DEFAULT_TIMINGS, byteTimeoutMs: cfg.byteTimeoutMs, ackTimeoutMs: cfg.ackTimeoutMs, replyPollMs: cfg.replyPollMs,
    });
    this.driver = new ShtrihDriver(this.transport, { operator: cfg.operatorPassword, sysadmin: cfg.sysadminPassword });
    this.fiscaliser = new Fiscaliser(this.driver, log.child({ part: 'fiscaliser' }), {
      receiptTimeoutMs: cfg.receiptTimeoutMs, taxSystemBit: cfg.taxSystemBit, reconcileWaitMs: cfg.reconcileWaitMs,
    });
    this.connection = new PrinterConnection(this.line, this.transport, log.child({ part: 'printer-line' }));
    this.health = new PrinterHealthProbe(this.fiscaliser, () => this.connection.state);
    this.connection.on('state', () => this.health.invalidate());
  }

  get state(): LineState {
    return this.connection.state;
  }

  start(): Promise<void> {
    return this.connection.start();
  }

  stop(): Promise<void> {
    return this.connection.stop();
  }

  async print(receipt: Receipt, saveCheckpoint: (c: Checkpoint) => void): Promise<FiscalData> {
    try {
      return await this.fiscaliser.print(receipt, saveCheckpoint);
    } finally {
      this.health.invalidate();
    }
  }

  reconcile(c: Checkpoint): Promise<ReconcileResult> {
    return this.fiscaliser.reconcile(c);
  }

  async openShift(): Promise<void> {
    await this.fiscaliser.run((d) => d.openShift()).finally(() => this.health.invalidate());
  }

  async xReport(): Promise<void> {
    await this.fiscaliser.run(async (d) => {
      await d.waitPrinted();
      await d.xReport();
    });
  }

  /** A few non-fiscal lines, so a technician sees the printer, paper and cutter work. */
  async testPrint(lines: string[]): Promise<void> {
    await this.fiscaliser.run(async (d) => {
      await d.waitPrinted();
      for (const l of lines) await d.printLine(l);
    }).finally(() => this.health.invalidate());
  }

  /** Z-report; a receipt left open by a failed attempt is cancelled first (it is not fiscal). */
  async closeShift(): Promise<void> {
    await this.fiscaliser.run(async (d) => {
      const s = await d.waitPrinted();
      if (s.mode === 8) await d.cancelReceipt();
      await d.zReport();
    }).finally(() => this.health.invalidate());
  }

  readHealth(): Promise<PrinterHealth> {
    return this.health.read();
  }
}
