// Turns validated provisioning data into the box's files on the data partition, and moves a
// provisioning file off the boot partition. Nothing is written unless the whole input is
// valid; the boot file is deleted only after everything else is durably on the data partition.
import { scryptSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, unlinkSync, copyFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { kktRule, KKT_RULE_FILE } from '../../hardware/udev/kktRule.js';
import { fsyncDir, lookupOwner, writeFileDurably, type Owner } from './files.js';
import { parseProvisioning, ProvisioningError, type Network, type Provisioning } from './schema.js';

export interface DataLayout {
  /** Mount point of the data partition, /var/lib/opticserp on a box. */
  dataDir: string;
  /** Where passwd/group are read for owners; owners are skipped when the users are missing. */
  etcDir?: string;
}

export const BOX_CONFIG = 'config/box.json';
export const NETWORK_FILE = 'network/10-opticserp.network';
export const UDEV_FILE = `udev/${KKT_RULE_FILE}`;
export const TECH_PIN_FILE = 'tech/pin';
const MAX_FILE_BYTES = 64 * 1024;

/**
 * The box service's config (firmware/config.ts schema), from what provisioning knows. The
 * LAN API listens on every interface: POS terminals reach it over the store's LAN.
 */
export function boxConfig(p: Provisioning, now: Date): Record<string, unknown> {
  return {
    // HLC node ids allow no "-"; the MQTT identity keeps the box id as given.
    nodeId: p.boxId.replace(/-/g, '_'),
    dataDir: '/var/lib/opticserp/box',
    api: { host: '0.0.0.0', port: 8000, posTokens: [p.apiToken] },
    printer: { enabled: true, path: '/dev/kkt' },
    uplink: { enabled: true, url: p.hub.url, storeId: p.storeId, boxId: p.boxId, secret: p.hub.password },
    power: p.ups === 'none' ? { gpio: 'none' } : { gpio: 'onoff', hat: p.ups, poweroffCommand: ['systemctl', 'poweroff'] },
    provisioning: { at: now.toISOString(), ...(p.kkt ? { kkt: p.kkt } : {}) },
  };
}

export function networkFile(n: Network): string {
  const head = ['# Written by OpticsERP provisioning or the field-tech console.', '[Match]', 'Name=eth0 end0', '', '[Network]'];
  if (n.mode === 'dhcp') return [...head, 'DHCP=yes', ''].join('\n');
  return [...head, `Address=${n.address}`, `Gateway=${n.gateway}`, ...n.dns.map((d) => `DNS=${d}`), ''].join('\n');
}

export function hashPin(pin: string, salt = randomBytes(16)): string {
  return `scrypt$${salt.toString('hex')}$${scryptSync(pin, salt, 32).toString('hex')}`;
}

export function checkPin(pin: string, stored: string): boolean {
  const [kind, salt, hash] = stored.trim().split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  return hashPin(pin, Buffer.from(salt, 'hex')) === stored.trim();
}

/** Writes every file provisioning owns. Re-provisioning keeps the previous config as box.json.prev. */
export function applyProvisioning(p: Provisioning, layout: DataLayout, now = new Date()): string[] {
  const etc = layout.etcDir ?? '/etc';
  const box: Owner | undefined = lookupOwner('root', 'opticserp', etc);
  const at = (rel: string) => join(layout.dataDir, rel);
  const written: string[] = [];
  if (existsSync(at(BOX_CONFIG))) copyFileSync(at(BOX_CONFIG), `${at(BOX_CONFIG)}.prev`);
  writeFileDurably(at(BOX_CONFIG), `${JSON.stringify(boxConfig(p, now), null, 2)}\n`, 0o640, box);
  written.push(BOX_CONFIG);
  writeFileDurably(at(NETWORK_FILE), networkFile(p.network), 0o644);
  written.push(NETWORK_FILE);
  if (p.kkt) {
    writeFileDurably(at(UDEV_FILE), kktRule(p.kkt), 0o644);
    written.push(UDEV_FILE);
  }
  if (p.techPin) {
    writeFileDurably(at(TECH_PIN_FILE), `${hashPin(p.techPin)}\n`, 0o600);
    written.push(TECH_PIN_FILE);
  }
  return written;
}

export interface BootFileResult {
  applied: boolean;
  written: string[];
  errorFile?: string;
  problems?: string[];
}

/**
 * Applies a provisioning file from the boot partition. Bad input changes nothing on the data
 * partition; the file stays where it is and a `.error.txt` beside it tells the installer why
 * (they read the card on their laptop). Good input is applied, then the file is deleted.
 */
export function applyBootFile(file: string, layout: DataLayout, now = new Date()): BootFileResult {
  const errorFile = join(dirname(file), `${basename(file, '.json')}.error.txt`);
  let p: Provisioning;
  try {
    if (statSync(file).size > MAX_FILE_BYTES) throw new ProvisioningError([`file is larger than ${MAX_FILE_BYTES} bytes`]);
    p = parseProvisioning(readFileSync(file, 'utf8'));
  } catch (err) {
    const problems = err instanceof ProvisioningError ? err.problems : [(err as Error).message];
    writeFileDurably(errorFile, `${now.toISOString()} provisioning file rejected, nothing applied:\n${problems.map((x) => `- ${x}`).join('\n')}\n`, 0o644);
    return { applied: false, written: [], errorFile, problems };
  }
  const written = applyProvisioning(p, layout, now);
  unlinkSync(file);
  if (existsSync(errorFile)) unlinkSync(errorFile);
  fsyncDir(dirname(file));
  return { applied: true, written };
}
