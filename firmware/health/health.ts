// /health is a list of named checks; later parts (printer, uplink, power) register their own.
// Each check must be cheap: slow probes (disk) are polled in the background and cached.
export interface CheckResult {
  ok: boolean;
  detail?: Record<string, unknown> | string;
}

export interface HealthCheck {
  name: string;
  check(): CheckResult | Promise<CheckResult>;
}

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  version: string;
  uptime_s: number;
  failing: string[];
  components: Record<string, { status: 'ok' | 'fail'; detail?: unknown }>;
}

export class HealthRegistry {
  private readonly checks: HealthCheck[] = [];
  constructor(private readonly version: string, private readonly startedAt = Date.now()) {}

  register(check: HealthCheck): void {
    if (this.checks.some((c) => c.name === check.name)) throw new Error(`health check ${check.name} registered twice`);
    this.checks.push(check);
  }

  async report(): Promise<HealthReport> {
    const components: HealthReport['components'] = {};
    const failing: string[] = [];
    await Promise.all(this.checks.map(async (c) => {
      let r: CheckResult;
      try {
        r = await c.check();
      } catch (err) {
        r = { ok: false, detail: (err as Error).message };
      }
      components[c.name] = r.detail === undefined ? { status: r.ok ? 'ok' : 'fail' } : { status: r.ok ? 'ok' : 'fail', detail: r.detail };
      if (!r.ok) failing.push(c.name);
    }));
    return {
      status: failing.length ? 'unhealthy' : 'healthy',
      version: this.version,
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      failing: failing.sort(),
      components,
    };
  }
}
