// Corrupt database at start-up: the file is set aside (never deleted), the box starts on a
// fresh one, reports it loudly (health degraded, metric, retained status, fatal log) and keeps
// issuing HLC stamps above the old ones when the old mark can still be read.
import { afterEach, describe, expect, it } from 'vitest';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { startTestBox, type TestBox } from '../helpers/box-server.js';
import { saleBody } from '../helpers/receipts.js';

let t: TestBox | null = null;
let dirs: string[] = [];
afterEach(async () => {
  await t?.stop();
  t = null;
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  dirs = [];
});

async function boxWithSales(n: number): Promise<{ dir: string; lastHlc: string }> {
  const first = await startTestBox();
  let lastHlc = '';
  for (let i = 0; i < n; i++) lastHlc = ((await (await first.post(saleBody())).json()) as { hlc: string }).hlc;
  await first.box.stop(); // keep the directory: the next box opens it
  dirs.push(first.dataDir);
  return { dir: first.dataDir, lastHlc };
}

function scribble(file: string, offset: number, length: number): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(length, 0xa5), 0, length, offset);
  closeSync(fd);
}

describe('corrupt database at start-up', () => {
  it('a file that is not a database any more is set aside, and the box starts fresh and says so', async () => {
    const { dir } = await boxWithSales(5);
    const file = join(dir, 'box.db');
    scribble(file, 0, 100); // the header
    const corruptBytes = readFileSync(file);
    const published: { subject: string; state: Record<string, unknown> }[] = [];
    t = await startTestBox({ dataDir: dir }, { status: { publish: async (subject, state) => { published.push({ subject, state }); } } });
    const aside = readdirSync(dir).find((f) => f.startsWith('box.db.corrupt-') && !f.endsWith('-wal') && !f.endsWith('-shm'));
    expect(aside).toBeDefined();
    expect(readFileSync(join(dir, aside!)).equals(corruptBytes)).toBe(true); // not deleted, not touched
    expect(t.box.setAside?.movedTo).toBe(join(dir, aside!));

    const health = await t.get('/health');
    expect(health.status).toBe(200);
    const report = await health.json() as { status: string; components: { database: { status: string; detail: { incidents: { kind: string; detail: { moved_to: string } }[] } } } };
    expect(report.status).toBe('degraded');
    expect(report.components.database.status).toBe('degraded');
    expect(report.components.database.detail.incidents[0]).toMatchObject({ kind: 'database-set-aside', detail: { moved_to: join(dir, aside!) } });
    expect(await (await t.get('/metrics')).text()).toMatch(/box_database_incidents 1/);
    expect(published.find((p) => p.subject === 'database')?.state).toMatchObject({ state: 'incident' });
    expect((await t.post(saleBody())).status).toBe(201); // sales go on
    // The operator acknowledges: health is healthy again.
    const [incident] = t.box.buffer.openIncidents();
    t.box.buffer.acknowledgeIncident(incident!.id);
    expect(((await (await t.get('/health')).json()) as { status: string }).status).toBe('healthy');
  });

  it('damaged pages (integrity check fails): set aside with its WAL, clock stays above the old stamps', async () => {
    const { dir, lastHlc } = await boxWithSales(40);
    const file = join(dir, 'box.db');
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(4096 * 4);
    scribble(file, size - 4096 * 2, 4096); // an index/table page near the end, header intact
    t = await startTestBox({ dataDir: dir });
    expect(t.box.setAside).not.toBeNull();
    expect(existsSync(t.box.setAside!.movedTo)).toBe(true);
    const fresh = (await (await t.post(saleBody())).json()) as { hlc: string };
    expect(t.box.setAside!.salvagedHighWaterMark).toBe(lastHlc);
    expect(fresh.hlc > lastHlc).toBe(true);
    expect(t.box.buffer.status().current_queued).toBe(1);
  });
});
