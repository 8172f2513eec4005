// Interop with software nobody here wrote: the hub's logic as a client of a real Mosquitto
// broker (no code change, only config), and mosquitto_sub reading the hub's retained status.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import { boxStatusMessage, hubStatusMessage, parsePayload } from '../../shared/mqtt/messages.js';
import { boxTopics, HUB_STATUS_TOPIC } from '../../shared/mqtt/topics.js';
import { makeDocument } from '../support/documents.js';
import { ackEntries, BOX_SECRET, connectBox, nextMessage, SERVICE_SECRET, tempDir } from '../support/hub-fixture.js';
import { hubStack, type HubStack } from '../support/hub-stack.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';

const run = promisify(execFile);
const T = boxTopics({ store: 'store-1', box: 'box-1' });

describe('hub against a real Mosquitto broker', () => {
  let tmp: ReturnType<typeof tempDir>;
  let mosq: Mosquitto;
  let s: HubStack;
  let box: MqttClient;

  beforeEach(async () => {
    tmp = tempDir();
    mosq = await startMosquitto(tmp.dir, [['_hub', SERVICE_SECRET], ['box-1', BOX_SECRET]]);
    s = await hubStack({ mqtt: { embedded: false, url: mosq.url } });
    box = await connectBox(mosq.url, 'box-1');
    await box.subscribeAsync(T.ack, { qos: 1 });
  });
  afterEach(async () => { await box.endAsync(true); await s.close(); await mosq.stop(); tmp.cleanup(); });

  it('a document published to Mosquitto is stored, forwarded and its ticket comes back', async () => {
    const doc = makeDocument();
    const confirmed = nextMessage(box, T.ack, (p) => ackEntries(p).some((a) => a.receipt_id === doc.receipt_id && a.ofd.status === 'confirmed'));
    await box.publishAsync(T.receipt, JSON.stringify(doc), { qos: 1 });
    const entry = ackEntries(await confirmed).find((a) => a.receipt_id === doc.receipt_id);
    expect(entry?.ofd.ticket?.fd_number).toBe(doc.fiscal.fd_number);
    expect(s.ofd.stats()).toMatchObject({ accepted: 1, duplicates: 0 });
  });

  it('mosquitto_sub reads the retained hub status and a box status; the ACL refuses another box\'s topic', async () => {
    await box.publishAsync(T.status, JSON.stringify({ v: 1, state: 'online', at: new Date().toISOString() }), { qos: 1, retain: true });
    const sub = (user: string, pass: string, topic: string, wait = 5) => run('mosquitto_sub',
      ['-h', '127.0.0.1', '-p', String(mosq.port), '-u', user, '-P', pass, '-t', topic, '-C', '1', '-W', String(wait), '-V', 'mqttv311']);
    const hubStatus = await sub('box-1', BOX_SECRET, HUB_STATUS_TOPIC);
    const h = parsePayload(hubStatusMessage, hubStatus.stdout.trim());
    expect(h.ok && h.value).toMatchObject({ state: 'online', ofd: { breaker: 'closed' } });
    const boxStatus = await sub('_hub', SERVICE_SECRET, 'kkt/v1/+/+/status');
    expect(parsePayload(boxStatusMessage, boxStatus.stdout.trim()).ok).toBe(true);
    // box-1 reading box-2's acks gets nothing within the wait (Mosquitto drops what the ACL denies).
    await expect(sub('box-1', BOX_SECRET, 'kkt/v1/store-1/box-2/ack', 1)).rejects.toMatchObject({ code: 27 });
  });
});
