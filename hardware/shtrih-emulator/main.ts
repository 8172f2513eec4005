// `npm run emulator`: serves the Shtrih-M emulator on a pseudo-terminal and prints the tty
// path for the driver and the control address for `npm run emulator:fault`.
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ShtrihEmulator } from './emulator.js';
import { CONTROL_FILE, startControl } from './control.js';
import { ptyMasterOnStdio } from './master-line.js';

export async function runEmulator(argv: string[]): Promise<{ emu: ShtrihEmulator; url: string; close: () => Promise<void> }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string', default: resolve('var/emulator') },
      baud: { type: 'string', default: '115200' },
      'print-line-ms': { type: 'string', default: '15' },
      'fn-doc-ms': { type: 'string', default: '150' },
      port: { type: 'string', default: '0' },
      'no-state-file': { type: 'boolean', default: false },
      'control-file': { type: 'string', default: CONTROL_FILE },
      // The pty's slave path when started as `socat PTY,link=<path>,raw,echo=0
      // EXEC:"...",nofork` (stdin/stdout are its master; see master-line.ts).
      'stdio-pty': { type: 'string' },
    },
  });
  const dir = resolve(values.dir);
  mkdirSync(dir, { recursive: true });
  const emuOpts = { dir, baudRate: Number(values.baud), printLineMs: Number(values['print-line-ms']), fnDocMs: Number(values['fn-doc-ms']),
    ...(values['no-state-file'] ? { stateFile: null } : {}) };
  const stdioPty = values['stdio-pty'];
  const emu = stdioPty ? await ShtrihEmulator.onLine(emuOpts, ptyMasterOnStdio(stdioPty), stdioPty) : await ShtrihEmulator.onPty(emuOpts);
  const { server, url } = await startControl(emu, Number(values.port));
  const controlFile = values['control-file'];
  writeFileSync(controlFile, JSON.stringify({ url, tty: emu.hostPath, pid: process.pid }));
  const close = async () => {
    server.close();
    await emu.stop();
    rmSync(controlFile, { force: true });
  };
  return { emu, url, close };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { emu, url, close } = await runEmulator(process.argv.slice(2));
  // On a pty master, stdout is the printer's wire: the words go to stderr.
  const say = process.argv.includes('--stdio-pty') ? (t: string) => console.error(t) : (t: string) => console.log(t);
  if (process.env.EMULATOR_READY_JSON) say(JSON.stringify({ ready: true, tty: emu.hostPath, control: url }));
  say(`Shtrih-M emulator ready\n  tty:     ${emu.hostPath}\n  control: ${url}\n  state:   ${emu.fn.state.fnNumber}, last FD ${emu.fn.state.lastFd}\nFaults: npm run emulator:fault -- paper-out | paper-in | cover-open | ... | clear`);
  const stop = () => void close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
