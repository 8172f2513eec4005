// `npm run box:incidents`: says so when there is nothing, refuses what it does not know, and
// never creates a database where there was none.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReceiptBuffer } from '../../firmware/buffer/receipt-buffer.js';
import { HybridLogicalClock } from '../../firmware/clock/hlc.js';
import { tempDir } from '../helpers/temp-dir.js';

const CLI = new URL('../../scripts/box-incidents.ts', import.meta.url).pathname;
const run = (dataDir: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, BOX_CONFIG: '', BOX_DATA_DIR: dataDir }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const dirs: { remove(): void }[] = [];
afterEach(() => { for (const d of dirs.splice(0)) d.remove(); });

describe('box:incidents', () => {
  it('lists, acknowledges, says when there are none, and refuses unknown verbs and missing data', () => {
    const d = tempDir('incidents-');
    dirs.push(d);
    const buffer = ReceiptBuffer.open(join(d.path, 'box.db'), { clock: new HybridLogicalClock({ node: 'b' }), capacity: 10 });
    buffer.recordIncident('database-set-aside', { file: 'x' });
    buffer.close();
    expect(run(d.path)).toMatchObject({ code: 0, out: expect.stringMatching(/^1\t.*\tdatabase-set-aside\tOPEN\t/) });
    expect(run(d.path, 'ack', '1')).toMatchObject({ code: 0, out: 'incident 1 acknowledged\n' });
    expect(run(d.path, 'ack', '1')).toMatchObject({ code: 1, out: 'no open incident 1\n' });
    expect(run(d.path, 'bogus')).toMatchObject({ code: 64, err: expect.stringMatching(/^usage: npm run box:incidents/) });
    const empty = tempDir('incidents-none-');
    dirs.push(empty);
    const fresh = ReceiptBuffer.open(join(empty.path, 'box.db'), { clock: new HybridLogicalClock({ node: 'b' }), capacity: 10 });
    fresh.close();
    expect(run(empty.path)).toMatchObject({ code: 0, out: expect.stringMatching(/^no incidents recorded in /) });
    const nowhere = join(empty.path, 'not-a-box');
    expect(run(nowhere)).toMatchObject({ code: 1, err: expect.stringMatching(/no box database at .*not-a-box\/box\.db/) });
    expect(existsSync(nowhere)).toBe(false);
  });
});
