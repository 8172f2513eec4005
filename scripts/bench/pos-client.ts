// A POS terminal in its own process for bench:print: the parent sends one sale at a time
// over IPC ({ url, token, key, body }); the answer carries the latency measured here, from
// the request's first byte to the response's last, so the IPC hop is not in the figure.
// With `stateUrl`, the emulator's counters are read here just before and after the sale, so
// that bookkeeping HTTP does not run in the box's process (the parent) around the sale.
import { keepAliveAgent, postJson } from './http-post.js';

interface EmuLink { deviceMs: number; actualMs: number }

const agent = keepAliveAgent(1);
const state = async (url: string): Promise<EmuLink> => ((await (await fetch(url)).json()) as { link: EmuLink }).link;

process.on('message', (m: { url: string; token: string; key: string; body: string; stateUrl?: string }) => {
  void (async () => {
    try {
      const before = m.stateUrl ? await state(m.stateUrl) : null;
      const r = await postJson(agent, new URL(m.url), m.token, m.key, Buffer.from(m.body));
      const after = m.stateUrl ? await state(m.stateUrl) : null;
      process.send?.({ ...r, ...(before && after ? { emu: { deviceMs: after.deviceMs - before.deviceMs, actualMs: after.actualMs - before.actualMs } } : {}) });
    } catch (err) {
      process.send?.({ status: 0, body: (err as Error).message, ms: 0 });
    }
  })();
});
process.on('disconnect', () => agent.destroy());
