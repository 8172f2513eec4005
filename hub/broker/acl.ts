// The broker's access rules, as pure functions so they are tested without a socket.
// A box publishes only its own documents and telemetry, and subscribes only to what the hub
// sends it plus the hub's status; the hub's service user owns the kkt/v1 tree; nobody
// touches $SYS (aedes leaves that check to a custom authorizePublish).
import { boxTopics, HUB_STATUS_TOPIC, TOPIC_ROOT, type BoxAddress } from '../../shared/mqtt/topics.js';
import type { Principal } from './box-registry.js';

const BOX_PUBLISH_KINDS = new Set(['receipt', 'heartbeat', 'status', 'power']);

/** Short, fixed codes: they label the refusal metric, so they must not carry ids or topics. */
export type AclCode = 'reserved_topic' | 'invalid_topic' | 'foreign_topic' | 'client_id';
export type AclDecision = { ok: true } | { ok: false; code: AclCode; reason: string };

const allow: AclDecision = { ok: true };
const deny = (code: AclCode, reason: string): AclDecision => ({ ok: false, code, reason });

function ownPrefix(p: BoxAddress): string {
  return boxTopics(p).prefix;
}

export function mayPublish(p: Principal, topic: string): AclDecision {
  if (topic.startsWith('$')) return deny('reserved_topic', '$-topics are reserved for the broker');
  // aedes refuses these in a PUBLISH but not in a CONNECT's last will, which also comes here.
  if (topic === '' || /[+#]/.test(topic)) return deny('invalid_topic', 'a published topic has no wildcards and is not empty');
  if (p.role === 'service') return topic.startsWith(`${TOPIC_ROOT}/`) ? allow : deny('foreign_topic', `service users publish only under ${TOPIC_ROOT}/`);
  const prefix = ownPrefix(p);
  if (!topic.startsWith(prefix)) return deny('foreign_topic', `box ${p.box} publishes only under ${prefix}`);
  const rest = topic.slice(prefix.length);
  return BOX_PUBLISH_KINDS.has(rest) ? allow : deny('foreign_topic', `a box may not publish to ${topic}`);
}

export function maySubscribe(p: Principal, filter: string): AclDecision {
  if (filter.startsWith('$')) return deny('reserved_topic', '$-topics are reserved for the broker');
  if (p.role === 'service') return filter === '#' || filter.startsWith(`${TOPIC_ROOT}/`) ? allow : deny('foreign_topic', `service users subscribe only under ${TOPIC_ROOT}/`);
  const t = boxTopics(p);
  if (filter === HUB_STATUS_TOPIC || filter === t.ack || filter === t.cmdAll || filter === t.status || filter === t.power) return allow;
  if (filter.startsWith(`${t.prefix}cmd/`) && !filter.slice(t.prefix.length + 4).includes('#')) return allow;
  return deny('foreign_topic', `box ${p.box} may not subscribe to ${filter}`);
}

/** A box must use its own id as client id, so no box can take over another's session. */
export function mayUseClientId(p: Principal, clientId: string): AclDecision {
  if (p.role === 'box') return clientId === p.box ? allow : deny('client_id', `box ${p.box} must connect with client id ${p.box}`);
  return clientId.startsWith('_') ? allow : deny('client_id', 'service client ids start with _');
}
