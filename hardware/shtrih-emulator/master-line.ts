// The emulator's end of the wire when it owns the pseudo-terminal's master itself:
// `socat PTY,link=<tty>,raw,echo=0 EXEC:"<emulator>",nofork` makes the pty and then becomes the
// emulator, with the master as its stdin and stdout. Bytes then cross one tty between the box
// and the emulator, not two ttys and a relay process (socat's PTY pair); a real printer is on
// the far end of one line and never asleep, so this rig adds less wire time of its own that is
// not the printer's. No unplug: the pty lives as long as this process.
import { openSync, closeSync, constants, write, writeSync } from 'node:fs';
import tty from 'node:tty';
import type { SerialLine } from '../../firmware/printer/serial-line.js';

export function ptyMasterOnStdio(slavePath: string): SerialLine {
  let reader: tty.ReadStream | null = null;
  let slaveFd: number | null = null;
  const dataCbs: ((b: Buffer) => void)[] = [];
  const closeCbs: ((d: boolean) => void)[] = [];
  return {
    path: slavePath,
    get isOpen() {
      return reader !== null;
    },
    async open() {
      if (reader) return;
      if (!tty.isatty(0) || !tty.isatty(1)) throw new Error('stdin/stdout are not a pseudo-terminal master (run under socat ... EXEC:...,nofork)');
      // A master whose slave nobody holds open reads EIO, which would end the stream while
      // the box is between opens: the emulator holds the slave itself.
      slaveFd = openSync(slavePath, constants.O_RDWR | constants.O_NOCTTY);
      reader = new tty.ReadStream(0);
      reader.on('data', (b: Buffer) => dataCbs.forEach((cb) => cb(b)));
      reader.on('error', () => undefined);
      reader.on('close', () => closeCbs.forEach((cb) => cb(true)));
    },
    write(bytes: Buffer) {
      // The master is non-blocking (the read stream made it so): a reply fits the tty's buffer
      // and leaves at once, with no thread-pool hand-off; a full buffer falls back to the pool.
      try {
        const n = writeSync(1, bytes);
        if (n === bytes.length) return Promise.resolve();
        bytes = bytes.subarray(n);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return Promise.reject(err as Error);
      }
      return new Promise<void>((resolve, reject) => write(1, bytes, (err) => (err ? reject(err) : resolve())));
    },
    async close() {
      reader?.destroy();
      reader = null;
      if (slaveFd !== null) closeSync(slaveFd);
      slaveFd = null;
    },
    onData(cb) {
      dataCbs.push(cb);
    },
    onClose(cb) {
      closeCbs.push(cb);
    },
  };
}
