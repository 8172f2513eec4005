// Forwards stored documents to the OFD exactly once per document (the OFD dedupes by the
// receipt id we send as the idempotency key; we stop once it returns a ticket). Each box's
// documents go in that box's HLC order, one request in flight per box (a batch of its next
// documents when the client can batch); boxes run in parallel up to the bulkhead. A batch's
// tickets are stored in one transaction; a batch that fails as a whole counts as a failed
// attempt of its first document (the box's head), so backoff and the DLQ work per document
// exactly as when documents go one by one, and the resent batch is deduped by key at the OFD. Attempts and their backoff are in SQLite, so a hub restart resumes the
// schedule instead of restarting it; the breaker lives in memory and starts closed.
import { BrokenCircuitError, BulkheadRejectedError, IsolatedCircuitError, TaskCancelledError } from 'cockatiel';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../shared/logger.js';
import type { BreakerStateName, OfdTicket } from '../../shared/mqtt/messages.js';
import type { DocumentStore, StoredDocument } from '../ingest/document-store.js';
import { OfdError, type OfdBatchResult, type OfdClient } from './ofd-client.js';
import { backoffDelay, breakerStateName, buildPolicies, DEFAULT_OFD_POLICY, type OfdPolicyConfig } from './policies.js';

export interface ForwarderEvents {
  confirmed: [doc: StoredDocument, ticket: OfdTicket];
  dead: [doc: StoredDocument, reason: string];
  failed: [doc: StoredDocument, error: string, attempts: number];
  breaker: [state: BreakerStateName];
  idle: [];
}

export interface ForwarderOptions {
  store: DocumentStore;
  client: OfdClient;
  policy: OfdPolicyConfig;
  logger: Logger;
  now?: () => number;
}

export class OfdForwarder extends EventEmitter<ForwarderEvents> {
  readonly #o: ForwarderOptions;
  readonly #p: ReturnType<typeof buildPolicies>;
  readonly #inFlight = new Set<string>(); // box ids
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #openedAt = 0;
  #ticking = false;
  #again = false;

  constructor(o: ForwarderOptions) {
    super();
    this.#o = o;
    this.#p = buildPolicies(o.policy);
    const b = this.#p.breaker;
    b.onBreak(() => { this.#openedAt = this.#now(); this.#o.logger.warn('OFD breaker open'); });
    b.onReset(() => this.#o.logger.info('OFD breaker closed'));
    b.onHalfOpen(() => this.#o.logger.info('OFD breaker half-open: probing'));
    b.onStateChange(() => this.emit('breaker', this.breakerState));
  }

  get breakerState(): BreakerStateName { return breakerStateName(this.#p.breaker); }
  get inFlight(): number { return this.#inFlight.size; }

  #now(): number { return (this.#o.now ?? Date.now)(); }

  start(): void {
    this.#running = true;
    this.wake();
  }

  /** Waits for requests in flight to settle; a document cut short keeps its state and is resent later. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    while (this.#inFlight.size) await new Promise((r) => setTimeout(r, 10));
  }

  /** Something changed (new document, re-drive): look for work now. */
  wake(): void {
    if (!this.#running) return;
    if (this.#ticking) { this.#again = true; return; }
    this.#ticking = true;
    try {
      do {
        this.#again = false;
        this.#tick();
      } while (this.#again && this.#running);
    } finally {
      this.#ticking = false;
    }
  }

  #schedule(at: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => { this.#timer = null; this.wake(); }, Math.max(0, at - this.#now()));
  }

  #tick(): void {
    const now = this.#now();
    const state = this.breakerState;
    if (state === 'isolated') return;
    const probeAt = this.#openedAt + this.#o.policy.halfOpenAfterMs;
    if (state === 'open' && now < probeAt) {
      // Nothing is sent while open; the first call after halfOpenAfter becomes the probe.
      this.#schedule(probeAt);
      return;
    }
    // While probing, send no more than the probes the breaker lets through.
    const cap = state === 'closed' ? this.#o.policy.concurrency : this.#o.policy.halfOpenProbes;
    const free = Math.min(cap, this.#o.policy.concurrency) - this.#inFlight.size;
    if (free > 0) {
      const heads = this.#o.store.dueHeads(now, free + this.#inFlight.size).filter((d) => !this.#inFlight.has(d.box_id)).slice(0, free);
      for (const d of heads) this.#launch(d);
    }
    if (this.#inFlight.size === 0) {
      const next = this.#o.store.nextDueAt();
      if (next === null) this.emit('idle');
      else this.#schedule(next);
    }
  }

  #launch(head: StoredDocument): void {
    // A half-open probe is one document: small, and each success counts towards closing.
    const batchSize = this.breakerState === 'closed' ? this.#o.policy.batchSize ?? DEFAULT_OFD_POLICY.batchSize ?? 1 : 1;
    const docs = this.#o.client.sendBatch && batchSize > 1 ? this.#o.store.pendingOfBox(head.box_id, batchSize) : [head];
    // The head is first by construction (same box, lowest pending HLC); use the fresh row.
    if (docs[0]?.receipt_id !== head.receipt_id) docs.splice(0, docs.length, head);
    this.#inFlight.add(head.box_id);
    void this.#forward(docs).then((asked) => {
      this.#inFlight.delete(head.box_id);
      // Not asked (breaker or bulkhead said no): look again a little later, not in a loop.
      if (asked) this.wake();
      else this.#schedule(this.#now() + 250);
    });
  }

  async #send(docs: StoredDocument[], signal: AbortSignal): Promise<OfdBatchResult[]> {
    const { client } = this.#o;
    if (docs.length > 1 && client.sendBatch) return client.sendBatch(docs.map((d) => d.doc), signal);
    const doc = docs[0]!;
    try {
      return [{ receipt_id: doc.receipt_id, ok: true, ticket: await client.send(doc.doc, signal) }];
    } catch (err) {
      // A permanent refusal of a single document is its result, not a failure of the request.
      if (err instanceof OfdError && !err.transient) return [{ receipt_id: doc.receipt_id, ok: false, error: err }];
      throw err;
    }
  }

  /** False when the OFD was not asked at all. */
  async #forward(docs: StoredDocument[]): Promise<boolean> {
    const { store, policy, logger } = this.#o;
    const head = docs[0]!;
    let results: OfdBatchResult[];
    try {
      results = await this.#p.policy.execute(({ signal }) => this.#send(docs, signal));
    } catch (err) {
      if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError || err instanceof BulkheadRejectedError) {
        return false;
      }
      const msg = err instanceof TaskCancelledError ? `OFD did not answer within ${policy.requestTimeoutMs} ms` : (err as Error).message;
      if (err instanceof OfdError && !err.transient) {
        // The request itself was refused (e.g. 400 for a batch): no resend helps the head.
        results = [{ receipt_id: head.receipt_id, ok: false, error: err }];
      } else {
        this.#failed(head, msg);
        return true;
      }
    }
    const byId = new Map(docs.map((d) => [d.receipt_id, d]));
    store.applyOfdResults(results.map((r) => r.ok ? { receipt_id: r.receipt_id, ticket: r.ticket } : { receipt_id: r.receipt_id, dead: r.error.message }));
    for (const r of results) {
      const doc = byId.get(r.receipt_id)!;
      if (r.ok) {
        this.emit('confirmed', doc, r.ticket);
      } else {
        logger.error({ receipt_id: doc.receipt_id, err: r.error.message }, 'OFD rejected a document: moved to the DLQ');
        this.emit('dead', doc, r.error.message);
      }
    }
    return true;
  }

  #failed(head: StoredDocument, msg: string): void {
    const { store, policy, logger } = this.#o;
    const attempts = head.attempts + 1;
    const next = this.#now() + backoffDelay(policy, attempts);
    store.markFailed(head.receipt_id, msg, next);
    if (attempts >= policy.maxAttempts) {
      const reason = `${attempts} failed attempts; last: ${msg}`;
      store.markDead(head.receipt_id, reason);
      logger.error({ receipt_id: head.receipt_id, attempts }, 'document moved to the DLQ after too many OFD failures');
      this.emit('dead', head, reason);
    } else {
      logger.warn({ receipt_id: head.receipt_id, attempts, err: msg }, 'OFD attempt failed');
      this.emit('failed', head, msg, attempts);
    }
  }
}
