// Versioned schema of the box buffer (component "box-buffer" in schema_migrations).
// Append new migrations; never edit a released one.
import type { Migration } from '../../shared/db.js';
import { CLOCK_MIGRATION_SQL } from '../clock/hlc-store.js';

export const BUFFER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'receipts, dead letters, event log, clock',
    up: `
CREATE TABLE receipts (
  id TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  request_hash TEXT NOT NULL,
  hlc TEXT NOT NULL UNIQUE,
  pos_id TEXT NOT NULL,
  type TEXT NOT NULL,
  total_kopecks INTEGER NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  fiscal_data TEXT,
  retry_count INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  response_status INTEGER,
  response_body TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  printed_at TEXT,
  delivered_at TEXT,
  hub_time TEXT,
  synced_at TEXT,
  server_time TEXT
);
CREATE INDEX receipts_status_hlc ON receipts (status, hlc);
CREATE TABLE dead_letters (
  receipt_id TEXT PRIMARY KEY REFERENCES receipts(id),
  reason TEXT NOT NULL,
  previous_status TEXT NOT NULL,
  retry_count INTEGER NOT NULL,
  moved_at TEXT NOT NULL
);
CREATE TABLE receipt_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  receipt_id TEXT NOT NULL,
  event TEXT NOT NULL,
  detail TEXT,
  at TEXT NOT NULL
);
CREATE INDEX receipt_events_receipt ON receipt_events (receipt_id, seq);
-- The event log is append-only: the database itself refuses edits and deletions.
CREATE TRIGGER receipt_events_no_update BEFORE UPDATE ON receipt_events
  BEGIN SELECT RAISE(ABORT, 'receipt_events is append-only'); END;
CREATE TRIGGER receipt_events_no_delete BEFORE DELETE ON receipt_events
  BEGIN SELECT RAISE(ABORT, 'receipt_events is append-only'); END;
CREATE TABLE health_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL);
${CLOCK_MIGRATION_SQL};
`,
  },
  {
    version: 2,
    name: 'incidents an operator must see (database set aside)',
    up: `
CREATE TABLE incidents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  at TEXT NOT NULL,
  acknowledged_at TEXT
);
`,
  },
  {
    version: 3,
    name: 'fiscal documents by FD number (the FN sweep asks which ones the buffer holds)',
    up: `CREATE INDEX receipts_fd ON receipts (json_extract(fiscal_data, '$.fiscal_document_number'));`,
  },
  {
    version: 4,
    name: 'sales the POS cancelled before they were fiscalised',
    up: `ALTER TABLE receipts ADD COLUMN cancelled_at TEXT;
ALTER TABLE receipts ADD COLUMN cancel_reason TEXT;`,
  },
];
