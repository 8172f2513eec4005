// The box's uplink settings (section `uplink` of the box config; BOX_UPLINK__URL=... etc.).
import { z } from 'zod';
import { ID_PATTERN } from '../../shared/mqtt/topics.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean());

export const uplinkConfigSchema = z.strictObject({
  enabled: bool.default(false),
  /** The hub's broker. */
  url: z.string().regex(/^mqtts?:\/\//, 'must be mqtt:// or mqtts://').default('mqtt://127.0.0.1:1883'),
  storeId: z.string().regex(ID_PATTERN, 'invalid store id').default('store-1'),
  /** MQTT username and client id; defaults to the box's nodeId. */
  boxId: z.string().regex(ID_PATTERN, 'invalid box id').optional(),
  secret: z.string().default(''),
  /** Documents published and not yet acked by the hub, at most. */
  window: int(1, 5000).default(100),
  /** A document not acked in this time is published again. */
  ackTimeoutMs: int(100, 3_600_000).default(30_000),
  heartbeatMs: int(100, 3_600_000).default(30_000),
  /** How often the outbox is looked at for new printed documents. */
  pollMs: int(10, 60_000).default(1000),
}).refine((u) => !u.enabled || u.secret.length >= 12, { message: 'uplink.secret (at least 12 characters) is required when the uplink is enabled', path: ['secret'] });
export type UplinkConfig = z.output<typeof uplinkConfigSchema>;
