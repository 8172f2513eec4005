// Import jobs (seed connector_b): an uploaded file + a profile -> draft -> running -> done or
// failed, with created/updated/unchanged/failed counts and a row-level error log. One bad row
// never aborts the file; only an unreadable file fails the job, and it fails before anything
// is written. Rows are upserted in batches, each batch one transaction, so a 100,000-row file
// streams with steady memory.
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../../shared/logger.js';
import type { Db } from '../../../shared/db.js';
import type { Actor, AuditLog } from '../audit/audit.js';
import type { ErpMetrics } from '../metrics.js';
import { FieldErrors, NotFoundError, ValidationError } from '../domain/errors.js';
import { toPage, type Page, type PageQuery } from '../domain/paging.js';
import type { ImportProfile, ImportProfiles } from './profiles.js';
import { mapRow, rowError, type Mapped } from './row-mapper.js';
import { readRows, type SourceRow } from './row-reader.js';
import { ProductUpserter } from './upsert.js';

export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
const BATCH = 500;

export type JobState = 'draft' | 'running' | 'done' | 'failed';

export interface ImportJob {
  id: number;
  profile_id: number;
  upload_id: string;
  filename: string;
  state: JobState;
  rows_total: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  bytes_read: number;
  bytes_total: number;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface JobRowError {
  row_number: number;
  column_name: string;
  reason: string;
  code: string;
  params: Record<string, string>;
}

export interface Upload {
  id: string;
  filename: string;
  path: string;
  size: number;
}

export interface PreviewRow {
  row_number: number;
  source: SourceRow['cells'];
  mapped: Mapped;
}

export class ImportJobs {
  private readonly running = new Map<number, Promise<ImportJob>>();

  constructor(
    private readonly db: Db,
    private readonly profiles: ImportProfiles,
    private readonly audit: AuditLog,
    private readonly opts: { uploadDir: string; logger: Logger; now: () => Date; maxUploadBytes?: number; metrics?: ErpMetrics },
  ) {
    mkdirSync(opts.uploadDir, { recursive: true });
    // A job still "running" at start-up was cut off by a restart; say so instead of spinning
    // forever. Importing the file again is safe: the upsert is idempotent.
    db.prepare("UPDATE erp_import_jobs SET state = 'failed', error = 'interrupted by a hub restart; import the file again', finished_at = ? WHERE state = 'running'")
      .run(opts.now().toISOString());
  }

  /** Stores an uploaded file (streamed, size-limited); the file name only labels it. */
  async saveUpload(body: NodeJS.ReadableStream, filenameRaw: string, actor: Actor): Promise<Upload> {
    const errs = new FieldErrors();
    const filename = filenameRaw.replace(/[^\p{L}\p{N}._ -]/gu, '_').slice(0, 120);
    if (!/\.(csv|xlsx)$/i.test(filename)) errs.add('filename', 'pattern', { example: 'prices.csv or prices.xlsx' });
    errs.throwIfAny();
    const id = randomUUID();
    const path = join(this.opts.uploadDir, `${id}${filename.toLowerCase().endsWith('.xlsx') ? '.xlsx' : '.csv'}`);
    let size = 0;
    const max = this.opts.maxUploadBytes ?? MAX_UPLOAD_BYTES;
    const limit = new Transform({
      transform(chunk: Buffer, _e, cb) {
        size += chunk.length;
        if (size > max) cb(Object.assign(new Error(`the file exceeds the limit of ${max} bytes`), { status: 413, expose: true }));
        else cb(null, chunk);
      },
    });
    try {
      await pipeline(body, limit, createWriteStream(path));
    } catch (e) {
      await rm(path, { force: true });
      throw e;
    }
    if (size === 0) {
      await rm(path, { force: true });
      throw new ValidationError([{ field: 'file', code: 'required', params: {}, message: 'the file is empty' }]);
    }
    this.db.prepare('INSERT INTO erp_import_uploads (id, filename, path, size, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, filename, path, size, actor.id, this.opts.now().toISOString());
    return { id, filename, path, size };
  }

  upload(id: string): Upload {
    const row = this.db.prepare('SELECT id, filename, path, size FROM erp_import_uploads WHERE id = ?').get(id) as Upload | undefined;
    if (!row) throw new NotFoundError('upload', id);
    return row;
  }

  private checkFormat(upload: Upload, profile: ImportProfile): void {
    const ext = upload.filename.toLowerCase().endsWith('.xlsx') ? 'xlsx' : 'csv';
    if (ext !== profile.format) {
      throw new ValidationError([{ field: 'profile_id', code: 'one_of', params: { values: `a ${ext.toUpperCase()} profile` }, message: `profile "${profile.name}" reads ${profile.format.toUpperCase()} files; this file is ${ext.toUpperCase()}` }]);
    }
  }

  /** The first `limit` rows as the profile maps them, with each row's problems. Changes nothing. */
  async preview(uploadId: string, profileId: number, limit = 10): Promise<PreviewRow[]> {
    const upload = this.upload(uploadId);
    const profile = this.profiles.get(profileId);
    this.checkFormat(upload, profile);
    const out: PreviewRow[] = [];
    const rows = readRows(upload.path, profile);
    try {
      for await (const r of rows) {
        out.push({ row_number: r.rowNumber, source: r.cells, mapped: mapRow(r.cells, profile) });
        if (out.length >= limit) break;
      }
    } catch (e) {
      throw new ValidationError([{ field: 'file', code: 'invalid', params: {}, message: `the file cannot be read as ${profile.format.toUpperCase()}: ${(e as Error).message}` }]);
    } finally {
      await rows.return(undefined);
    }
    return out;
  }

  create(uploadId: string, profileId: number, actor: Actor): ImportJob {
    const upload = this.upload(uploadId);
    const profile = this.profiles.get(profileId);
    this.checkFormat(upload, profile);
    const r = this.db.prepare(`INSERT INTO erp_import_jobs (profile_id, upload_id, filename, state, bytes_total, created_by, created_at)
      VALUES (?, ?, ?, 'draft', ?, ?, ?)`).run(profile.id, upload.id, upload.filename, statSync(upload.path).size, actor.id, this.opts.now().toISOString());
    const id = Number(r.lastInsertRowid);
    this.audit.record(actor, 'create', 'import_job', id, { profile_id: [null, profile.id], filename: [null, upload.filename] });
    return this.get(id);
  }

  get(id: number): ImportJob {
    const row = this.db.prepare('SELECT * FROM erp_import_jobs WHERE id = ?').get(id) as ImportJob | undefined;
    if (!row) throw new NotFoundError('import job', id);
    return row;
  }

  list(page: PageQuery): Page<ImportJob & { profile_name: string }> {
    const total = (this.db.prepare('SELECT COUNT(*) AS n FROM erp_import_jobs').get() as { n: number }).n;
    const items = this.db.prepare(`SELECT j.*, p.name AS profile_name FROM erp_import_jobs j JOIN erp_import_profiles p ON p.id = j.profile_id
      ORDER BY j.id DESC LIMIT ? OFFSET ?`).all(page.per_page, (page.page - 1) * page.per_page) as (ImportJob & { profile_name: string })[];
    return toPage(items, total, page);
  }

  errors(jobId: number, page: PageQuery): Page<JobRowError> {
    this.get(jobId);
    const total = (this.db.prepare('SELECT COUNT(*) AS n FROM erp_import_errors WHERE job_id = ?').get(jobId) as { n: number }).n;
    const rows = this.db.prepare('SELECT row_number, column_name, reason, code, params FROM erp_import_errors WHERE job_id = ? ORDER BY id LIMIT ? OFFSET ?')
      .all(jobId, page.per_page, (page.page - 1) * page.per_page) as (Omit<JobRowError, 'params'> & { params: string })[];
    const items = rows.map((r) => ({ ...r, params: JSON.parse(r.params) as Record<string, string> }));
    return toPage(items, total, page);
  }

  /** Starts a draft job in the background; the returned promise settles when it ends. */
  start(id: number): Promise<ImportJob> {
    const job = this.get(id);
    if (job.state !== 'draft') return this.running.get(id) ?? Promise.resolve(job);
    this.db.prepare("UPDATE erp_import_jobs SET state = 'running', started_at = ? WHERE id = ? AND state = 'draft'").run(this.opts.now().toISOString(), id);
    const p = this.run(id).finally(() => this.running.delete(id));
    this.running.set(id, p);
    return p;
  }

  /** Resolves when every job started by this instance has ended (for shutdown and tests). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  private count(c: { created: number; updated: number; unchanged: number; failed: number }, state: 'done' | 'failed'): void {
    const m = this.opts.metrics;
    if (!m) return;
    for (const k of ['created', 'updated', 'unchanged', 'failed'] as const) m.importRows(k, c[k]);
    m.importJob(state);
  }

  private async run(id: number): Promise<ImportJob> {
    const job = this.get(id);
    const profile = this.profiles.get(job.profile_id);
    const upload = this.upload(job.upload_id);
    const upserter = new ProductUpserter(this.db, this.opts.now);
    const ins = this.db.prepare('INSERT INTO erp_import_errors (job_id, row_number, column_name, reason, code, params) VALUES (?, ?, ?, ?, ?, ?)');
    const insertError = (row: number, e: { column: string; reason: string; code: string; params: Record<string, string> }) =>
      ins.run(id, row, e.column, e.reason, e.code, JSON.stringify(e.params));
    const saveCounts = this.db.prepare(`UPDATE erp_import_jobs SET rows_total=@rows_total, created=@created, updated=@updated, unchanged=@unchanged,
      failed=@failed, bytes_read=@bytes_read WHERE id=@id`);
    const c = { id, rows_total: 0, created: 0, updated: 0, unchanged: 0, failed: 0, bytes_read: 0 };
    // The file is read twice (below), so each pass is half of the progress bar.
    let checked = 0;
    let written = 0;
    const progress = () => { c.bytes_read = Math.floor((checked + written) / 2); };
    const flush = this.db.transaction((batch: SourceRow[]) => {
      for (const r of batch) {
        c.rows_total += 1;
        const m = mapRow(r.cells, profile);
        if (!m.ok) {
          c.failed += 1;
          for (const e of m.errors) insertError(r.rowNumber, e);
          continue;
        }
        try {
          c[upserter.upsert(m.row, profile.match_key)] += 1;
        } catch (e) {
          c.failed += 1;
          const column = profile.mapping.sku ?? profile.mapping[profile.match_key] ?? '';
          const taken = (e as Error).message.includes('erp_products.sku');
          insertError(r.rowNumber, taken ? rowError(column, 'sku_taken', { value: m.row.sku ?? `${m.row.supplier}/${m.row.supplier_code ?? m.row.barcode ?? m.row.name}` })
            : rowError(column, 'database', { message: (e as Error).message }));
        }
      }
      saveCounts.run(c);
    });
    const fail = (error: string) => {
      saveCounts.run(c);
      this.db.prepare("UPDATE erp_import_jobs SET state = 'failed', error = ?, finished_at = ? WHERE id = ?").run(error, this.opts.now().toISOString(), id);
      this.opts.logger.warn({ job: id, err: error }, 'import job failed');
      this.count(c, 'failed');
      return this.get(id);
    };
    // Let HTTP requests (progress polls) in between batches.
    const breathe = () => new Promise<void>((res) => setImmediate(res));

    // Pass 1 reads the whole file and writes nothing: a broken quote on the last line, a
    // cut-off workbook or bytes in another encoding must fail the job before the first batch
    // is committed. Parsing twice costs CPU, not memory, and keeps every write batch small
    // (one transaction over the whole file would hold the hub's database for seconds).
    try {
      let n = 0;
      for await (const _row of readRows(upload.path, profile, (b) => { checked += b; })) {
        n += 1;
        if (n % BATCH === 0) {
          progress();
          saveCounts.run(c);
          await breathe();
        }
      }
    } catch (e) {
      return fail(`the file cannot be read as ${profile.format.toUpperCase()}: ${(e as Error).message}; nothing was imported`);
    }
    checked = job.bytes_total;

    let batch: SourceRow[] = [];
    let committed = 0;
    try {
      for await (const r of readRows(upload.path, profile, (b) => { written += b; progress(); })) {
        batch.push(r);
        if (batch.length >= BATCH) {
          flush(batch);
          committed = r.rowNumber;
          batch = [];
          await breathe();
        }
      }
      flush(batch);
    } catch (e) {
      // The file read to its end a moment ago, so this is the disk or the database: the
      // batches before it are committed, and importing the file again is safe (idempotent).
      const where = committed ? `after row ${committed}` : 'before its first row';
      return fail(`the import stopped ${where}: ${(e as Error).message}; the rows up to there were imported, import the file again`);
    }
    this.db.prepare("UPDATE erp_import_jobs SET state = 'done', finished_at = ? WHERE id = ?").run(this.opts.now().toISOString(), id);
    this.opts.logger.info({ job: id, ...c }, 'import job done');
    this.count(c, 'done');
    return this.get(id);
  }
}
