import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadBoxConfig } from '../../firmware/config.js';
import { tempDir } from '../helpers/temp-dir.js';

const TOKEN = 'a-token-long-enough-1234';
let dirs: { remove(): void }[] = [];
afterEach(() => { dirs.forEach((d) => d.remove()); dirs = []; });

describe('box configuration', () => {
  it('defaults < file < BOX_* environment', () => {
    const d = tempDir();
    dirs.push(d);
    const file = join(d.path, 'box.json');
    writeFileSync(file, JSON.stringify({ nodeId: 'store7', api: { port: 9100, posTokens: [TOKEN] }, buffer: { capacity: 500 } }));
    const c = loadBoxConfig({ file, env: { BOX_API__PORT: '9200', BOX_RECEIPT__DEFAULT_VAT: 'vat10' } });
    expect(c).toMatchObject({ nodeId: 'store7', api: { host: '127.0.0.1', port: 9200, bodyLimitKb: 64 }, buffer: { capacity: 500, maxBatch: 256 }, receipt: { defaultVat: 'vat10' } });
    expect(c.health.minFreeDiskBytes).toBe(1_000_000_000);
  });

  it('takes POS tokens as a comma-separated environment variable', () => {
    const c = loadBoxConfig({ env: { BOX_API__POS_TOKENS: `${TOKEN}, second-token-000000000` } });
    expect(c.api.posTokens).toEqual([TOKEN, 'second-token-000000000']);
  });

  it('names every bad key at once', () => {
    let err: unknown;
    try {
      loadBoxConfig({ env: { BOX_API__PORT: '70000', BOX_NODE_ID: 'bad id', BOX_RECEIPT__DEFAULT_VAT: 'vat18', BOX_API__POS_TOKENS: 'short' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.key).sort()).toEqual(['api.port', 'api.posTokens[0]', 'nodeId', 'receipt.defaultVat'].sort()
      .map((k) => k.replace('[0]', '.0')));
  });

  it('a nodeId that cannot be the MQTT box id is refused at start-up when the uplink would use it', () => {
    const env = { BOX_API__POS_TOKENS: TOKEN, BOX_NODE_ID: 'shop.7', BOX_UPLINK__ENABLED: 'true', BOX_UPLINK__SECRET: 'box-secret-123456' };
    expect(() => loadBoxConfig({ env })).toThrow(ConfigError);
    expect(() => loadBoxConfig({ env })).toThrow(/nodeId: is also the box id towards the hub/);
    expect(loadBoxConfig({ env: { ...env, BOX_UPLINK__BOX_ID: 'shop-7' } }).nodeId).toBe('shop.7');
    expect(loadBoxConfig({ env: { ...env, BOX_UPLINK__ENABLED: 'false' } }).nodeId).toBe('shop.7');
  });

  it('rejects unknown keys and a missing token', () => {
    expect(() => loadBoxConfig({ env: { BOX_API__POS_TOKENS: TOKEN, BOX_API__PROT: '1' } })).toThrow(/api: unknown key\(s\): prot/);
    expect(() => loadBoxConfig({ env: {} })).toThrow(/api.posTokens/);
  });
});
