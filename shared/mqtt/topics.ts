// The uplink's topic tree, one place for box and hub. Versioned (kkt/v1) so a v2 contract can
// run beside v1 during a fleet upgrade. Every box lives under kkt/v1/{store}/{box}/...; the
// hub's own retained status lives under kkt/v1/_hub/, a name no store id can take.

export const TOPIC_ROOT = 'kkt/v1';
export const HUB_SEGMENT = '_hub';

/** Store and box ids: safe as one topic level (no / + # $) and as a username. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** box -> hub kinds and hub -> box kinds. */
export const BOX_PUBLISHES = ['receipt', 'heartbeat', 'status', 'power'] as const;
export const HUB_PUBLISHES = ['ack', 'cmd'] as const;
export type BoxTopicKind = (typeof BOX_PUBLISHES)[number] | (typeof HUB_PUBLISHES)[number];

export interface BoxAddress { store: string; box: string }

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

function base(a: BoxAddress): string {
  if (!isValidId(a.store) || !isValidId(a.box)) throw new Error(`invalid store/box id: ${a.store}/${a.box}`);
  return `${TOPIC_ROOT}/${a.store}/${a.box}`;
}

/** Every topic of one box. `cmd(name)` is hub -> box, e.g. cmd/sync. */
export function boxTopics(a: BoxAddress) {
  const b = base(a);
  return {
    prefix: `${b}/`,
    receipt: `${b}/receipt`,
    ack: `${b}/ack`,
    heartbeat: `${b}/heartbeat`,
    status: `${b}/status`,
    power: `${b}/power`,
    cmd: (name: string) => `${b}/cmd/${name}`,
    cmdAll: `${b}/cmd/#`,
  };
}

/** The hub's retained status (online/offline, OFD breaker state), readable by every box. */
export const HUB_STATUS_TOPIC = `${TOPIC_ROOT}/${HUB_SEGMENT}/status`;

/** What the hub logic subscribes to (shared subscriptions are not used: MQTT 3.1.1). */
export const HUB_SUBSCRIPTIONS = {
  receipt: `${TOPIC_ROOT}/+/+/receipt`,
  heartbeat: `${TOPIC_ROOT}/+/+/heartbeat`,
  status: `${TOPIC_ROOT}/+/+/status`,
  power: `${TOPIC_ROOT}/+/+/power`,
} as const;

export interface ParsedTopic extends BoxAddress { kind: string; rest: string[] }

/** Splits kkt/v1/{store}/{box}/{kind}/... ; null for anything outside the box tree. */
export function parseBoxTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length < 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const [, , store, box, kind, ...rest] = parts;
  if (!store || !box || !kind || !isValidId(store) || !isValidId(box)) return null;
  return { store, box, kind, rest };
}
