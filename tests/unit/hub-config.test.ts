import { describe, expect, it } from 'vitest';
import { loadHubConfig } from '../../hub/config.js';
import { ConfigError } from '../../shared/config.js';
import { localDateTime } from '../../hub/erp/pages/render.js';

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

describe('hub config: erp.timeZone and the pages\' times', () => {
  it('defaults to Europe/Moscow, takes HUB_ERP__TIME_ZONE, and refuses what is not an IANA zone, naming the key', () => {
    expect(loadHubConfig({}).erp.timeZone).toBe('Europe/Moscow');
    expect(loadHubConfig({ HUB_ERP__TIME_ZONE: 'Asia/Yekaterinburg' }).erp.timeZone).toBe('Asia/Yekaterinburg');
    let err: unknown;
    try { loadHubConfig({ HUB_ERP__TIME_ZONE: 'Moscow' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.key)).toEqual(['erp.timeZone']);
  });

  it('shows a stored UTC instant in the zone, and leaves dates and local date-times as written', () => {
    const msk = localDateTime('Europe/Moscow');
    expect(msk('2026-11-26T05:51:30.123Z')).toBe('2026-11-26 08:51');
    expect(msk('2026-11-26T21:30:00Z')).toBe('2026-11-27 00:30');
    expect(localDateTime('Asia/Yekaterinburg')('2026-11-26T05:51:30+00:00')).toBe('2026-11-26 10:51');
    expect(msk('2026-11-25T16:36:00')).toBe('2026-11-25 16:36');
    expect(msk('2026-11-25')).toBe('2026-11-25');
    expect(msk(null)).toBe('');
  });
});
