// The console is a client of the box's own LAN API: it never touches the buffer or the
// printer itself, so the same rules (auth, one drain at a time, idempotency) apply to a
// technician as to a POS terminal.
export interface ApiResult {
  ok: boolean;
  /** HTTP status, or 0 when the service did not answer at all. */
  status: number;
  body: unknown;
  error?: string;
}

export interface BoxApi {
  health(): Promise<ApiResult>;
  bufferStatus(): Promise<ApiResult>;
  testPrint(): Promise<ApiResult>;
  xReport(): Promise<ApiResult>;
  syncNow(): Promise<ApiResult>;
  openShift(): Promise<ApiResult>;
  closeShift(): Promise<ApiResult>;
}

export class HttpBoxApi implements BoxApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 5000,
  ) {}

  health = () => this.call('GET', '/health');
  bufferStatus = () => this.call('GET', '/v1/kkt/buffer/status');
  testPrint = () => this.call('POST', '/v1/kkt/print/test');
  xReport = () => this.call('POST', '/v1/kkt/report/x');
  syncNow = () => this.call('POST', '/v1/kkt/sync');
  openShift = () => this.call('POST', '/v1/kkt/shift/open');
  closeShift = () => this.call('POST', '/v1/kkt/shift/close');

  private async call(method: 'GET' | 'POST', path: string): Promise<ApiResult> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (this.token && path.startsWith('/v1/')) headers.authorization = `Bearer ${this.token}`;
    if (method === 'POST') headers['content-type'] = 'application/json';
    try {
      const res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        body: method === 'POST' ? '{}' : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: show the text as it came
      }
      return { ok: res.ok, status: res.status, body };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const error = e.name === 'TimeoutError' ? `no answer in ${this.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      return { ok: false, status: 0, body: null, error };
    }
  }
}
