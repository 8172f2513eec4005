// The wire's own round trip for bench:print, its raw limit: every byte read on the far end of
// the pty is written back, and the parent times 1-byte ping-pongs through node-serialport,
// exactly the path every ENQ/NAK, frame/ACK and reply of the driver takes, with no protocol on
// top. The far end is what the emulator uses in the same rig: one end of a socat PTY pair
// opened with node-serialport (`<path>`, told ready over IPC), or the pty's master on stdin and
// stdout (`--stdio-pty <path>`, started by socat nofork; says "ready" on stderr).
import { SerialPort } from 'serialport';
import { ptyMasterOnStdio } from '../../hardware/shtrih-emulator/master-line.js';

const args = process.argv.slice(2);
if (args[0] === '--stdio-pty') {
  const line = ptyMasterOnStdio(args[1] as string);
  line.onData((b) => void line.write(b));
  await line.open();
  console.error('ready');
  process.on('SIGTERM', () => void line.close().then(() => process.exit(0)));
} else {
  const port = new SerialPort({ path: args[0] as string, baudRate: 115200, autoOpen: false, hupcl: false });
  port.open((err) => {
    if (err) throw err;
    port.on('data', (b: Buffer) => port.write(b));
    process.send?.('ready');
  });
  process.on('disconnect', () => port.close());
}
