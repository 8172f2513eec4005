// Turns API answers into short lines for an 80-column terminal. The box's JSON shapes are
// still settling, so each status line looks for its facts under the few names they may have
// and falls back to showing whatever object it finds.
import type { ApiResult } from './api.js';

function get(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

export function pick(obj: unknown, paths: string[]): unknown {
  for (const p of paths) {
    const v = get(obj, p);
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

export function compact(v: unknown, max = 60): string {
  let s: string;
  if (v === undefined || v === null) s = 'unknown';
  else if (typeof v === 'object' && !Array.isArray(v)) {
    s = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => typeof x !== 'object' || x === null)
      .map(([k, x]) => `${k}=${String(x)}`)
      .join(' ');
  } else s = Array.isArray(v) ? v.map((x) => compact(x, 20)).join(', ') : String(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** One line for the result of an action: success, a problem+json detail, or no answer. */
export function outcome(r: ApiResult): string {
  if (r.status === 0) return `FAILED: the box service did not answer (${r.error ?? 'no connection'})`;
  if (r.ok) return `OK (${r.status}) ${compact(r.body, 200)}`;
  const title = pick(r.body, ['title']);
  const detail = pick(r.body, ['detail']);
  return `FAILED (${r.status}) ${[title, detail].filter(Boolean).map(String).join(': ') || compact(r.body)}`;
}

export interface Glance {
  health: ApiResult;
  buffer: ApiResult;
  disk?: { freeBytes: number; totalBytes: number };
  identity: { storeId?: string; boxId?: string };
  now: Date;
}

export function glance(g: Glance): string {
  const h = g.health.body;
  const b = g.buffer.body;
  const service = g.health.status === 0 ? `DOWN (${g.health.error ?? 'no answer'})` : `${compact(pick(h, ['status']) ?? (g.health.ok ? 'ok' : 'error'))} (HTTP ${g.health.status})`;
  const buffer = g.buffer.ok ? compact(b) : outcome(g.buffer);
  const disk = g.disk
    ? `${bytes(g.disk.freeBytes)} free of ${bytes(g.disk.totalBytes)} (${Math.round((100 * (g.disk.totalBytes - g.disk.freeBytes)) / Math.max(1, g.disk.totalBytes))}% used)`
    : 'unknown';
  const rows: [string, string][] = [
    ['Service', service],
    ['Printer', compact(pick(h, ['kkt', 'printer', 'checks.kkt', 'checks.printer', 'components.printer.detail']))],
    ['FN', compact(pick(h, ['fn', 'kkt.fn', 'printer.fn', 'checks.fn', 'components.printer.detail.fn']))],
    ['Buffer', buffer],
    ['Link', compact(pick(h, ['uplink', 'mqtt', 'link', 'checks.uplink', 'checks.mqtt', 'components.uplink.detail']))],
    ['Power', compact(pick(h, ['power', 'ups', 'checks.power', 'components.power.detail']))],
    ['Disk', disk],
  ];
  const who = `store ${g.identity.storeId ?? '(not provisioned)'}  box ${g.identity.boxId ?? '-'}`;
  return [`== Status at ${g.now.toISOString().slice(0, 19)}Z  ${who}`, ...rows.map(([k, v]) => `  ${k.padEnd(8)} ${v}`), ''].join('\n');
}
