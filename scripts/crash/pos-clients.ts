// POS terminals for the crash harness. Each sells in a loop with a fresh Idempotency-Key per
// sale and, like a real POS, retries the SAME key after a connection error or a 409/503
// until it gets a definite answer. Every 201 is recorded: key -> receipt ids seen. A share of
// the sales the printer could not finish (503/504 naming the receipt) are abandoned instead,
// as a customer walks away: the POS cancels the receipt, and a 200 (or, when that answer was
// lost to a kill, the box's later 409 receipt-cancelled for the key) ends the sale unsold.
import { randomUUID } from 'node:crypto';

export interface Acks {
  /** Idempotency key -> every receipt id a 201 carried for it (one, if nothing was duplicated). */
  byKey: Map<string, Set<string>>;
  attempts: number;
  retries: number;
  unexpected: { status: number; body: string }[];
  /** Idempotency key -> the receipt id the box confirmed cancelled (never to be fiscalised). */
  cancelled: Map<string, string>;
  cancelAttempts: number;
}

export interface BoxEndpoint {
  /** Resolves with the current box URL once it is up. */
  up(): Promise<string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseProblem(text: string): { type?: string; receipt_id?: string } | null {
  try {
    return JSON.parse(text) as { type?: string; receipt_id?: string };
  } catch {
    return null;
  }
}

/**
 * `cancelShare`: the chance that a sale the printer could not finish is abandoned (0..1),
 * drawn from `rand` (the harness passes a seeded one).
 */
export function startPosClients(n: number, token: string, box: BoxEndpoint, cancelShare = 0, rand: () => number = Math.random): { acks: Acks; stop(): Promise<void> } {
  const acks: Acks = { byKey: new Map(), attempts: 0, retries: 0, unexpected: [], cancelled: new Map(), cancelAttempts: 0 };
  const auth = { authorization: `Bearer ${token}` };
  /** True when the box confirmed the cancel; anything else and the sale goes on. */
  const cancel = async (url: string, key: string, id: string): Promise<boolean> => {
    acks.cancelAttempts += 1;
    try {
      const res = await fetch(`${url}/v1/kkt/receipt/${id}/cancel`, {
        method: 'POST', signal: AbortSignal.timeout(10_000), body: JSON.stringify({ reason: 'crash harness: customer left' }),
        headers: { ...auth, 'content-type': 'application/json' },
      });
      const text = await res.text();
      if (res.status === 200) {
        acks.cancelled.set(key, id);
        return true;
      }
      // Fiscalised after all (409 receipt-fiscalised), not askable yet (503), in flight (409):
      // the POS goes back to its sale, whose retry returns or prints the receipt.
      if (res.status !== 409 && res.status !== 503) acks.unexpected.push({ status: res.status, body: text.slice(0, 300) });
    } catch { /* killed mid-cancel: back to the sale, which says if the cancel went through */ }
    return false;
  };
  let stopping = false;
  const one = async (pos: number): Promise<void> => {
    while (!stopping) {
      const key = randomUUID();
      const price = 100 + ((pos * 7919 + acks.attempts) % 9000);
      const body = JSON.stringify({
        pos_id: `POS-${pos}`, type: 'sale',
        items: [{ name: 'Lens 1.6 AR coating', qty: 1, price, product_id: `P-${pos}` }],
        payments: [{ method: 'card', amount: price }],
      });
      // A sale started is finished (acknowledged or refused for good), even when stopping:
      // an ambiguous sale is what a real POS cannot leave behind either.
      for (;;) {
        const url = await box.up();
        acks.attempts += 1;
        try {
          const res = await fetch(`${url}/v1/kkt/receipt`, {
            method: 'POST', body, signal: AbortSignal.timeout(10_000),
            headers: { 'content-type': 'application/json', ...auth, 'idempotency-key': key },
          });
          const text = await res.text();
          if (res.status === 201) {
            const id = (JSON.parse(text) as { receipt_id: string }).receipt_id;
            const ids = acks.byKey.get(key) ?? new Set<string>();
            ids.add(id);
            acks.byKey.set(key, ids);
            break;
          }
          const problem = res.status >= 400 ? parseProblem(text) : null;
          // A cancel whose 200 was lost when the box was killed: the box's word for the key.
          if (res.status === 409 && problem?.type?.endsWith('/receipt-cancelled') && problem.receipt_id) {
            acks.cancelled.set(key, problem.receipt_id);
            break;
          }
          if ((res.status === 503 || res.status === 504) && problem?.receipt_id && rand() < cancelShare) {
            if (await cancel(url, key, problem.receipt_id)) break;
            acks.retries += 1;
            await sleep(20);
            continue;
          }
          // 409 in flight, 503 paused or printer busy/reconnecting, 504 outcome unknown: the
          // same key again (the box settles an unknown outcome with the FN first).
          if (res.status === 409 || res.status === 503 || res.status === 504) {
            acks.retries += 1;
            await sleep(20);
            continue;
          }
          acks.unexpected.push({ status: res.status, body: text.slice(0, 300) });
          break;
        } catch {
          acks.retries += 1; // killed mid-request: same key again once the box is back
          await sleep(20);
        }
      }
    }
  };
  const running = Array.from({ length: n }, (_, i) => one(i + 1));
  return {
    acks,
    async stop() {
      stopping = true;
      await Promise.all(running);
    },
  };
}
