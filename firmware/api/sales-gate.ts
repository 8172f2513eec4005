// The door for new sales. Power loss and shutdown close it (new sales get 503 with
// Retry-After and a sentence a cashier understands); sales already inside are counted so the
// power sequence can wait for the one being printed before it checkpoints and powers off.
import { Problem } from '../../shared/http/problem.js';

export interface GateClosure {
  /** Machine-readable cause: `power-loss`, `shutting-down`. */
  cause: string;
  /** For the POS developer (problem `detail`). */
  detail: string;
  /** For the cashier's screen, in Russian (problem `cashier_message`). */
  cashierMessage: string;
  retryAfterS: number;
}

export class SalesGate {
  private closure: GateClosure | null = null;
  private inside = 0;
  private waiters: (() => void)[] = [];

  get closed(): GateClosure | null {
    return this.closure;
  }

  get inFlight(): number {
    return this.inside;
  }

  close(closure: GateClosure): void {
    this.closure = closure;
  }

  open(): void {
    this.closure = null;
  }

  /** Runs one sale if the gate is open; otherwise throws the closure as a 503 problem. */
  async run<T>(sale: () => Promise<T>): Promise<T> {
    const c = this.closure;
    if (c) {
      throw new Problem(503, c.cause, 'Sales paused', c.detail, { cashier_message: c.cashierMessage, retry_after_s: c.retryAfterS },
        { 'Retry-After': String(c.retryAfterS) });
    }
    this.inside += 1;
    try {
      return await sale();
    } finally {
      this.inside -= 1;
      if (this.inside === 0) for (const w of this.waiters.splice(0)) w();
    }
  }

  /** Resolves once no sale is inside (immediately if none is). */
  idle(): Promise<void> {
    if (this.inside === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
