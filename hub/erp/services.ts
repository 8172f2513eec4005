// The ERP's domain services over one hub database, built once and shared by the API routes,
// the pages and the hub ingest (recordFiscalDocument).
import { join } from 'node:path';
import type { Db } from '../../shared/db.js';
import type { Logger } from '../../shared/logger.js';
import { AuditLog } from './audit/audit.js';
import { Users } from './auth/users.js';
import { migrateErp } from './db/migrations.js';
import { LabOrders } from './domain/lab-orders.js';
import { Lenses } from './domain/lenses.js';
import { Patients } from './domain/patients.js';
import { Prescriptions } from './domain/prescriptions.js';
import { Products } from './domain/products.js';
import { paymentsForOrder, recordFiscalDocument } from './fiscal/fiscal-documents.js';
import { ImportJobs } from './import/jobs.js';
import { ImportProfiles } from './import/profiles.js';
import { createErpMetrics } from './metrics.js';
import type { Registry } from 'prom-client';

export interface ErpServicesOptions {
  db: Db;
  logger: Logger;
  /** Where uploaded price lists are kept until imported. */
  dataDir: string;
  now?: () => Date;
  /** Largest price-list upload accepted (default 50 MiB). */
  maxUploadBytes?: number;
  /** The hub's per-app Prometheus registry; ERP counters are registered on it. */
  registry?: Registry;
}

export function createErpServices(opts: ErpServicesOptions) {
  const { db, logger } = opts;
  const now = opts.now ?? (() => new Date());
  migrateErp(db);
  const metrics = createErpMetrics(opts.registry);
  const audit = new AuditLog(db, now);
  const users = new Users(db, now);
  const patients = new Patients(db, audit, now);
  const prescriptions = new Prescriptions(db, patients, audit, now);
  const lenses = new Lenses(db, audit, now);
  const products = new Products(db, audit, now);
  const labOrders = new LabOrders(db, { prescriptions, lenses, products, audit, onTransition: (to) => metrics.orderTransition(to) }, now);
  const profiles = new ImportProfiles(db, audit, now);
  const imports = new ImportJobs(db, profiles, audit, { uploadDir: join(opts.dataDir, 'erp-uploads'), logger, now, maxUploadBytes: opts.maxUploadBytes, metrics });
  return {
    db, logger, now, audit, users, patients, prescriptions, lenses, products, labOrders, profiles, imports,
    /** Called by the hub ingest for every fiscal document a box delivers; idempotent by receipt_id. */
    recordFiscalDocument: (projection: unknown) => {
      const r = recordFiscalDocument(db, projection, now());
      metrics.fiscalDocument(r.document.type, r.stored);
      return r;
    },
    paymentsForOrder: (orderNumber: string) => paymentsForOrder(db, orderNumber),
  };
}

export type ErpServices = ReturnType<typeof createErpServices>;
