// One POST of a receipt over node:http with a keep-alive agent, as the bench clients make it.
// node:http rather than fetch(): undici's fetch spends ~0.5 ms of CPU per request on web
// streams, which on a 2-core machine is taken from the box being measured.
import { Agent, request } from 'node:http';

export interface PostResult {
  status: number;
  body: string;
  /** From the first byte written to the last byte of the response read. */
  ms: number;
  /** The response's Server-Timing header, if any. */
  serverTiming?: string;
}

export function keepAliveAgent(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets });
}

export function postJson(agent: Agent, url: URL, token: string, key: string, body: Buffer): Promise<PostResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${token}`, 'idempotency-key': key },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = res.headers['server-timing'];
        const st = Array.isArray(raw) ? raw.join(', ') : raw;
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0, ...(st ? { serverTiming: st } : {}) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
