// Machine facts printed at the top of every benchmark, so a figure is never read without them.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

export function machineFacts(dir: string): Record<string, string | number> {
  let disk = 'unknown';
  try {
    disk = execFileSync('df', ['-h', '--output=source,fstype,size,avail', dir], { encoding: 'utf8' }).trim().split('\n')[1]?.replace(/\s+/g, ' ') ?? disk;
  } catch { /* df missing */ }
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, disk };
}
