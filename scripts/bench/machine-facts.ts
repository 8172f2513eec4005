// What a benchmark ran on: printed before its figures so numbers are never read without it.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';

export function machineFacts(dataDir: string): Record<string, string | number> {
  let disk = 'unknown';
  try {
    disk = execFileSync('df', ['-hT', dataDir], { encoding: 'utf8' }).trim().split('\n').pop() ?? 'unknown';
  } catch { /* df missing: say unknown */ }
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, platform: `${process.platform}/${process.arch}`, disk,
    // Other work on the machine skews every figure: say how busy it was.
    loadavg_1m: Math.round((loadavg()[0] ?? 0) * 100) / 100 };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
