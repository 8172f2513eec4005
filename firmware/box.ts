// Composition root of the box: builds the services once and hands the same ones to every
// part. The printer, uplink and power parts plug in here (one line each).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createLogger, type Logger } from '../shared/logger.js';
import { createApp } from './api/app.js';
import { ReceiptBuffer } from './buffer/receipt-buffer.js';
import { HybridLogicalClock } from './clock/hlc.js';
import type { BoxConfig } from './config.js';
import { NoPrinterFiscaliser, type Fiscaliser } from './fiscal/fiscaliser.js';
import { DiskSpaceCheck, type DiskProbe } from './health/disk-check.js';
import { HealthRegistry } from './health/health.js';
import { createMetrics, type BoxMetrics } from './metrics.js';
import { PrinterFiscaliser } from './printer/box-fiscaliser.js';
import { printerHealthCheck, printerKktOperations } from './printer/box-wiring.js';
import { registerPrinterMetrics } from './printer/metrics.js';
import { PrinterService } from './printer/service.js';
import type { SerialLine } from './printer/serial-line.js';
import type { KktOperations } from './api/routes/kkt.js';
import { VERSION } from './version.js';
import { printerFnBridge, syntheticFnBridge, type FnBridge } from './uplink/fn-bridge.js';
import { Heartbeat } from './uplink/heartbeat.js';
import { Uplink } from './uplink/uplink.js';

export interface BoxOptions {
  log?: Logger;
  /** Replaces the "no printer attached" fiscaliser (the printer driver plugs in here). */
  fiscaliser?: Fiscaliser;
  wallClock?: () => number;
  diskProbe?: DiskProbe;
  /** A line other than the configured tty (tests: an in-memory pair). */
  printerLine?: SerialLine;
  /** The FN as the uplink sees it; default: the printer's, or a synthetic one without a printer. */
  fnBridge?: FnBridge;
}

export class Box {
  readonly log: Logger;
  readonly clock: HybridLogicalClock;
  readonly buffer: ReceiptBuffer;
  readonly health: HealthRegistry;
  readonly metrics: BoxMetrics;
  private readonly disk: DiskSpaceCheck;
  private readonly fiscaliser: Fiscaliser;
  /** The fiscal printer, when `printer.enabled`. */
  readonly printer: PrinterService | null = null;
  private readonly printerFiscaliser: PrinterFiscaliser | null = null;
  private readonly kkt: KktOperations | undefined;
  private server: Server | null = null;
  private stopped = false;
  /** The MQTT uplink to the hub, when `uplink.enabled`. */
  readonly uplink: Uplink | null = null;
  readonly heartbeat: Heartbeat | null = null;

  constructor(readonly config: BoxConfig, opts: BoxOptions = {}) {
    this.log = opts.log ?? createLogger('box', config.logLevel);
    this.clock = new HybridLogicalClock({ node: config.nodeId, ...(opts.wallClock ? { wallClock: opts.wallClock } : {}) });
    this.buffer = ReceiptBuffer.open(join(config.dataDir, 'box.db'), {
      clock: this.clock, capacity: config.buffer.capacity, maxBatch: config.buffer.maxBatch,
    });
    this.health = new HealthRegistry(VERSION);
    if (config.printer.enabled && !opts.fiscaliser) {
      this.printer = new PrinterService(config.printer, this.log.child({ part: 'printer' }), opts.printerLine);
      this.printerFiscaliser = new PrinterFiscaliser(this.printer, this.buffer, this.log.child({ part: 'printer' }));
      this.kkt = printerKktOperations(this.printer);
      this.health.register(printerHealthCheck(this.printer));
    }
    this.fiscaliser = opts.fiscaliser ?? this.printerFiscaliser ?? new NoPrinterFiscaliser();
    this.metrics = createMetrics(this.buffer);
    if (this.printer && this.printerFiscaliser) this.printerFiscaliser.observe = registerPrinterMetrics(this.metrics.registry, this.printer);
    this.health.register({ name: 'database', check: () => (this.buffer.writeProbe(), { ok: true }) });
    this.disk = new DiskSpaceCheck(config.dataDir, config.health.minFreeDiskBytes, config.health.diskPollMs, opts.diskProbe);
    this.health.register(this.disk);
    if (config.uplink.enabled) {
      const fn = opts.fnBridge ?? (this.printer ? printerFnBridge(this.printer) : syntheticFnBridge());
      const log = this.log.child({ part: 'uplink' });
      this.uplink = new Uplink({ ...config.uplink, boxId: config.uplink.boxId ?? config.nodeId }, this.buffer, fn, log);
      const printer = this.printer;
      this.heartbeat = new Heartbeat(this.uplink, this.buffer, {
        periodMs: config.uplink.heartbeatMs, dataDir: config.dataDir, version: VERSION,
        printerState: () => (printer ? printer.state : 'none'),
      }, log);
    }
  }

  /** Starts the LAN API; resolves with the URL it listens on (port 0 picks a free one). */
  async start(): Promise<string> {
    await this.disk.start();
    if (this.printer && this.printerFiscaliser) {
      // Receipts caught mid-print by a crash are settled with the FN before any new sale.
      await this.printer.start();
      await this.printer.connection.waitConnected(this.config.printer.connectWaitMs).catch((err: Error) => this.log.warn({ err: err.message }, 'printer not connected at start-up'));
      if (this.printer.state === 'connected') await this.printerFiscaliser.reconcileOnStart();
    }
    const app = createApp({ kkt: this.kkt,
      buffer: this.buffer, fiscaliser: this.fiscaliser, health: this.health, metrics: this.metrics, log: this.log,
      posTokens: this.config.api.posTokens, bodyLimitKb: this.config.api.bodyLimitKb, defaultVat: this.config.receipt.defaultVat,
      uplink: { uplink: this.uplink, heartbeat: this.heartbeat },
    });
    const server = app.listen(this.config.api.port, this.config.api.host);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const url = `http://${this.config.api.host}:${(server.address() as AddressInfo).port}`;
    this.uplink?.start();
    this.heartbeat?.start();
    this.log.info({ url, node: this.config.nodeId, hlc: this.clock.peek() }, 'box LAN API listening');
    return url;
  }

  /** Stops taking requests, lets in-flight ones finish, then closes the database cleanly. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.disk.stop();
    const server = this.server;
    this.server = null;
    if (server) {
      await new Promise<void>((resolve) => {
        // In-flight requests get a grace period (a print takes seconds), then are cut.
        const force = setTimeout(() => server.closeAllConnections(), this.config.api.shutdownGraceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    }
    this.heartbeat?.stop();
    await this.uplink?.stop();
    await this.printer?.stop();
    this.buffer.close();
    this.log.info('box stopped');
  }
}
