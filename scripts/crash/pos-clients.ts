// POS terminals for the crash harness. Each sells in a loop with a fresh Idempotency-Key per
// sale and, like a real POS, retries the SAME key after a connection error or a 409/503
// until it gets a definite answer. Every 201 is recorded: key -> receipt ids seen.
import { randomUUID } from 'node:crypto';

export interface Acks {
  /** Idempotency key -> every receipt id a 201 carried for it (one, if nothing was duplicated). */
  byKey: Map<string, Set<string>>;
  attempts: number;
  retries: number;
  unexpected: { status: number; body: string }[];
}

export interface BoxEndpoint {
  /** Resolves with the current box URL once it is up. */
  up(): Promise<string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startPosClients(n: number, token: string, box: BoxEndpoint): { acks: Acks; stop(): Promise<void> } {
  const acks: Acks = { byKey: new Map(), attempts: 0, retries: 0, unexpected: [] };
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
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
          });
          const text = await res.text();
          if (res.status === 201) {
            const id = (JSON.parse(text) as { receipt_id: string }).receipt_id;
            const ids = acks.byKey.get(key) ?? new Set<string>();
            ids.add(id);
            acks.byKey.set(key, ids);
            break;
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
