// Restart faults at the hub: kill -9 in the middle of forwarding. The broker's persistent
// sessions and queued QoS 1 messages survive (SQLite persistence), the forwarder resumes, and
// every acknowledged document reaches the OFD exactly once, in the box's order.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { startTestOfd, type TestOfd } from '../../hardware/sim/ofd/server.js';
import type { ReceiptAck } from '../../shared/mqtt/messages.js';
import { boxTopics } from '../../shared/mqtt/topics.js';
import { makeDocument, TEST_FN, TEST_FN_KEY } from '../support/documents.js';
import { ackEntries, BOX_SECRET, connectBox, SERVICE_SECRET, tempDir, waitFor } from '../support/hub-fixture.js';
import { onFreePort, onSamePort, startHubProcess, type HubProcess } from '../support/hub-process.js';

const T = boxTopics({ store: 'store-1', box: 'box-1' });

describe('hub kill -9 in the middle of forwarding', () => {
  let tmp: ReturnType<typeof tempDir>;
  let ofd: TestOfd;
  let env: Record<string, string>;
  let hub: HubProcess | null = null;

  beforeEach(async () => {
    tmp = tempDir();
    ofd = await startTestOfd({ apiKey: 'ofd-key', fnKey: TEST_FN_KEY });
    env = {
      HUB_DATA_DIR: join(tmp.dir, 'hub'), HUB_MQTT__PASSWORD: SERVICE_SECRET,
      HUB_HTTP__PORT: '0', HUB_OFD__URL: ofd.url, HUB_OFD__API_KEY: 'ofd-key', HUB_OFD__HALF_OPEN_AFTER_MS: '300',
      HUB_OFD__BACKOFF_INITIAL_MS: '50', HUB_OFD__BACKOFF_MAX_MS: '200', HUB_OFD__REQUEST_TIMEOUT_MS: '2000',
      // Small batches keep forwarding slow enough (slow OFD) for the kill to land in the middle.
      HUB_OFD__BATCH_SIZE: '2',
      HUB_CONFIG: join(tmp.dir, 'hub.json'),
    };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(env.HUB_CONFIG!, JSON.stringify({ boxes: [{ store: 'store-1', box: 'box-1', secret: BOX_SECRET }] }));
  });
  afterEach(async () => { await hub?.terminate(); await ofd.close(); tmp.cleanup(); });

  it('keeps sessions and queued QoS 1 acks; every document reaches the OFD exactly once', async () => {
    // The restart below reuses env: it comes back on the port this first start got.
    hub = await onFreePort((port) => { env.HUB_MQTT__PORT = String(port); return startHubProcess(env); });
    await ofd.setFault({ mode: 'slow', delay_ms: 60 });
    let box: MqttClient = await connectBox(hub.mqttUrl, 'box-1');
    await box.subscribeAsync(T.ack, { qos: 1 });
    const acks = new Map<string, ReceiptAck[]>();
    let lastMessageAt = 0;
    const onAck = (topic: string, p: Buffer) => {
      lastMessageAt = Date.now();
      if (topic !== T.ack) return;
      for (const a of ackEntries(p)) acks.set(a.receipt_id, [...(acks.get(a.receipt_id) ?? []), a]);
    };
    box.on('message', onAck);
    const docs = Array.from({ length: 30 }, (_, i) => makeDocument({ fd: 9000 + i }));
    for (const d of docs) await box.publishAsync(T.receipt, JSON.stringify(d), { qos: 1 });
    await waitFor(() => docs.every((d) => acks.get(d.receipt_id)?.some((a) => a.result === 'stored')));
    // The box goes away; its persistent session keeps collecting acks at the broker.
    await box.endAsync(true);
    await waitFor(() => ofd.stats().accepted >= 8, 15_000);
    await hub.kill();
    expect(ofd.stats().accepted).toBeLessThan(30);
    hub = await onSamePort(() => startHubProcess(env));
    await waitFor(() => ofd.stats().accepted === 30, 20_000);
    expect(new Set(ofd.stats().order[TEST_FN]).size).toBe(30);
    expect(ofd.stats().order[TEST_FN]).toEqual(docs.map((d) => d.fiscal.fd_number));

    // Reconnecting with the same client id and clean:false resumes the session: the tickets
    // queued while the box was away (some before the kill) are delivered now.
    const confirmed = (d: (typeof docs)[number]) => acks.get(d.receipt_id)?.some((a) => a.ofd.status === 'confirmed' && a.ofd.ticket);
    // Counted before the reconnect: queued acks may already arrive while connecting.
    const before = docs.filter((d) => confirmed(d)).length;
    box = await connectBox(hub.mqttUrl, 'box-1', {}, onAck);
    // Let the resumed session drain, then do what the box uplink does on every reconnect:
    // republish delivered documents still without a ticket. aedes sends PUBACK before it
    // enqueues for offline subscribers, so an ack the hub published just before a kill -9 can
    // be lost in the broker; the republished document gets the current state (with ticket).
    await waitFor(() => docs.filter((d) => confirmed(d)).length > before && Date.now() - lastMessageAt > 300, 10_000);
    const resent = docs.filter((x) => !confirmed(x));
    expect(resent.length).toBeLessThan(3);
    for (const d of resent) await box.publishAsync(T.receipt, JSON.stringify(d), { qos: 1 });
    await waitFor(() => docs.every(confirmed), 15_000, () => {
      const missing = docs.filter((d) => !confirmed(d));
      return `no ticket for FD ${missing.map((d) => d.fiscal.fd_number).join(',')}; ofd: ${JSON.stringify(ofd.stats())}`;
    });
    expect(ofd.stats().accepted).toBe(30);
    await box.endAsync(true);
  }, 60_000);
});
