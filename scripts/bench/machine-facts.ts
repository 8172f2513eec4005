// Facts about the machine a benchmark ran on, printed before its figures.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

export function machineFacts(dir = process.cwd()): Record<string, string | number> {
  let disk = 'unknown';
  try {
    disk = execFileSync('df', ['-h', '--output=source,fstype,size,avail', dir], { encoding: 'utf8' }).trim().split('\n').pop() ?? disk;
  } catch {
    /* df missing: leave unknown */
  }
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, disk: disk.replace(/\s+/g, ' '), loadavg1: Math.round((loadavg()[0] ?? 0) * 100) / 100 };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] as number;
}

export const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
