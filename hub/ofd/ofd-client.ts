// HTTP client of the OFD relay API (docs/hub.md): one document per request, the receipt id as
// the idempotency key, the FFD TLV as the body. Errors say whether a retry can help.
import { ofdTicket, type OfdTicket, type ReceiptMessage } from '../../shared/mqtt/messages.js';

export class OfdError extends Error {
  constructor(message: string, readonly transient: boolean, readonly status?: number) {
    super(message);
    this.name = 'OfdError';
  }
}

export interface OfdClient {
  send(doc: ReceiptMessage, signal: AbortSignal): Promise<OfdTicket>;
}

export function httpOfdClient(baseUrl: string, apiKey: string): OfdClient {
  const url = new URL('/api/v1/documents', baseUrl).toString();
  return {
    async send(doc, signal) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          signal,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, 'idempotency-key': doc.receipt_id },
          body: JSON.stringify({ tlv_b64: doc.tlv_b64 }),
        });
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        throw new OfdError(`OFD unreachable: ${e.cause?.code ?? e.name}: ${e.message}`, true);
      }
      const text = await res.text();
      if (res.status === 200 || res.status === 201) {
        try {
          const body = JSON.parse(text) as { ticket?: unknown };
          return ofdTicket.parse(body.ticket);
        } catch (err) {
          throw new OfdError(`OFD answered ${res.status} without a valid ticket: ${(err as Error).message.slice(0, 200)}`, true, res.status);
        }
      }
      let detail = text.slice(0, 300);
      try { detail = (JSON.parse(text) as { detail?: string }).detail ?? detail; } catch { /* not JSON */ }
      // 4xx other than 408/429 means this document will never pass as sent: no retry helps.
      const transient = res.status >= 500 || res.status === 408 || res.status === 429;
      throw new OfdError(`OFD answered ${res.status}: ${detail}`, transient, res.status);
    },
  };
}
