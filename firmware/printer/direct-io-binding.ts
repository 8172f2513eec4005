// node-serialport's own binding (open, termios, poller, close) with the reads and writes made
// as non-blocking syscalls on the event loop's thread instead of on libuv's thread pool.
// The tty is opened O_NONBLOCK, so a read or a write of a frame never blocks: the pool only
// adds a hand-off to a worker thread and back for every chunk. A sale is 7 waits for the
// printer, and each reply used to cross that hand-off once for its bytes and once more for
// the read that found the line empty again; each frame waited for a worker before it left.
// On a busy or virtual machine a sleeping worker can take milliseconds to wake.
// Errors keep the binding contract: `canceled` when the port was closed under a read, any
// other error ends the line as a disconnect.
import { readSync, writeSync } from 'node:fs';
import { SerialPort } from 'serialport';

/** The binding node-serialport picked for this OS (bindings-cpp). */
const Detected = SerialPort.binding;
type Port = Awaited<ReturnType<typeof Detected.open>>;

interface UnixPort {
  readonly isOpen: boolean;
  readonly openOptions: { path: string };
  fd: number | null;
  poller: { once(event: 'readable' | 'writable', cb: (err?: Error | null) => void): void } | null;
  /** What the binding's drain() waits for before tcdrain. */
  writeOperation: Promise<void> | null;
}

const RETRY = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

function notOpen(): Error {
  return Object.assign(new Error('Port is not open'), { canceled: true });
}

function ready(port: UnixPort, event: 'readable' | 'writable'): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!port.poller) return reject(notOpen());
    port.poller.once(event, (err) => (err ? reject(err) : resolve()));
  });
}

async function readNow(port: UnixPort, buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
  for (;;) {
    // Poll first: the stream asks for more right after every chunk, when the line is almost
    // always empty, and a read that finds nothing throws EAGAIN - building that error costs
    // ten times the read. The poll is level-triggered, so bytes already waiting fire it at once.
    await ready(port, 'readable');
    if (!port.isOpen || port.fd === null) throw notOpen();
    try {
      const bytesRead = readSync(port.fd, buffer, offset, length, null);
      // A raw-mode tty reads 0 only after a hangup; the library's read loop retries it forever.
      if (bytesRead === 0) throw Object.assign(new Error(`${port.openOptions.path}: the line hung up`), { disconnect: true });
      return { buffer, bytesRead };
    } catch (err) {
      if (!RETRY.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
}

async function writeNow(port: UnixPort, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    if (!port.isOpen || port.fd === null) throw new Error('Port is not open');
    try {
      offset += writeSync(port.fd, buffer, offset, buffer.length - offset);
    } catch (err) {
      if (!RETRY.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
      await ready(port, 'writable');
    }
  }
}

/** The detected binding; on a unix tty (fd + poller) its reads and writes are direct. */
export const DirectIoBinding: typeof Detected = {
  ...Detected,
  async open(options: Parameters<typeof Detected.open>[0]): Promise<Port> {
    const port = await Detected.open(options as never);
    const unix = port as unknown as UnixPort;
    if (typeof unix.fd !== 'number' || !unix.poller) return port;
    port.read = (buffer: Buffer, offset: number, length: number) => readNow(unix, buffer, offset, length);
    port.write = (buffer: Buffer) => {
      const op = writeNow(unix, buffer).finally(() => {
        if (unix.writeOperation === op) unix.writeOperation = null;
      });
      unix.writeOperation = op;
      return op;
    };
    return port;
  },
} as typeof Detected;
