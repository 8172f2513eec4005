// A forwarder over a real SQLite file and a scripted OFD client, for fake-timer tests.
import { join } from 'node:path';
import { openDatabase } from '../../shared/db.js';
import { silentLogger } from '../../shared/logger.js';
import { DocumentStore } from '../../hub/ingest/document-store.js';
import { OfdForwarder } from '../../hub/ofd/forwarder.js';
import { OfdError, type OfdClient } from '../../hub/ofd/ofd-client.js';
import { DEFAULT_OFD_POLICY, type OfdPolicyConfig } from '../../hub/ofd/policies.js';
import { createHubMetrics } from '../../hub/metrics.js';
import type { OfdTicket, ReceiptMessage } from '../../shared/mqtt/messages.js';
import { tempDir } from './hub-fixture.js';

export type Outcome = 'ok' | 'fail' | 'reject' | 'hang';

export function scriptedOfd() {
  const calls: { receipt_id: string; hlc: string; box: string; at: number }[] = [];
  let outcome: Outcome = 'ok';
  const client: OfdClient = {
    async send(doc: ReceiptMessage, signal: AbortSignal): Promise<OfdTicket> {
      calls.push({ receipt_id: doc.receipt_id, hlc: doc.hlc, box: doc.box_id, at: Date.now() });
      if (outcome === 'fail') throw new OfdError('OFD answered 503: down', true, 503);
      if (outcome === 'reject') throw new OfdError('OFD answered 422: bad tags', false, 422);
      if (outcome === 'hang') {
        await new Promise((_r, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      }
      return { fn_number: doc.fiscal.fn_number, fd_number: doc.fiscal.fd_number, received_at: new Date().toISOString(), ofd_fiscal_sign: 'ab12', tlv_b64: 'AAAA' };
    },
  };
  return { client, calls, set(o: Outcome) { outcome = o; } };
}

export function forwarderFixture(policy: Partial<OfdPolicyConfig> = {}) {
  const tmp = tempDir();
  const db = openDatabase(join(tmp.dir, 'hub.db'));
  const store = new DocumentStore(db);
  const ofd = scriptedOfd();
  const metrics = createHubMetrics();
  const fwd = new OfdForwarder({ store, client: ofd.client, policy: { ...DEFAULT_OFD_POLICY, ...policy }, logger: silentLogger() });
  fwd.on('breaker', (s) => metrics.setBreaker(s));
  fwd.on('confirmed', () => metrics.forwarded.inc({ result: 'confirmed' }));
  fwd.on('failed', () => metrics.forwarded.inc({ result: 'failed' }));
  return {
    store, ofd, fwd, metrics, db,
    add(docs: ReceiptMessage[]) { store.insertMany(docs); fwd.wake(); },
    async close() { await fwd.stop(); db.close(); tmp.cleanup(); },
  };
}
