// HTTP client of the OFD relay API (docs/hub.md): one document per request, or one box's next
// documents in HLC order as one batch request; the receipt id is each document's idempotency
// key, the FFD TLV its body. Errors say whether a retry can help.
import { z } from 'zod';
import { ofdTicket, type DocumentMessage, type OfdTicket } from '../../shared/mqtt/messages.js';

export class OfdError extends Error {
  constructor(message: string, readonly transient: boolean, readonly status?: number) {
    super(message);
    this.name = 'OfdError';
  }
}

/** One document's outcome inside a batch: its ticket, or why the OFD refused it for good. */
export type OfdBatchResult =
  | { receipt_id: string; ok: true; ticket: OfdTicket }
  | { receipt_id: string; ok: false; error: OfdError };

export interface OfdClient {
  send(doc: DocumentMessage, signal: AbortSignal): Promise<OfdTicket>;
  /**
   * The documents in the order given, in one request; one result per document in the same
   * order. Throws (like send) when the request as a whole failed: then no result is known.
   */
  sendBatch?(docs: readonly DocumentMessage[], signal: AbortSignal): Promise<OfdBatchResult[]>;
}

const batchAnswer = z.object({
  results: z.array(z.union([
    z.object({ idempotency_key: z.string(), status: z.enum(['accepted', 'duplicate']), ticket: ofdTicket }),
    z.object({ idempotency_key: z.string(), status: z.literal('rejected'), problem: z.object({ status: z.number().int(), detail: z.string().optional() }) }),
  ])),
});

async function post(url: string, signal: AbortSignal, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', signal, headers: { 'content-type': 'application/json', ...headers }, body });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new OfdError(`OFD unreachable: ${e.cause?.code ?? e.name}: ${e.message}`, true);
  }
  return { status: res.status, text: await res.text() };
}

function httpError(status: number, text: string): OfdError {
  let detail = text.slice(0, 300);
  try { detail = (JSON.parse(text) as { detail?: string }).detail ?? detail; } catch { /* not JSON */ }
  // 4xx other than 408/429 means this request will never pass as sent: no retry helps.
  const transient = status >= 500 || status === 408 || status === 429;
  return new OfdError(`OFD answered ${status}: ${detail}`, transient, status);
}

export function httpOfdClient(baseUrl: string, apiKey: string): OfdClient {
  const url = new URL('/api/v1/documents', baseUrl).toString();
  const batchUrl = new URL('/api/v1/documents/batch', baseUrl).toString();
  const auth = { authorization: `Bearer ${apiKey}` };
  return {
    async send(doc, signal) {
      const { status, text } = await post(url, signal, { ...auth, 'idempotency-key': doc.receipt_id }, JSON.stringify({ tlv_b64: doc.tlv_b64 }));
      if (status === 200 || status === 201) {
        try {
          const body = JSON.parse(text) as { ticket?: unknown };
          return ofdTicket.parse(body.ticket);
        } catch (err) {
          throw new OfdError(`OFD answered ${status} without a valid ticket: ${(err as Error).message.slice(0, 200)}`, true, status);
        }
      }
      throw httpError(status, text);
    },

    async sendBatch(docs, signal) {
      const body = JSON.stringify({ documents: docs.map((d) => ({ idempotency_key: d.receipt_id, tlv_b64: d.tlv_b64 })) });
      const { status, text } = await post(batchUrl, signal, auth, body);
      if (status !== 200) throw httpError(status, text);
      let results: z.infer<typeof batchAnswer>['results'];
      try {
        results = batchAnswer.parse(JSON.parse(text)).results;
      } catch (err) {
        throw new OfdError(`OFD answered 200 without valid batch results: ${(err as Error).message.slice(0, 200)}`, true, status);
      }
      // Results are matched to documents by position and key; anything else means we cannot
      // tell which document a ticket is for, so the whole batch counts as failed (it is resent
      // and the OFD dedupes by key).
      if (results.length !== docs.length || results.some((r, i) => r.idempotency_key !== docs[i]!.receipt_id)) {
        throw new OfdError(`OFD answered ${results.length} batch results for ${docs.length} documents, or out of order`, true, status);
      }
      return results.map((r) => r.status === 'rejected'
        ? { receipt_id: r.idempotency_key, ok: false as const, error: new OfdError(`OFD answered ${r.problem.status}: ${r.problem.detail ?? 'rejected'}`, false, r.problem.status) }
        : { receipt_id: r.idempotency_key, ok: true as const, ticket: r.ticket });
    },
  };
}
