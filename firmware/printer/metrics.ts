// Printer metrics on the box's own registry: line state, print outcomes and durations, and
// the transport's counters (NAKs, re-read replies, stray bytes) that show a bad cable early.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PrinterService } from './service.js';

export interface PrintObserver {
  (outcome: 'printed' | 'failed' | 'uncertain', seconds: number, kind: string): void;
}

export function registerPrinterMetrics(registry: Registry, printer: PrinterService): PrintObserver {
  new Gauge({
    name: 'box_printer_connected', help: '1 while the fiscal printer line is open', registers: [registry],
    collect() {
      this.set(printer.state === 'connected' ? 1 : 0);
    },
  });
  const stats = printer.transport.stats;
  new Gauge({
    name: 'box_printer_line_events', help: 'Serial line events since start: commands, naks, rereads, stray_bytes, enq_timeouts, enq_skipped (frames sent without ENQ after a clean exchange)',
    labelNames: ['event'] as const, registers: [registry],
    collect() {
      this.set({ event: 'commands' }, stats.commands);
      this.set({ event: 'naks' }, stats.naks);
      this.set({ event: 'rereads' }, stats.rereads);
      this.set({ event: 'stray_bytes' }, stats.strayBytes);
      this.set({ event: 'enq_timeouts' }, stats.enqTimeouts);
      this.set({ event: 'enq_skipped' }, stats.enqSkipped);
    },
  });
  new Counter({
    name: 'box_printer_device_wait_seconds_total', help: 'Time the driver spent waiting for the printer\'s bytes (ACKs, replies); print time minus this is the box\'s own share',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.deviceWaitMs / 1000);
    },
  });
  const results = new Counter({
    name: 'box_print_results_total', help: 'Receipt print outcomes by printer error kind', labelNames: ['outcome', 'kind'] as const, registers: [registry],
  });
  const duration = new Histogram({
    name: 'box_print_duration_seconds', help: 'Time to print and fiscalise one receipt (outcome printed)',
    buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 7, 10, 15], registers: [registry],
  });
  return (outcome, seconds, kind) => {
    results.inc({ outcome, kind });
    if (outcome === 'printed') duration.observe(seconds);
  };
}
