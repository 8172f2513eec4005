// A POS terminal in its own process for bench:print: the parent sends one sale at a time
// over IPC ({ url, token, key, body }); the answer carries the latency measured here, from
// the request's first byte to the response's last, so the IPC hop is not in the figure.
import { keepAliveAgent, postJson } from './http-post.js';

const agent = keepAliveAgent(1);
process.on('message', (m: { url: string; token: string; key: string; body: string }) => {
  postJson(agent, new URL(m.url), m.token, m.key, Buffer.from(m.body))
    .then((r) => process.send?.(r), (err: Error) => process.send?.({ status: 0, body: err.message, ms: 0 }));
});
process.on('disconnect', () => agent.destroy());
