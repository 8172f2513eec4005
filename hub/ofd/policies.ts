// The OFD forwarder's resilience policies (cockatiel 4), built in one place from config:
// a breaker that counts only transient failures (a rejected document says nothing about the
// OFD's health), a timeout per request, a bulkhead bounding concurrent requests, and the
// exponential backoff schedule between attempts of one document.
import {
  bulkhead, circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, noJitterGenerator, timeout, TimeoutStrategy, wrap,
  CircuitState, type CircuitBreakerPolicy,
} from 'cockatiel';
import type { BreakerStateName } from '../../shared/mqtt/messages.js';
import { OfdError } from './ofd-client.js';

export interface OfdPolicyConfig {
  /** Consecutive transient failures that open the breaker (seed: 5). */
  breakerFailures: number;
  /** Open -> half-open after this long (seed: 60 s). */
  halfOpenAfterMs: number;
  /** Successful probes in half-open that close it (seed: 2). */
  halfOpenProbes: number;
  requestTimeoutMs: number;
  /** Concurrent OFD requests. */
  concurrency: number;
  /** Backoff between attempts of one document: 1 s doubling to 60 s. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Failed attempts after which a document goes to the DLQ (seed: 20). */
  maxAttempts: number;
  /**
   * Documents of one box per OFD request (in HLC order, when the client can batch); 1 sends
   * them one at a time. Absent means the default below.
   */
  batchSize?: number;
}

export const DEFAULT_OFD_POLICY: OfdPolicyConfig = {
  breakerFailures: 5, halfOpenAfterMs: 60_000, halfOpenProbes: 2, requestTimeoutMs: 10_000, concurrency: 4,
  backoffInitialMs: 1000, backoffMaxMs: 60_000, maxAttempts: 20, batchSize: 200,
};

const isTransient = (err: unknown): boolean => !(err instanceof OfdError) || err.transient;

export function buildPolicies(cfg: OfdPolicyConfig) {
  const breaker = circuitBreaker(handleWhen(isTransient), {
    halfOpenAfter: cfg.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(cfg.breakerFailures),
    halfOpenSampling: { calls: cfg.halfOpenProbes, threshold: 0 },
  });
  const limiter = bulkhead(cfg.concurrency, Number.MAX_SAFE_INTEGER);
  const perRequest = timeout(cfg.requestTimeoutMs, TimeoutStrategy.Aggressive);
  return { breaker, limiter, policy: wrap(limiter, breaker, perRequest) };
}

/** Delay before attempt n+1 after n failed attempts (n >= 1), from cockatiel's exponential backoff. */
export function backoffDelay(cfg: Pick<OfdPolicyConfig, 'backoffInitialMs' | 'backoffMaxMs'>, failedAttempts: number): number {
  const factory = new ExponentialBackoff({ initialDelay: cfg.backoffInitialMs, maxDelay: cfg.backoffMaxMs, generator: noJitterGenerator, exponent: 2 });
  let b = factory.next();
  for (let i = 1; i < failedAttempts; i++) b = b.next(undefined);
  return b.duration;
}

export function breakerStateName(b: CircuitBreakerPolicy): BreakerStateName {
  switch (b.state) {
    case CircuitState.Open: return 'open';
    case CircuitState.HalfOpen: return 'half_open';
    case CircuitState.Isolated: return 'isolated';
    default: return 'closed';
  }
}

export const BREAKER_STATE_VALUE: Record<BreakerStateName, number> = { closed: 0, open: 1, half_open: 2, isolated: 3 };
