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
  /** Returns a note when applying the change right away failed (the file is written anyway). */
  setNetwork(n: Network): string;
  provision(raw: unknown): { written: string[]; note: string };
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
    /** On the box: make networkd, udev and the service pick up what was just written. */
    private readonly applyNow = false,
  ) {}

  private apply(argv: string[]): string {
    if (!this.applyNow) return '';
    const r = spawnSync(argv[0] ?? 'true', argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
    return r.status === 0 ? '' : ` (${argv.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()})`;
  }

  identity(): { storeId?: string; boxId?: string } {
    try {
      const c = JSON.parse(readFileSync(join(this.dataDir, BOX_CONFIG), 'utf8')) as { uplink?: { storeId?: string; boxId?: string } };
      return { storeId: c.uplink?.storeId, boxId: c.uplink?.boxId };
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

  setNetwork(n: Network): string {
    writeFileDurably(join(this.dataDir, NETWORK_FILE), networkFile(n), 0o644);
    return this.apply(['systemctl', 'try-restart', 'systemd-networkd.service']);
  }

  provision(raw: unknown): { written: string[]; note: string } {
    const written = applyProvisioning(validateProvisioning(raw), { dataDir: this.dataDir });
    const note = this.apply(['systemctl', 'try-restart', 'systemd-networkd.service']) + this.apply(['systemctl', 'restart', 'opticserp-udev-local.service', 'opticserp-box.service']);
    return { written, note };
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
