// Ingest -> ERP link throughput: N documents already stored at the hub (as after a box's
// backlog drain) are handed to the real ERP services over one SQLite file, as the hub does on
// start. `npm run bench:erp-link [-- N]`; last line JSON: docs, link_per_s, drain_s.
import { join } from 'node:path';
import { openDatabase } from '../../shared/db.js';
import { silentLogger } from '../../shared/logger.js';
import { ErpLink } from '../../hub/erp-link/erp-link.js';
import { createErpServices } from '../../hub/erp/services.js';
import { DocumentStore } from '../../hub/ingest/document-store.js';
import { makeDocument } from '../../tests/support/documents.js';
import { tempDir } from '../../tests/support/hub-fixture.js';
import { machineFacts } from './machine.js';

const n = Number(process.argv[2] ?? 10_000);
const tmp = tempDir('bench-erp-link-');
try {
  console.log(JSON.stringify(machineFacts(tmp.dir)));
  const db = openDatabase(join(tmp.dir, 'hub.db'));
  const store = new DocumentStore(db);
  const erp = createErpServices({ db, logger: silentLogger(), dataDir: tmp.dir });
  const sales = Array.from({ length: n }, (_, i) => ({ ...makeDocument({ fd: i + 1, total: 100000 + i }), order_id: `LO-${String(i + 1).padStart(6, '0')}` }));
  for (let i = 0; i < sales.length; i += 1000) store.insertMany(sales.slice(i, i + 1000));
  const link = new ErpLink({ db, logger: silentLogger(), record: (p) => erp.recordFiscalDocument(p) });
  let linked = 0;
  link.on('result', (r) => { if (r === 'linked') linked++; });
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    link.on('drained', () => { if (link.counts().backlog === 0) resolve(); });
    link.start();
  });
  const drainS = (performance.now() - t0) / 1000;
  link.stop();
  db.close();
  if (linked !== n) throw new Error(`linked ${linked} of ${n}`);
  console.log(`linked ${n} documents in ${drainS.toFixed(2)} s`);
  console.log(JSON.stringify({ docs: n, link_per_s: Math.round(n / drainS), drain_s: Number(drainS.toFixed(2)) }));
} finally {
  tmp.cleanup();
}
