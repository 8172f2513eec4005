// Free disk space of the filesystem holding the data dir. systeminformation's fsSize takes
// ~0.3-0.7 s, so it is polled in the background and /health reads the cached figure.
import { resolve } from 'node:path';
import si from 'systeminformation';
import type { CheckResult, HealthCheck } from './health.js';

export interface DiskFigures { mount: string; availableBytes: number }

export type DiskProbe = (path: string) => Promise<DiskFigures | null>;

export const systemDiskProbe: DiskProbe = async (path) => {
  const abs = resolve(path);
  const fss = await si.fsSize();
  // The filesystem whose mount point is the longest prefix of the data dir holds it.
  const best = fss.filter((f) => abs === f.mount || abs.startsWith(f.mount.endsWith('/') ? f.mount : `${f.mount}/`))
    .sort((a, b) => b.mount.length - a.mount.length)[0];
  return best ? { mount: best.mount, availableBytes: best.available } : null;
};

export class DiskSpaceCheck implements HealthCheck {
  readonly name = 'disk';
  private last: DiskFigures | null = null;
  private error: string | null = 'not measured yet';
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly path: string, private readonly minFreeBytes: number, private readonly pollMs: number,
    private readonly probe: DiskProbe = systemDiskProbe) {}

  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async poll(): Promise<void> {
    try {
      this.last = await this.probe(this.path);
      this.error = this.last ? null : `no filesystem found for ${this.path}`;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  check(): CheckResult {
    if (this.error || !this.last) return { ok: false, detail: this.error ?? 'unknown' };
    const ok = this.last.availableBytes >= this.minFreeBytes;
    return { ok, detail: { mount: this.last.mount, free_bytes: this.last.availableBytes, min_free_bytes: this.minFreeBytes } };
  }
}
