// Backup and restore of the real hub (seed: RTO <= 1 h, RPO <= 24 h): an online backup of
// hub.db taken while boxes keep publishing; restored into a fresh hub, which still knows every
// document it had acknowledged (a box republishing one gets "duplicate", never a second OFD
// delivery) and keeps taking new ones.
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { backupDatabase, restoreDatabase } from '../../hub/backup/sqlite-backup.js';
import { Hub } from '../../hub/hub.js';
import { silentLogger } from '../../shared/logger.js';
import { boxTopics } from '../../shared/mqtt/topics.js';
import { makeDocument } from '../support/documents.js';
import { collectAcks, connectBox, tempDir, waitFor } from '../support/hub-fixture.js';
import { hubStack, type HubStack } from '../support/hub-stack.js';

const T = boxTopics({ store: 'store-1', box: 'box-1' });
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  cleanup = [];
});

async function publish(box: MqttClient, docs: ReturnType<typeof makeDocument>[]): Promise<void> {
  for (const d of docs) await box.publishAsync(T.receipt, JSON.stringify(d), { qos: 1 });
}

describe('hub backup and restore on the real hub database', () => {
  it('restores an online backup into a fresh hub that dedupes what it had and keeps serving', async () => {
    const s: HubStack = await hubStack();
    cleanup.push(() => s.close());
    let box = await connectBox(s.hub.mqttUrl, 'box-1');
    await box.subscribeAsync(T.ack, { qos: 1 });
    let acks = collectAcks(box, T.ack);
    const before = Array.from({ length: 20 }, (_, i) => makeDocument({ fd: 100 + i }));
    await publish(box, before);
    await waitFor(() => before.every((d) => acks.get(d.receipt_id)?.some((a) => a.ofd.status === 'confirmed')), 20_000);
    expect(s.ofd.stats().accepted).toBe(20);

    // Online: documents keep arriving while the backup runs; either side of it is consistent.
    const racing = publish(box, Array.from({ length: 10 }, (_, i) => makeDocument({ fd: 200 + i })));
    const out = tempDir('hub-backups-');
    cleanup.push(async () => out.cleanup());
    const manifest = await backupDatabase(join(s.dir, 'hub.db'), out.dir);
    await racing;
    expect(manifest.integrity).toBe('ok');

    // Disaster: the hub is gone; a fresh hub restores the backup into its empty data dir.
    await box.endAsync(true);
    await s.hub.stop();
    const fresh = tempDir('hub-restored-');
    cleanup.push(async () => fresh.cleanup());
    await restoreDatabase(manifest.file, join(fresh.dir, 'hub.db'));
    const restored = new Hub({ ...s.cfg, dataDir: fresh.dir }, { logger: silentLogger() });
    await restored.start();
    s.hub = restored;

    box = await connectBox(restored.mqttUrl, 'box-1');
    await box.subscribeAsync(T.ack, { qos: 1 });
    acks = collectAcks(box, T.ack);
    cleanup.push(() => box.endAsync(true));
    // The box republishes what it has no ticket for yet; the restored hub knows the old ones.
    await publish(box, before.slice(0, 5));
    await waitFor(() => before.slice(0, 5).every((d) => acks.get(d.receipt_id)?.some((a) => a.result === 'duplicate')), 20_000);
    const next = makeDocument({ fd: 300 });
    await publish(box, [next]);
    await waitFor(() => acks.get(next.receipt_id)?.some((a) => a.ofd.status === 'confirmed') ?? false, 20_000);
    // Nothing the old hub delivered went to the OFD a second time.
    const stats = s.ofd.stats();
    expect(stats.duplicates).toBe(0);
    const fds = Object.values(stats.order).flat();
    expect(new Set(fds).size).toBe(fds.length);
    expect(fds).toContain(300);
    for (let i = 0; i < 20; i++) expect(fds).toContain(100 + i);
  });
});
