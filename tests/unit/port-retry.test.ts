// The test rigs' port helpers: a server restarted on its old port waits out whoever took the
// port meanwhile, and an unrelated start failure is not retried.
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, onSamePort } from '../support/hub-process.js';

const listen = (s: Server, port: number) => new Promise<void>((resolve, reject) => {
  s.once('error', reject);
  s.listen(port, '127.0.0.1', () => { s.off('error', reject); resolve(); });
});
const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

describe('onSamePort', () => {
  it('retries EADDRINUSE until the port is free again, then listens on that very port', async () => {
    const port = await freePort();
    const squatter = createServer();
    await listen(squatter, port);
    let tries = 0;
    const server = createServer();
    const started = onSamePort(async () => {
      tries += 1;
      // The squatter leaves once the restart has failed twice: the next try must get the port.
      if (tries === 3) await close(squatter);
      await listen(server, port);
      return server;
    }, 10, 10);
    await expect(started).resolves.toBe(server);
    expect(tries).toBe(3);
    expect((server.address() as { port: number }).port).toBe(port);
    await close(server);
  });

  it('gives up after the last attempt with the EADDRINUSE error', async () => {
    const port = await freePort();
    const squatter = createServer();
    await listen(squatter, port);
    let tries = 0;
    await expect(onSamePort(() => { tries += 1; return listen(createServer(), port); }, 3, 1)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(tries).toBe(3);
    await close(squatter);
  });

  it('does not retry any other failure', async () => {
    let tries = 0;
    await expect(onSamePort(() => { tries += 1; return Promise.reject(new Error('bad config')); }, 5, 1)).rejects.toThrow('bad config');
    expect(tries).toBe(1);
  });
});
