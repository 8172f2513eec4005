// Fleet over real MQTT: heartbeats make a box online after 2, its last will makes it offline
// at once; /api/fleet and per-box Prometheus metrics follow.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodePayload, heartbeatMessage, boxStatusMessage } from '../../shared/mqtt/messages.js';
import { boxTopics } from '../../shared/mqtt/topics.js';
import { connectBox, waitFor } from '../support/hub-fixture.js';
import { hubStack, OPERATOR_TOKEN, type HubStack } from '../support/hub-stack.js';

const T = boxTopics({ store: 'store-1', box: 'box-1' });
const hb = (seq: number) => encodePayload(heartbeatMessage, {
  v: 1, store_id: 'store-1', box_id: 'box-1', seq, sent_at: new Date().toISOString(), uptime_s: seq * 30,
  buffer: { pending: 7, percent: 0.7, oldest_pending_age_s: 42 },
  printer: { state: 'connected', fn_docs_without_ticket: 9, fn_oldest_without_ticket_age_s: 259_200 },
  link: { state: 'online' }, system: { cpu_temp_c: 51.5, load1: 0.2, mem_used_pct: 40, disk_free_bytes: 1e9 },
  health: { status: 'degraded', failing: [], degraded: ['clock'] },
});

describe('fleet over MQTT', () => {
  let s: HubStack;
  beforeEach(async () => { s = await hubStack(); });
  afterEach(async () => { await s.close(); });

  it('2 heartbeats -> online with metrics; last will -> offline at once', async () => {
    const offline = encodePayload(boxStatusMessage, { v: 1, state: 'offline', at: new Date().toISOString(), reason: 'last will' });
    const box = await connectBox(s.hub.mqttUrl, 'box-1', { will: { topic: T.status, payload: offline, qos: 1, retain: true }, reconnectPeriod: 0 });
    await box.publishAsync(T.heartbeat, hb(1), { qos: 1 });
    await waitFor(() => s.hub.fleet.get({ store: 'store-1', box: 'box-1' })?.heartbeat?.seq === 1);
    expect(s.hub.fleet.get({ store: 'store-1', box: 'box-1' })?.state).toBe('unknown');
    await box.publishAsync(T.heartbeat, hb(2), { qos: 1 });
    await waitFor(() => s.hub.fleet.get({ store: 'store-1', box: 'box-1' })?.state === 'online');
    const fleet = await (await fetch(`${s.hub.httpUrl}/api/fleet`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } })).json() as { boxes: { box: string; state: string; heartbeat: { buffer: { pending: number } } }[] };
    expect(fleet.boxes.find((b) => b.box === 'box-1')).toMatchObject({ state: 'online', heartbeat: { buffer: { pending: 7 } } });
    const metrics = await (await fetch(`${s.hub.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/hub_box_buffer_pending\{store="store-1",box="box-1"\} 7/);
    expect(metrics).toMatch(/hub_box_fn_docs_without_ticket\{store="store-1",box="box-1"\} 9/);
    expect(metrics).toMatch(/hub_box_fn_oldest_without_ticket_age_seconds\{store="store-1",box="box-1"\} 259200/);
    expect(metrics).toMatch(/hub_box_oldest_pending_age_seconds\{store="store-1",box="box-1"\} 42/);
    expect(metrics).toMatch(/hub_box_online\{store="store-1",box="box-1"\} 1/);
    expect(metrics).toMatch(/hub_box_health_status\{store="store-1",box="box-1"\} 1/);
    expect(fleet.boxes.find((b) => b.box === 'box-1')).toMatchObject({ heartbeat: { health: { status: 'degraded', degraded: ['clock'] } } });
    // An unclean loss of the connection publishes the will.
    box.stream.destroy();
    await waitFor(() => s.hub.fleet.get({ store: 'store-1', box: 'box-1' })?.state === 'offline');
    expect(s.hub.fleet.get({ store: 'store-1', box: 'box-1' })?.reason).toBe('last will');
    box.end(true);
  });
});
