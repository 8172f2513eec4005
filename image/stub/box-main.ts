// Stand-in for firmware/main.ts, used by the image build ONLY while the box service's entry
// does not exist in this checkout (it is being written in parallel). It answers /health the
// way the unit expects (127.0.0.1:8000, READY via sd_notify) so the image and its checks can
// be built and tested now; the build prints a warning whenever it is used.
import { createServer } from 'node:http';
import { execFile } from 'node:child_process';

const port = Number(process.env.BOX_API_PORT ?? 8000);
const host = process.env.BOX_API_HOST ?? '127.0.0.1';
// Self-contained on purpose (it is copied to firmware/main.ts): the real service uses
// firmware/systemd/sdNotify.ts.
const notify = (...a: string[]) => {
  if (process.env.NOTIFY_SOCKET) execFile('systemd-notify', a, () => undefined);
};
const usec = Number(process.env.WATCHDOG_USEC);
const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', stub: true, node: process.version, arch: process.arch }));
    return;
  }
  res.writeHead(404, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404 }));
});
server.listen(port, host, () => {
  notify('READY=1', `STATUS=stub listening on ${host}:${port}`);
  if (usec > 0) setInterval(() => notify('WATCHDOG=1'), usec / 2000).unref();
});
process.on('SIGTERM', () => {
  notify('STOPPING=1');
  server.close(() => process.exit(0));
});
