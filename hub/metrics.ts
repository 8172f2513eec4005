// Prometheus metrics of one hub instance (its own Registry: tests run several hubs).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BreakerStateName } from '../shared/mqtt/messages.js';
import { BREAKER_STATE_VALUE } from './ofd/policies.js';

export function createHubMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  const r = { registers: [registry] };
  const m = {
    registry,
    breakerState: new Gauge({ name: 'hub_ofd_breaker_state', help: 'OFD circuit breaker: 0 closed, 1 open, 2 half-open, 3 isolated', ...r }),
    breakerOpens: new Counter({ name: 'hub_ofd_breaker_opens_total', help: 'Times the OFD breaker opened', ...r }),
    forwarded: new Counter({ name: 'hub_ofd_forward_total', help: 'OFD attempts by result', labelNames: ['result'] as const, ...r }),
    documents: new Gauge({ name: 'hub_documents', help: 'Stored documents by OFD status', labelNames: ['status'] as const, ...r }),
    ingested: new Counter({ name: 'hub_ingest_messages_total', help: 'Document messages by result', labelNames: ['result'] as const, ...r }),
    boxOnline: new Gauge({ name: 'hub_box_online', help: '1 when the box is online (with hysteresis)', labelNames: ['store', 'box'] as const, ...r }),
    boxPending: new Gauge({ name: 'hub_box_buffer_pending', help: 'Documents in the box buffer not yet delivered', labelNames: ['store', 'box'] as const, ...r }),
    boxBufferPct: new Gauge({ name: 'hub_box_buffer_percent', help: 'Box buffer fill', labelNames: ['store', 'box'] as const, ...r }),
    boxFnUnsent: new Gauge({ name: 'hub_box_fn_docs_without_ticket', help: 'FN documents without an OFD ticket', labelNames: ['store', 'box'] as const, ...r }),
    boxHealth: new Gauge({ name: 'hub_box_health_status', help: "The box's own /health: 0 healthy, 1 degraded (a component needs attention), 2 unhealthy", labelNames: ['store', 'box'] as const, ...r }),
    // The FN blocks after 30 days with a document still unsent: alert well before (e.g. > 3 days).
    boxFnOldestUnsentAge: new Gauge({ name: 'hub_box_fn_oldest_without_ticket_age_seconds', help: 'Age of the oldest FN document without an OFD ticket (FN clock)', labelNames: ['store', 'box'] as const, ...r }),
    boxOldestAge: new Gauge({ name: 'hub_box_oldest_pending_age_seconds', help: 'Age of the oldest undelivered document in the box', labelNames: ['store', 'box'] as const, ...r }),
    boxLastHeartbeat: new Gauge({ name: 'hub_box_last_heartbeat_timestamp_seconds', help: 'Unix time of the last heartbeat', labelNames: ['store', 'box'] as const, ...r }),
    erpLink: new Counter({ name: 'hub_erp_link_total', help: 'Fiscal documents handed to the ERP, by result (linked, duplicate, not_a_sale: shift reports, failed, rejected)', labelNames: ['result'] as const, ...r }),
    erpLinkRetrying: new Gauge({ name: 'hub_erp_link_retrying', help: 'Fiscal documents the ERP could not record yet (retried with backoff)', ...r }),
    erpLinkRejected: new Gauge({ name: 'hub_erp_link_rejected', help: 'Fiscal documents the ERP rejected as invalid (parked)', ...r }),
    ofdLatency: new Histogram({ name: 'hub_ofd_request_seconds', help: 'OFD request latency', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], ...r }),
    brokerRefused: new Counter({ name: 'hub_broker_refused_total', help: 'MQTT connects, publishes, subscribes, wills and packets the broker refused (store/box empty before login)', labelNames: ['action', 'reason', 'store', 'box'] as const, ...r }),
  };
  m.breakerState.set(0);
  return {
    ...m,
    setBreaker(state: BreakerStateName): void {
      m.breakerState.set(BREAKER_STATE_VALUE[state]);
      if (state === 'open') m.breakerOpens.inc();
    },
  };
}
export type HubMetrics = ReturnType<typeof createHubMetrics>;
