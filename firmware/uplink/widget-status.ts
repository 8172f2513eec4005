// What a POS screen shows about the box's link: one word (online/offline/degraded), buffer
// fill, and the OFD breaker as the hub reports it.
import type { ReceiptBuffer } from '../buffer/receipt-buffer.js';
import type { Heartbeat } from './heartbeat.js';
import type { Uplink } from './uplink.js';

export interface WidgetStatus {
  state: 'online' | 'offline' | 'degraded';
  reason: string;
  /** The same for the cashier's screen (the widget shows this one). */
  reason_ru: string;
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
  let why: [string, string] = ['connected to the hub; documents reach the OFD', 'Связь с сервером есть, чеки уходят в ОФД'];
  if (!uplink) { state = 'offline'; why = ['the uplink is not configured', 'Связь с сервером не настроена']; }
  else if (link === 'offline') { state = 'offline'; why = ['no link to the hub; sales are kept in the box', 'Нет связи с сервером; чеки сохраняются в боксе']; }
  else if (uplink.hubOnline === false) { state = 'degraded'; why = ['the hub is offline', 'Сервер недоступен; чеки сохраняются в боксе']; }
  else if (breaker && breaker !== 'closed') {
    state = 'degraded';
    why = [`the OFD is unreachable (breaker ${breaker}); documents wait at the hub`, 'ОФД недоступен; чеки ждут отправки на сервере'];
  } else if (st.percent_full >= 80) { state = 'degraded'; why = ['the box buffer is over 80% full', 'Буфер бокса заполнен более чем на 80 %']; }
  const [reason, reasonRu] = why;
  return {
    state, reason, reason_ru: reasonRu, link, mqtt_connected: uplink?.connected ?? false, hub_online: uplink?.hubOnline ?? null, ofd_breaker: breaker,
    buffer_percent: st.percent_full, pending: counts.unsent, unsynced: counts.unsynced, updated_at: new Date().toISOString(),
  };
}
