// Prometheus metrics of one box instance, on its own Registry (never the global one, so two
// boxes in one test process do not collide).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReceiptBuffer } from './buffer/receipt-buffer.js';
import { RECEIPT_STATUSES } from './buffer/statuses.js';

export interface BoxMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  receiptsAccepted: Counter<'outcome'>;
}

export function createMetrics(buffer: ReceiptBuffer): BoxMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'box_http_request_duration_seconds',
    help: 'LAN API request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const receiptsAccepted = new Counter({
    name: 'box_receipt_requests_total',
    help: 'POST /v1/kkt/receipt outcomes: created, replayed, conflict, rejected (4xx), refused (5xx: paused, full, not stored)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Gauges read the buffer at scrape time, so they are never stale and cost nothing per sale.
  new Gauge({
    name: 'box_receipts',
    help: 'Receipts in the buffer by status',
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      const s = buffer.status();
      for (const st of RECEIPT_STATUSES) this.set({ status: st }, s.by_status[st]);
    },
  });
  new Gauge({
    name: 'box_buffer_depth',
    help: 'Receipts queued (not yet synced, not dead, not cancelled)',
    registers: [registry],
    collect() {
      this.set(buffer.status().current_queued);
    },
  });
  new Gauge({
    name: 'box_buffer_dlq',
    help: 'Receipts in the dead-letter table',
    registers: [registry],
    collect() {
      this.set(buffer.status().dlq_count);
    },
  });
  new Gauge({
    name: 'box_buffer_fill_ratio',
    help: 'Queued receipts / capacity (1 = full: new sales refused)',
    registers: [registry],
    collect() {
      this.set(buffer.queuedCount / buffer.status().total_capacity);
    },
  });
  new Gauge({
    name: 'box_buffer_fill_state',
    help: '1 for the current fill state of the buffer (ok, warning at warn_percent, full at capacity)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const now = buffer.fillState();
      for (const st of ['ok', 'warning', 'full'] as const) this.set({ state: st }, st === now ? 1 : 0);
    },
  });
  new Gauge({
    name: 'box_database_incidents',
    help: 'Unacknowledged database incidents (a corrupt box.db set aside at start-up); alert on > 0',
    registers: [registry],
    collect() {
      this.set(buffer.openIncidents().length);
    },
  });
  return { registry, httpDuration, receiptsAccepted };
}
