// Ingest against a real aedes broker: ack, dedupe, malformed payloads, ACL refusals.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { DocumentStore } from '../../hub/ingest/document-store.js';
import { Ingest } from '../../hub/ingest/ingest.js';
import { boxTopics } from '../../shared/mqtt/topics.js';
import { silentLogger } from '../../shared/logger.js';
import { makeDocument } from '../support/documents.js';
import { ackEntries, brokerFixture, connectBox, nextMessage, SERVICE_SECRET, SERVICE_USER, tempDir, waitFor, type BrokerFixture } from '../support/hub-fixture.js';

const T = boxTopics({ store: 'store-1', box: 'box-1' });

describe('hub ingest over a real aedes broker', () => {
  let tmp: ReturnType<typeof tempDir>;
  let fx: BrokerFixture;
  let store: DocumentStore;
  let ingest: Ingest;
  let box: MqttClient;

  beforeEach(async () => {
    tmp = tempDir();
    fx = await brokerFixture(join(tmp.dir, 'hub.db'));
    store = new DocumentStore(fx.db);
    ingest = new Ingest({ url: fx.broker.url, username: SERVICE_USER, password: SERVICE_SECRET, store, logger: silentLogger() });
    await ingest.start({ v: 1, state: 'online', at: new Date().toISOString() });
    box = await connectBox(fx.broker.url, 'box-1');
    await box.subscribeAsync(T.ack, { qos: 1 });
  });

  afterEach(async () => {
    await box.endAsync(true);
    await ingest.stop();
    await fx.close();
    tmp.cleanup();
  });

  it('stores a document and acks it to its box', async () => {
    const doc = makeDocument();
    const ack = nextMessage(box, T.ack);
    await box.publishAsync(T.receipt, JSON.stringify(doc), { qos: 1 });
    expect(ackEntries(await ack)).toEqual([{ receipt_id: doc.receipt_id, result: 'stored', ofd: { status: 'pending', attempts: 0 } }]);
    expect(store.get(doc.receipt_id)?.doc).toEqual(doc);
  });

  it('dedupes a republished document by receipt id', async () => {
    const doc = makeDocument();
    for (let i = 0; i < 3; i++) await box.publishAsync(T.receipt, JSON.stringify(doc), { qos: 1 });
    await waitFor(() => ingest.stats.received === 3);
    await waitFor(() => store.counts().duplicates === 2);
    expect(store.counts()).toMatchObject({ pending: 1, duplicates: 2 });
  });

  it('moves malformed payloads to the DLQ with a reason and keeps running', async () => {
    await box.publishAsync(T.receipt, 'not json{', { qos: 1 });
    await box.publishAsync(T.receipt, JSON.stringify({ ...makeDocument(), total: 1 }), { qos: 1 });
    await box.publishAsync(T.receipt, JSON.stringify({ ...makeDocument(), extra: true }), { qos: 1 });
    await box.publishAsync(T.receipt, JSON.stringify(makeDocument({ box: 'box-2' })), { qos: 1 });
    await box.publishAsync(T.heartbeat, Buffer.from([0xff, 0x00, 0x13]), { qos: 1 });
    await waitFor(() => store.counts().malformed === 5);
    const reasons = store.malformed().map((m) => m.reason).join('\n');
    expect(reasons).toMatch(/not JSON/);
    expect(reasons).toMatch(/total 1 is not the sum/);
    expect(reasons).toMatch(/unknown field\(s\) extra/);
    expect(reasons).toMatch(/do not match the topic/);
    // still alive: a good document goes through
    const doc = makeDocument();
    const ack = nextMessage(box, T.ack);
    await box.publishAsync(T.receipt, JSON.stringify(doc), { qos: 1 });
    await ack;
    expect(store.counts().pending).toBe(1);
  });

  it('refuses another box\'s topics, hub-only topics and $SYS', async () => {
    const other = boxTopics({ store: 'store-1', box: 'box-2' });
    for (const filter of [other.ack, '$SYS/#', 'kkt/v1/#', T.receipt]) {
      await expect(box.subscribeAsync(filter, { qos: 1 }), filter).rejects.toThrow(/Subscribe error/);
    }
    expect((await box.subscribeAsync(T.cmdAll, { qos: 1 }))[0]?.qos).toBe(1);
    // Publishing outside its tree: aedes drops the connection of a client whose publish is refused.
    const closed = new Promise<void>((resolve) => box.once('close', () => resolve()));
    box.publish(other.receipt, JSON.stringify(makeDocument({ box: 'box-2' })), { qos: 1 });
    await closed;
    expect(store.counts().pending).toBe(0);
  });

  it('refuses a wrong secret and a borrowed client id', async () => {
    await expect(connectBox(fx.broker.url, 'box-1', { password: 'wrong-secret-x', reconnectPeriod: 0 })).rejects.toThrow(/Bad username or password/i);
    await expect(connectBox(fx.broker.url, 'box-1', { clientId: 'box-2', reconnectPeriod: 0 })).rejects.toThrow(/Not authorized/i);
  });
});
