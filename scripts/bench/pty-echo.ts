// The wire's own round trip for bench:print, its raw limit: one end of a socat PTY pair is
// opened here (another process, as the emulator is) and every byte read is written back; the
// parent times 1-byte ping-pongs through node-serialport on both ends, exactly the path every
// ENQ/NAK, frame/ACK and reply of the driver takes, with no protocol on top.
import { SerialPort } from 'serialport';

const [path] = process.argv.slice(2);
const port = new SerialPort({ path: path as string, baudRate: 115200, autoOpen: false, hupcl: false });
port.open((err) => {
  if (err) throw err;
  port.on('data', (b: Buffer) => port.write(b));
  process.send?.('ready');
});
process.on('disconnect', () => port.close());
