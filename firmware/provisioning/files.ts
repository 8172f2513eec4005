// Small file helpers for the data partition: writes that survive a power cut (temp file,
// fsync, rename, fsync of the folder) and owner lookups without shelling out.
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, chownSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface Owner {
  uid: number;
  gid: number;
}

/** Writes `text` so that after a crash the file holds either the old or the new content. */
export function writeFileDurably(file: string, text: string, mode: number, owner?: Owner): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // The creating process's umask (UMask=0077 in the first-boot unit) would narrow `mode`:
    // set it exactly, or networkd and the box service cannot read what provisioning wrote.
    chmodSync(tmp, mode);
    if (owner) chownSync(tmp, owner.uid, owner.gid);
    renameSync(tmp, file);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  fsyncDir(dirname(file));
}

/** uid of a user and gid of a group from an /etc tree; undefined when either is missing. */
export function lookupOwner(user: string, group: string, etcDir = '/etc'): Owner | undefined {
  const field = (file: string, name: string, idx: number): number | undefined => {
    let text: string;
    try {
      text = readFileSync(join(etcDir, file), 'utf8');
    } catch {
      return undefined;
    }
    const line = text.split('\n').find((l) => l.split(':')[0] === name);
    const v = line?.split(':')[idx];
    return v === undefined ? undefined : Number(v);
  };
  const uid = field('passwd', user, 2);
  const gid = field('group', group, 2);
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}
