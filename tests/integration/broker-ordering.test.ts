// A retained hub status must reach a box even when an ack to that box is published right
// after it. aedes stamps each publish with a counter, stores a retained one (async) before
// routing it, and per client drops any packet whose counter is below one it already
// delivered ("dedupe", meant for clustered brokers): an ack published later, which skips the
// retained store, overtook the status and got it dropped (docs/hub.md, the former known issue).
import { afterEach, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { join } from 'node:path';
import { boxTopics, HUB_STATUS_TOPIC } from '../../shared/mqtt/topics.js';
import { brokerFixture, connectBox, SERVICE_SECRET, SERVICE_USER, tempDir, type BrokerFixture } from '../support/hub-fixture.js';

let fx: BrokerFixture | null = null;
let tmp: { dir: string; cleanup(): void } | null = null;
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  await fx?.close();
  tmp?.cleanup();
  fx = null;
});

describe('broker delivery order', () => {
  it('delivers every retained status to a persistent box even with acks published right behind it', async () => {
    tmp = tempDir();
    fx = await brokerFixture(join(tmp.dir, 'hub.db'));
    const statuses: string[] = [];
    let acks = 0;
    const box = await connectBox(fx.broker.url, 'box-1', {}, (topic, payload) => {
      if (topic === HUB_STATUS_TOPIC) statuses.push(payload.toString());
      else acks++;
    });
    clients.push(box);
    const ackTopic = boxTopics({ store: 'store-1', box: 'box-1' }).ack;
    await box.subscribeAsync([HUB_STATUS_TOPIC, ackTopic], { qos: 1 });
    const hub = await mqtt.connectAsync(fx.broker.url, { clientId: '_hub', username: SERVICE_USER, password: SERVICE_SECRET, clean: false, protocolVersion: 4 });
    clients.push(hub);
    const N = 50;
    const sent: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      sent.push(hub.publishAsync(HUB_STATUS_TOPIC, `status-${i}`, { qos: 1, retain: true }));
      sent.push(hub.publishAsync(ackTopic, `ack-${i}`, { qos: 1 }));
    }
    await Promise.all(sent);
    const until = Date.now() + 5000;
    while ((statuses.length < N || acks < N) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(acks).toBe(N);
    expect(statuses).toEqual(Array.from({ length: N }, (_, i) => `status-${i}`));
  });
});
