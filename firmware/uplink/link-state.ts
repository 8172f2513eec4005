// The box's own view of its link to the hub, with the seed's hysteresis: offline after 3
// failures in a row, online again after 2 successes in a row. A success is a heartbeat the
// broker acknowledged; a failure is one that was not (no connection, or no PUBACK in time).
export type LinkState = 'online' | 'offline';

export class LinkMonitor {
  #state: LinkState = 'offline';
  #failures = 0;
  #successes = 0;
  constructor(readonly failuresToOffline = 3, readonly successesToOnline = 2, private readonly onChange: (s: LinkState) => void = () => {}) {}

  get state(): LinkState { return this.#state; }

  success(): void {
    this.#failures = 0;
    if (this.#state === 'online') return;
    if (++this.#successes >= this.successesToOnline) this.#set('online');
  }

  failure(): void {
    this.#successes = 0;
    if (this.#state === 'offline') return;
    if (++this.#failures >= this.failuresToOffline) this.#set('offline');
  }

  #set(s: LinkState): void {
    this.#state = s;
    this.#failures = 0;
    this.#successes = 0;
    this.onChange(s);
  }
}
