// `npm run disk-full:tmpfs` (root, Linux): the honest full disk. Mounts a small tmpfs, runs a
// box with its data there, sells until the filesystem is full, then checks the answer is a
// clear 507/503, every acknowledged receipt is still there and the database is intact.
// Not part of `npm test` (needs mount); docs/durability.md records its result.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Box } from '../firmware/box.js';
import { loadBoxConfig } from '../firmware/config.js';
import { integrityCheck, openDatabase } from '../shared/db.js';
import { silentLogger } from '../shared/logger.js';

const sizeKb = Number(process.env.TMPFS_KB ?? 1024);
const mnt = mkdtempSync(join(tmpdir(), 'diskfull-'));
execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', mnt]);
const token = 'disk-full-token-0123456789';
let result: Record<string, unknown> = {};
let box: Box | null = null;
try {
  box = new Box(loadBoxConfig({ env: {}, overrides: { dataDir: mnt, api: { port: 0, posTokens: [token] }, power: { gpio: 'none' }, health: { minFreeDiskBytes: 0 } } }), { log: silentLogger() });
  const url = await box.start();
  const acked: string[] = [];
  const refusals: Record<string, number> = {};
  let firstRefusal: unknown = null;
  for (let i = 0; i < 100_000 && Object.values(refusals).reduce((a, b) => a + b, 0) < 5; i++) {
    const res = await fetch(`${url}/v1/kkt/receipt`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ pos_id: 'POS-1', type: 'sale', items: [{ name: `Lens ${i} ${'z'.repeat(100)}`, qty: 1, price: 990 }], payments: [{ method: 'card', amount: 990 }] }),
    });
    const body = await res.json() as { receipt_id?: string; type?: string };
    if (res.status === 201) acked.push(body.receipt_id!);
    else {
      const k = `${res.status} ${body.type?.split('/').pop() ?? ''}`;
      refusals[k] = (refusals[k] ?? 0) + 1;
      firstRefusal ??= body;
    }
  }
  const health = await (await fetch(`${url}/health`)).json() as { status: string; failing: string[] };
  let stopError: string | null = null;
  try {
    await box.stop();
  } catch (err) {
    stopError = (err as Error).message;
  }
  const db = openDatabase(join(mnt, 'box.db'), { readonly: true });
  const ids = new Set((db.prepare('SELECT id FROM receipts').all() as { id: string }[]).map((r) => r.id));
  const integrity = integrityCheck(db);
  db.close();
  result = {
    tmpfs_kb: sizeKb, acknowledged: acked.length, lost: acked.filter((id) => !ids.has(id)).length, stored: ids.size,
    refusals, first_refusal: firstRefusal, health_when_full: health.status, failing: health.failing, stop_error: stopError,
    integrity: integrity.ok ? 'ok' : integrity.problems,
  };
} catch (err) {
  result = { error: (err as Error).stack };
  await box?.stop().catch(() => {});
} finally {
  execFileSync('umount', ['-l', mnt]);
  rmSync(mnt, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
