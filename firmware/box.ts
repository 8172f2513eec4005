// Composition root of the box: builds the services once and hands the same ones to every
// part. The printer, uplink and power parts plug in here (one line each).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { problemClientErrors } from '../shared/http/problem.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createApp } from './api/app.js';
import { SalesGate } from './api/sales-gate.js';
import { FillWatch } from './buffer/fill-watch.js';
import { openBufferOrSetAside, type SetAside } from './buffer/open-or-set-aside.js';
import type { ReceiptBuffer } from './buffer/receipt-buffer.js';
import { ClockWatch, remoteTimeMs, type ClockReference } from './clock/clock-watch.js';
import { printerClock } from './clock/printer-clock.js';
import { HybridLogicalClock } from './clock/hlc.js';
import type { BoxConfig } from './config.js';
import { NoPrinterFiscaliser, type Fiscaliser } from './fiscal/fiscaliser.js';
import { DiskSpaceCheck, type DiskProbe } from './health/disk-check.js';
import { HealthRegistry } from './health/health.js';
import { createMetrics, type BoxMetrics } from './metrics.js';
import type { GpioInput } from './power/gpio-input.js';
import { createPowerMonitor, powerOffCommand } from './power/power-setup.js';
import { PowerSequence } from './power/power-sequence.js';
import { FanoutStatusPublisher, LogStatusPublisher, type StatusPublisher } from './status-publisher.js';
import { hasOpenCheckpoint, PrinterFiscaliser } from './printer/box-fiscaliser.js';
import { printerHealthCheck, printerKktOperations } from './printer/box-wiring.js';
import { FnReportSweep } from './uplink/fn-report-sweep.js';
import { registerPrinterMetrics } from './printer/metrics.js';
import { PrinterService } from './printer/service.js';
import type { SerialLine } from './printer/serial-line.js';
import type { KktOperations } from './api/routes/kkt.js';
import { VERSION } from './version.js';
import { printerFnBridge, syntheticFnBridge, type FnBridge } from './uplink/fn-bridge.js';
import { Heartbeat } from './uplink/heartbeat.js';
import { UplinkStatusPublisher } from './uplink/status-publisher.js';
import { Uplink } from './uplink/uplink.js';

export interface BoxOptions {
  log?: Logger;
  /** Replaces the "no printer attached" fiscaliser (the printer driver plugs in here). */
  fiscaliser?: Fiscaliser;
  wallClock?: () => number;
  diskProbe?: DiskProbe;
  /** Replaces the configured power-loss line (tests drive a SimulatedGpio). */
  gpio?: GpioInput;
  /** Replaces the configured OS power-off step. */
  powerOff?: () => Promise<void>;
  /** Clocks that know better than a Pi without RTC (the printer driver adds the KKT's). */
  clockReferences?: ClockReference[];
  /** Where retained status goes besides the log (the uplink's MQTT hook). */
  status?: StatusPublisher;
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
  readonly gate = new SalesGate();
  readonly status: FanoutStatusPublisher;
  readonly power: PowerSequence;
  readonly fill: FillWatch;
  readonly clockWatch: ClockWatch;
  /** Set when start-up found the database corrupt and moved it aside. */
  readonly setAside: SetAside | null;
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
  /** Finds the FN's shift reports so they reach the OFD too (with a printer and an uplink). */
  readonly fnReports: FnReportSweep | null = null;

  constructor(readonly config: BoxConfig, opts: BoxOptions = {}) {
    this.log = opts.log ?? createLogger('box', config.logLevel);
    this.clock = new HybridLogicalClock({ node: config.nodeId, ...(opts.wallClock ? { wallClock: opts.wallClock } : {}) });
    const opened = openBufferOrSetAside(join(config.dataDir, 'box.db'), {
      clock: this.clock, capacity: config.buffer.capacity, maxBatch: config.buffer.maxBatch,
      warnPercent: config.buffer.warnPercent, maxDbBytes: config.buffer.maxDbBytes,
      onRemoteTime: (source, text) => {
        const ms = remoteTimeMs(text);
        if (ms !== null) void this.clockWatch.observe(source, ms);
      },
    }, this.log);
    this.buffer = opened.buffer;
    this.setAside = opened.setAside;
    this.health = new HealthRegistry(VERSION);
    if (config.printer.enabled && !opts.fiscaliser) {
      this.printer = new PrinterService(config.printer, this.log.child({ part: 'printer' }), opts.printerLine);
      this.printerFiscaliser = new PrinterFiscaliser(this.printer, this.buffer, this.log.child({ part: 'printer' }));
      const kkt = printerKktOperations(this.printer);
      // A shift operation makes an FN document the OFD must receive: look for it at once.
      const thenSweep = <T>(op: () => Promise<T>) => async (): Promise<T> => {
        const r = await op();
        void this.fnReports?.sweep();
        return r;
      };
      this.kkt = { ...kkt, openShift: thenSweep(() => kkt.openShift()), closeShift: thenSweep(() => kkt.closeShift()) };
      this.health.register(printerHealthCheck(this.printer));
    }
    this.fiscaliser = opts.fiscaliser ?? this.printerFiscaliser ?? new NoPrinterFiscaliser((id) => hasOpenCheckpoint(this.buffer.db, id));
    this.metrics = createMetrics(this.buffer);
    if (this.printer && this.printerFiscaliser) this.printerFiscaliser.observe = registerPrinterMetrics(this.metrics.registry, this.printer);
    this.health.register({
      name: 'database',
      check: () => {
        this.buffer.writeProbe();
        const incidents = this.buffer.openIncidents();
        return incidents.length ? { ok: true, degraded: true, detail: { incidents } } : { ok: true };
      },
    });
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
        health: async () => {
          const r = await this.health.report();
          return { status: r.status, failing: r.failing, degraded: r.degraded };
        },
      }, log);
      if (printer) this.fnReports = new FnReportSweep(printer, this.buffer, log, { periodMs: config.uplink.heartbeatMs });
    }
    this.status = new FanoutStatusPublisher(this.log, new LogStatusPublisher(this.log), ...(opts.status ? [opts.status] : []));
    // Retained power state goes to MQTT too, so fleet ops see a box on battery before it goes dark.
    if (this.uplink) this.status.add(new UplinkStatusPublisher(this.uplink));
    const clockRefs = [...(opts.clockReferences ?? [])];
    if (this.printer) clockRefs.push(printerClock(this.printer, config.clock.printerUtcOffsetMinutes));
    this.clockWatch = new ClockWatch(clockRefs, this.status, this.log, config.nodeId, {
      maxDriftS: config.clock.maxDriftS, pollMs: config.clock.pollMs, ...(opts.wallClock ? { wallClock: opts.wallClock } : {}),
    });
    this.health.register(this.clockWatch);
    this.clockWatch.registerMetrics(this.metrics.registry);
    this.fill = new FillWatch(this.buffer, this.status, this.log, config.nodeId);
    this.health.register(this.fill);
    this.power = new PowerSequence({
      gate: this.gate, status: this.status, log: this.log, node: config.nodeId,
      checkpoint: () => this.buffer.checkpoint(),
      stopBox: () => this.stop(),
      powerOff: opts.powerOff ?? powerOffCommand(config),
      graceMs: config.power.graceMs, retryAfterS: config.power.retryAfterS, idleWaitMs: config.api.shutdownGraceMs + 5000,
    }, createPowerMonitor(config, opts.gpio));
    // On battery the box still answers but sells nothing: /health must not say all is well.
    this.health.register({
      name: 'power',
      check: () => (this.power.state === 'mains' ? { ok: true, detail: { state: 'mains' } } : { ok: true, degraded: true, detail: { state: this.power.state, sales: 'paused' } }),
    });
    // The link to the hub, for the field console and support: shown, never failing (an offline
    // store keeps selling; the widget and the hub's fleet view say "offline").
    const uplink = this.uplink;
    const heartbeat = this.heartbeat;
    if (uplink) {
      this.health.register({
        name: 'uplink',
        check: () => ({ ok: true, detail: { link: heartbeat?.link.state ?? 'offline', mqtt_connected: uplink.connected, ...uplink.outbox.counts() } }),
      });
    }
  }

  /** Starts the LAN API; resolves with the URL it listens on (port 0 picks a free one). */
  async start(): Promise<string> {
    await this.disk.start();
    await this.fill.start();
    const incidents = this.buffer.openIncidents();
    if (incidents.length) await this.status.publish('database', { node: this.config.nodeId, state: 'incident', incidents, at: new Date().toISOString() });
    if (this.printer && this.printerFiscaliser) {
      // Receipts caught mid-print by a crash are settled with the FN before any new sale.
      await this.printer.start();
      await this.printer.connection.waitConnected(this.config.printer.connectWaitMs).catch((err: Error) => this.log.warn({ err: err.message }, 'printer not connected at start-up'));
      if (this.printer.state === 'connected') await this.printerFiscaliser.reconcileOnStart();
    }
    await this.clockWatch.start();
    const app = createApp({ kkt: this.kkt,
      buffer: this.buffer, fiscaliser: this.fiscaliser, health: this.health, metrics: this.metrics, log: this.log,
      gate: this.gate, afterSale: () => void this.fill.update(), posTokens: this.config.api.posTokens, bodyLimitKb: this.config.api.bodyLimitKb, defaultVat: this.config.receipt.defaultVat,
      uplink: { uplink: this.uplink, heartbeat: this.heartbeat },
    });
    const server = app.listen(this.config.api.port, this.config.api.host);
    problemClientErrors(server);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const url = `http://${this.config.api.host}:${(server.address() as AddressInfo).port}`;
    this.uplink?.start();
    this.heartbeat?.start();
    this.fnReports?.start();
    this.log.info({ url, node: this.config.nodeId, hlc: this.clock.peek() }, 'box LAN API listening');
    await this.power.start();
    return url;
  }

  /**
   * The orderly path for SIGTERM (and, with powerOff, the end of a power-loss grace): sales
   * gate closed, sale in flight finished, WAL checkpointed, `power` status published, stop.
   */
  shutdown(reason: string): Promise<void> {
    return this.power.shutdown(reason);
  }

  /** Stops taking requests, lets in-flight ones finish, then closes the database cleanly. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.disk.stop();
    this.fill.stop();
    this.clockWatch.stop();
    this.power.stopWatching();
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
    this.fnReports?.stop();
    await this.uplink?.stop();
    await this.printer?.stop();
    try {
      this.buffer.close();
    } catch (err) {
      // Closed anyway; a failed final checkpoint (full disk) loses nothing: the WAL holds it.
      this.log.error({ err }, 'database closed with an error; committed receipts stay in the WAL');
    }
    this.log.info('box stopped');
  }
}
