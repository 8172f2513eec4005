// ERP counters for the hub's Prometheus endpoint. Registered on the Registry the hub passes in
// (one per app instance, never the global one); without one they count into nothing.
import { Counter, type Registry } from 'prom-client';

export interface ErpMetrics {
  importRows(outcome: 'created' | 'updated' | 'unchanged' | 'failed', n: number): void;
  importJob(state: 'done' | 'failed'): void;
  orderTransition(to: string): void;
  fiscalDocument(type: string, stored: boolean): void;
}

export const NO_METRICS: ErpMetrics = { importRows: () => {}, importJob: () => {}, orderTransition: () => {}, fiscalDocument: () => {} };

export function createErpMetrics(registry?: Registry): ErpMetrics {
  if (!registry) return NO_METRICS;
  const rows = new Counter({ name: 'erp_import_rows_total', help: 'Price-list rows imported, by outcome', labelNames: ['outcome'], registers: [registry] });
  const jobs = new Counter({ name: 'erp_import_jobs_total', help: 'Import jobs ended, by final state', labelNames: ['state'], registers: [registry] });
  const transitions = new Counter({ name: 'erp_lab_order_transitions_total', help: 'Lab order transitions, by target state', labelNames: ['to'], registers: [registry] });
  const fiscal = new Counter({ name: 'erp_fiscal_documents_total', help: 'Fiscal documents recorded (stored=false: redelivery)', labelNames: ['type', 'stored'], registers: [registry] });
  return {
    importRows: (outcome, n) => { if (n > 0) rows.inc({ outcome }, n); },
    importJob: (state) => jobs.inc({ state }),
    orderTransition: (to) => transitions.inc({ to }),
    fiscalDocument: (type, stored) => fiscal.inc({ type, stored: String(stored) }),
  };
}
