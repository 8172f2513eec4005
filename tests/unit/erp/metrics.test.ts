// ERP counters land on the registry the hub passes in (one per app instance).
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../shared/db.js';
import { silentLogger } from '../../../shared/logger.js';
import { writeFramesCsv } from '../../../hub/erp/samples/price-files.js';
import { createErpServices } from '../../../hub/erp/services.js';
import { CSV_PROFILE, makeOrder, OPTICIAN } from '../../support/erp.js';

describe('ERP metrics', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it('counts import rows and jobs, order transitions and fiscal documents (redeliveries apart)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'erp-metrics-'));
    dirs.push(dir);
    const db = openDatabase(join(dir, 'hub.sqlite'));
    const registry = new Registry();
    const s = createErpServices({ db, logger: silentLogger(), dataDir: dir, registry });
    const { order } = makeOrder(s);
    s.labOrders.transition(order.id, 'confirmed', undefined, OPTICIAN);
    const doc = { receipt_id: 'r1', store_id: 's', box_id: 'b', type: 'sale', order_id: order.number, total: 100, payments: { cash: 100, card: 0 },
      fiscal: { fn_number: '9960440300000001', fd_number: 1, fiscal_sign: '1', shift_number: 1, datetime: '2026-11-25T10:00:00' } };
    s.recordFiscalDocument(doc);
    s.recordFiscalDocument(doc);
    const p = s.profiles.create(CSV_PROFILE, OPTICIAN);
    const file = join(dir, 'f.csv');
    await writeFramesCsv(file, 30, { badEvery: 10 });
    const up = await s.imports.saveUpload(createReadStream(file), 'f.csv', OPTICIAN);
    await s.imports.start(s.imports.create(up.id, p.id, OPTICIAN).id);
    const text = await registry.metrics();
    expect(text).toContain('erp_lab_order_transitions_total{to="confirmed"} 1');
    expect(text).toContain('erp_fiscal_documents_total{type="sale",stored="true"} 1');
    expect(text).toContain('erp_fiscal_documents_total{type="sale",stored="false"} 1');
    expect(text).toContain('erp_import_rows_total{outcome="created"} 27');
    expect(text).toContain('erp_import_rows_total{outcome="failed"} 3');
    expect(text).toContain('erp_import_jobs_total{state="done"} 1');
    db.close();
  });
});
