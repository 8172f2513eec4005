import { describe, expect, it } from 'vitest';
import { loadHubConfig } from '../../hub/config.js';
import { ConfigError } from '../../shared/config.js';

describe('hub config: mqtt.maxPacketBytes', () => {
  it('defaults to 1 MiB and takes HUB_MQTT__MAX_PACKET_BYTES', () => {
    expect(loadHubConfig({}).mqtt.maxPacketBytes).toBe(1024 * 1024);
    expect(loadHubConfig({ HUB_MQTT__MAX_PACKET_BYTES: '4194304' }).mqtt.maxPacketBytes).toBe(4 * 1024 * 1024);
  });

  it('refuses a cap below the largest valid receipt or above what MQTT can carry', () => {
    for (const v of ['65536', '268435456', 'big']) {
      let err: unknown;
      try { loadHubConfig({ HUB_MQTT__MAX_PACKET_BYTES: v }); } catch (e) { err = e; }
      expect(err, v).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.key), v).toEqual(['mqtt.maxPacketBytes']);
    }
  });
});
