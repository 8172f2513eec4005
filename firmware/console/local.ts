// What the console does on the box itself rather than through the API: disk space, network
// settings and provisioning on the data partition, and the service's log.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { applyProvisioning, checkPin, networkFile, BOX_CONFIG, NETWORK_FILE, TECH_PIN_FILE } from '../provisioning/apply.js';
import { writeFileDurably } from '../provisioning/files.js';
import { validateProvisioning, type Network } from '../provisioning/schema.js';

export interface LocalSystem {
  identity(): { storeId?: string; boxId?: string };
  disk(): { freeBytes: number; totalBytes: number } | undefined;
  networkText(): string;
  setNetwork(n: Network): void;
  provision(raw: unknown): string[];
  logTail(lines: number): string;
  pinRequired(): boolean;
  checkPin(pin: string): boolean;
}

/** Works on the data partition directly: for root, and for tests on a temp folder. */
export class DirectLocalSystem implements LocalSystem {
  constructor(
    private readonly dataDir: string,
    /** argv of the log command; `{n}` is replaced by the number of lines. */
    private readonly logCommand: string[] = ['journalctl', '-u', 'opticserp-box', '-n', '{n}', '--no-pager', '-o', 'short-iso'],
  ) {}

  identity(): { storeId?: string; boxId?: string } {
    try {
      const c = JSON.parse(readFileSync(join(this.dataDir, BOX_CONFIG), 'utf8')) as { storeId?: string; boxId?: string };
      return { storeId: c.storeId, boxId: c.boxId };
    } catch {
      return {};
    }
  }

  disk(): { freeBytes: number; totalBytes: number } | undefined {
    try {
      const s = statfsSync(this.dataDir);
      return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
    } catch {
      return undefined;
    }
  }

  networkText(): string {
    const f = join(this.dataDir, NETWORK_FILE);
    return existsSync(f) ? readFileSync(f, 'utf8') : '(no network file: the image default, DHCP)\n';
  }

  setNetwork(n: Network): void {
    writeFileDurably(join(this.dataDir, NETWORK_FILE), networkFile(n), 0o644);
  }

  provision(raw: unknown): string[] {
    return applyProvisioning(validateProvisioning(raw), { dataDir: this.dataDir });
  }

  logTail(lines: number): string {
    const argv = this.logCommand.map((a) => a.replace('{n}', String(lines)));
    const r = spawnSync(argv[0] ?? 'true', argv.slice(1), { encoding: 'utf8', timeout: 5000 });
    if (r.error) return `(cannot read the log: ${r.error.message})\n`;
    return r.stdout + (r.status === 0 ? '' : r.stderr);
  }

  pinRequired(): boolean {
    return existsSync(join(this.dataDir, TECH_PIN_FILE));
  }

  checkPin(pin: string): boolean {
    try {
      return checkPin(pin, readFileSync(join(this.dataDir, TECH_PIN_FILE), 'utf8'));
    } catch {
      return false;
    }
  }
}
