// A test OFD (fiscal data operator) over HTTP, for tests and `npm start`. Documents arrive as
// JSON {tlv_b64} with an API key and an Idempotency-Key (the receipt id); the server checks the
// receipt and answers with a ticket (operator confirmation). A resubmitted document gets the
// same ticket and is counted as a duplicate, which is how tests prove exactly-once delivery.
// Faults are switched at run time on a separate control port, so "down" can really close the
// document port while the control port stays up.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';
import { checkReceipt } from './receipt-check.js';
import { encodeTlv, enc } from './tlv.js';

export const FAULT_MODES = ['ok', '503', 'slow', 'timeout', 'flapping', 'down'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export const faultSchema = z.strictObject({
  mode: z.enum(FAULT_MODES),
  /** slow: delay before answering. */
  delay_ms: z.number().int().min(0).max(120_000).optional(),
  /** flapping: requests per phase (N failures, then N successes, ...). */
  flap_every: z.number().int().min(1).max(10_000).optional(),
});
export type Fault = z.infer<typeof faultSchema>;

export interface OfdTicketBody {
  fn_number: string;
  fd_number: number;
  received_at: string;
  ofd_fiscal_sign: string;
  tlv_b64: string;
}

export interface OfdStats {
  accepted: number;
  duplicates: number;
  rejected: number;
  failed_by_fault: number;
  /** Batch requests applied (valid ones; their documents count in the figures above). */
  batches: number;
  /** FD numbers per FN in arrival order: tests check each box's HLC order with it. */
  order: Record<string, number[]>;
}

export interface TestOfdOptions {
  host?: string;
  port?: number;
  controlPort?: number;
  apiKey: string;
  /** Key of the FN's fiscal sign; null skips the check (documents from an unknown FN). */
  fnKey: string | null;
  ofdKey?: string;
  ofdInn?: string;
  now?: () => Date;
}

export interface TestOfd {
  url: string;
  controlUrl: string;
  setFault(f: Fault): Promise<void>;
  fault(): Fault;
  stats(): OfdStats;
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY = 256 * 1024;
/** Documents per batch request, and its body limit (a receipt's TLV is a few KiB at most). */
export const MAX_BATCH = 1000;
const MAX_BATCH_BODY = 32 * 1024 * 1024;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;
const batchSchema = z.strictObject({
  documents: z.array(z.strictObject({ idempotency_key: z.string().regex(KEY_RE), tlv_b64: z.base64() })).min(1).max(MAX_BATCH),
});

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function problem(res: ServerResponse, status: number, title: string, detail: string): void {
  send(res, status, { type: `https://opticserp.example/problems/ofd-${status}`, title, status, detail });
}

async function readBody(req: IncomingMessage, max = MAX_BODY): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) return null;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  return (server.address() as AddressInfo).port;
}

export async function startTestOfd(opts: TestOfdOptions): Promise<TestOfd> {
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? (() => new Date());
  const ofdKey = opts.ofdKey ?? 'test-ofd-key';
  const ofdInn = opts.ofdInn ?? '7704211201';
  let fault: Fault = { mode: 'ok' };
  let flapCount = 0;
  const tickets = new Map<string, OfdTicketBody>(); // by idempotency key
  const byFd = new Map<string, OfdTicketBody>(); // by FN/FD: the same document under another key
  let stats: OfdStats = { accepted: 0, duplicates: 0, rejected: 0, failed_by_fault: 0, batches: 0, order: {} };
  const sockets = new Set<Socket>();

  function makeTicket(fn: string, fd: number): OfdTicketBody {
    const at = now();
    const sign = createHmac('sha256', ofdKey).update(`${fn}|${fd}`).digest().subarray(0, 18);
    const body = Buffer.concat([
      encodeTlv(1017, enc.str(ofdInn.padEnd(12, ' '))), encodeTlv(1041, enc.str(fn)), encodeTlv(1040, enc.u32(fd)),
      encodeTlv(1012, enc.time(at)), encodeTlv(1078, sign),
    ]);
    return { fn_number: fn, fd_number: fd, received_at: at.toISOString(), ofd_fiscal_sign: sign.toString('hex'), tlv_b64: encodeTlv(7, body).toString('base64') };
  }

  /** True when the current fault answers this request itself. */
  async function applyFault(res: ServerResponse): Promise<boolean> {
    switch (fault.mode) {
      case '503':
        stats.failed_by_fault++;
        problem(res, 503, 'OFD unavailable', 'the test OFD is switched to 503');
        return true;
      case 'timeout':
        stats.failed_by_fault++;
        return true; // never answers; the client's timeout decides
      case 'slow':
        await new Promise((r) => setTimeout(r, fault.delay_ms ?? 2000));
        return false;
      case 'flapping': {
        const every = fault.flap_every ?? 3;
        const failing = Math.floor(flapCount++ / every) % 2 === 0;
        if (failing) {
          stats.failed_by_fault++;
          problem(res, 503, 'OFD unavailable', 'the test OFD is flapping');
        }
        return failing;
      }
      default:
        return false;
    }
  }

  type Outcome =
    | { ok: true; status: 'accepted' | 'duplicate'; ticket: OfdTicketBody }
    | { ok: false; status: number; title: string; detail: string };

  /** One document, in arrival order: dedupe by key, then by FN/FD, then check and ticket it. */
  function applyDocument(key: string, tlvB64: string): Outcome {
    const known = tickets.get(key);
    if (known) {
      stats.duplicates++;
      return { ok: true, status: 'duplicate', ticket: known };
    }
    const tlv = Buffer.from(tlvB64, 'base64');
    const checked = checkReceipt(tlv, opts.fnKey);
    if (!checked.ok) {
      stats.rejected++;
      return { ok: false, status: 422, title: 'Document rejected', detail: checked.reason };
    }
    const { fn, fd } = checked.receipt;
    const fdKey = `${fn}/${fd}`;
    const sameDoc = byFd.get(fdKey);
    if (sameDoc) {
      stats.duplicates++;
      tickets.set(key, sameDoc);
      return { ok: true, status: 'duplicate', ticket: sameDoc };
    }
    const ticket = makeTicket(fn, fd);
    tickets.set(key, ticket);
    byFd.set(fdKey, ticket);
    stats.accepted++;
    (stats.order[fn] ??= []).push(fd);
    return { ok: true, status: 'accepted', ticket };
  }

  async function onDocument(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'POST' && req.url === '/api/v1/documents/batch') return onBatch(req, res);
    if (req.method !== 'POST' || req.url !== '/api/v1/documents') return problem(res, 404, 'Not found', `no route ${req.method} ${req.url}`);
    if (req.headers.authorization !== `Bearer ${opts.apiKey}`) return problem(res, 401, 'Unauthorized', 'a valid API key is required (Authorization: Bearer ...)');
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || !KEY_RE.test(key)) return problem(res, 400, 'Bad request', 'Idempotency-Key header is required');
    const raw = await readBody(req, MAX_BODY);
    if (await applyFault(res)) return;
    if (raw === null) return problem(res, 413, 'Too large', `body over ${MAX_BODY} bytes`);
    const known = tickets.get(key);
    if (known) {
      stats.duplicates++;
      return send(res, 200, { status: 'duplicate', ticket: known });
    }
    let tlvB64: string;
    try {
      tlvB64 = z.strictObject({ tlv_b64: z.base64() }).parse(JSON.parse(raw.toString('utf8'))).tlv_b64;
    } catch {
      stats.rejected++;
      return problem(res, 400, 'Bad request', 'body must be JSON {"tlv_b64": "<base64 FFD document>"}');
    }
    const r = applyDocument(key, tlvB64);
    if (!r.ok) return problem(res, r.status, r.title, r.detail);
    send(res, r.status === 'accepted' ? 201 : 200, { status: r.status, ticket: r.ticket });
  }

  /**
   * Several documents in one request, applied strictly in the order given (the hub sends one
   * box's documents in HLC order) and each deduped by its own key, also against keys earlier in
   * the same batch. A bad request changes nothing; a rejected document does not stop the rest,
   * exactly as if they had been sent one by one.
   */
  async function onBatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Bearer ${opts.apiKey}`) return problem(res, 401, 'Unauthorized', 'a valid API key is required (Authorization: Bearer ...)');
    const raw = await readBody(req, MAX_BATCH_BODY);
    if (await applyFault(res)) return;
    if (raw === null) return problem(res, 413, 'Too large', `body over ${MAX_BATCH_BODY} bytes`);
    let docs: z.infer<typeof batchSchema>['documents'];
    try {
      docs = batchSchema.parse(JSON.parse(raw.toString('utf8'))).documents;
    } catch (err) {
      return problem(res, 400, 'Bad request',
        `body must be JSON {"documents": [{"idempotency_key", "tlv_b64"}, ...]} with 1..${MAX_BATCH} documents: ${(err as Error).message.slice(0, 300)}`);
    }
    stats.batches++;
    const results = docs.map(({ idempotency_key: key, tlv_b64 }) => {
      const r = applyDocument(key, tlv_b64);
      return r.ok
        ? { idempotency_key: key, status: r.status, ticket: r.ticket }
        : { idempotency_key: key, status: 'rejected' as const, problem: { status: r.status, title: r.title, detail: r.detail } };
    });
    send(res, 200, { results });
  }

  const docServer = createServer((req, res) => {
    onDocument(req, res).catch((err: Error) => problem(res, 500, 'Internal error', err.message));
  });
  docServer.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const port = await listen(docServer, host, opts.port ?? 0);
  let docListening = true;

  async function setFault(f: Fault): Promise<void> {
    fault = f;
    flapCount = 0;
    if (f.mode === 'down' && docListening) {
      docListening = false;
      await new Promise<void>((resolve) => { docServer.close(() => resolve()); for (const s of sockets) s.destroy(); });
    } else if (f.mode !== 'down' && !docListening) {
      await listen(docServer, host, port);
      docListening = true;
    }
  }

  const control = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      if (req.method === 'GET' && path === '/control') return send(res, 200, { fault, stats, url: `http://${host}:${port}` });
      if (req.method === 'PUT' && path === '/control/fault') {
        const raw = await readBody(req);
        let f: Fault;
        try {
          f = faultSchema.parse(JSON.parse((raw ?? Buffer.alloc(0)).toString('utf8')));
        } catch (err) {
          return problem(res, 400, 'Bad fault', `body must be {"mode": one of ${FAULT_MODES.join(', ')}, "delay_ms"?, "flap_every"?}: ${(err as Error).message.slice(0, 300)}`);
        }
        await setFault(f);
        return send(res, 200, { fault });
      }
      if (req.method === 'POST' && path === '/control/reset') {
        reset();
        return send(res, 200, { stats });
      }
      problem(res, 404, 'Not found', 'routes: GET /control, PUT /control/fault, POST /control/reset');
    })().catch((err: Error) => problem(res, 500, 'Internal error', err.message));
  });
  const controlPort = await listen(control, host, opts.controlPort ?? 0);

  function reset(): void {
    tickets.clear();
    byFd.clear();
    stats = { accepted: 0, duplicates: 0, rejected: 0, failed_by_fault: 0, batches: 0, order: {} };
  }

  return {
    url: `http://${host}:${port}`,
    controlUrl: `http://${host}:${controlPort}`,
    setFault: (f) => setFault(faultSchema.parse(f)),
    fault: () => fault,
    stats: () => structuredClone(stats),
    reset,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([
        docListening ? new Promise<void>((r) => docServer.close(() => r())) : Promise.resolve(),
        new Promise<void>((r) => { control.close(() => r()); control.closeAllConnections(); }),
      ]);
    },
  };
}
