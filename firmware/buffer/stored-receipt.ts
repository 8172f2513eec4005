// The buffer row as the rest of the program sees it (camelCase, payload parsed).
import type { Receipt } from '../../shared/receipt.js';
import type { ReceiptStatus } from './statuses.js';

export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface StoredReceipt {
  id: string;
  idempotencyKey: string;
  requestHash: string;
  hlc: string;
  posId: string;
  type: Receipt['type'];
  total: number;
  receipt: Receipt;
  status: ReceiptStatus;
  fiscalData: unknown;
  retryCount: number;
  lastError: string | null;
  response: StoredResponse | null;
  createdAt: string;
  updatedAt: string;
  printedAt: string | null;
  deliveredAt: string | null;
  hubTime: string | null;
  syncedAt: string | null;
  serverTime: string | null;
  /** Set when the POS cancelled the sale before it was fiscalised (status `cancelled`). */
  cancelledAt: string | null;
  cancelReason: string | null;
}

export interface ReceiptRow {
  id: string; idempotency_key: string; request_hash: string; hlc: string; pos_id: string; type: Receipt['type'];
  total_kopecks: number; payload: string; status: ReceiptStatus; fiscal_data: string | null; retry_count: number;
  last_error: string | null; response_status: number | null; response_body: string | null; created_at: string;
  updated_at: string; printed_at: string | null; delivered_at: string | null; hub_time: string | null;
  synced_at: string | null; server_time: string | null; cancelled_at?: string | null; cancel_reason?: string | null;
}

export function fromRow(r: ReceiptRow): StoredReceipt {
  return {
    id: r.id, idempotencyKey: r.idempotency_key, requestHash: r.request_hash, hlc: r.hlc, posId: r.pos_id, type: r.type,
    total: r.total_kopecks, receipt: JSON.parse(r.payload) as Receipt, status: r.status,
    fiscalData: r.fiscal_data ? (JSON.parse(r.fiscal_data) as unknown) : null, retryCount: r.retry_count ?? 0,
    lastError: r.last_error ?? null,
    response: r.response_status !== null && r.response_status !== undefined ? { status: r.response_status, body: JSON.parse(r.response_body ?? 'null') as unknown } : null,
    createdAt: r.created_at, updatedAt: r.updated_at, printedAt: r.printed_at ?? null, deliveredAt: r.delivered_at ?? null,
    hubTime: r.hub_time ?? null, syncedAt: r.synced_at ?? null, serverTime: r.server_time ?? null,
    cancelledAt: r.cancelled_at ?? null, cancelReason: r.cancel_reason ?? null,
  };
}
