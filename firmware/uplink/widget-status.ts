// What a POS screen shows about the box's link: one word (online/offline/degraded), buffer
// fill, and the OFD breaker as the hub reports it.
import type { ReceiptBuffer } from '../buffer/receipt-buffer.js';
import type { Heartbeat } from './heartbeat.js';
import type { Uplink } from './uplink.js';

export interface WidgetStatus {
  state: 'online' | 'offline' | 'degraded';
  reason: string;
  link: 'online' | 'offline';
  mqtt_connected: boolean;
  hub_online: boolean | null;
  ofd_breaker: string | null;
  buffer_percent: number;
  pending: number;
  unsynced: number;
  updated_at: string;
}

export function widgetStatus(buffer: ReceiptBuffer, uplink: Uplink | null, hb: Heartbeat | null): WidgetStatus {
  const st = buffer.status();
  const counts = uplink?.outbox.counts() ?? { unsent: 0, unsynced: 0 };
  const link = hb?.link.state ?? 'offline';
  const breaker = uplink?.hubBreaker ?? null;
  let state: WidgetStatus['state'] = 'online';
  let reason = 'connected to the hub; documents reach the OFD';
  if (!uplink) { state = 'offline'; reason = 'the uplink is not configured'; }
  else if (link === 'offline') { state = 'offline'; reason = 'no link to the hub; sales are kept in the box'; }
  else if (uplink.hubOnline === false) { state = 'degraded'; reason = 'the hub is offline'; }
  else if (breaker && breaker !== 'closed') { state = 'degraded'; reason = `the OFD is unreachable (breaker ${breaker}); documents wait at the hub`; }
  else if (st.percent_full >= 80) { state = 'degraded'; reason = 'the box buffer is over 80% full'; }
  return {
    state, reason, link, mqtt_connected: uplink?.connected ?? false, hub_online: uplink?.hubOnline ?? null, ofd_breaker: breaker,
    buffer_percent: st.percent_full, pending: counts.unsent, unsynced: counts.unsynced, updated_at: new Date().toISOString(),
  };
}
