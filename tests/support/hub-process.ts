// The hub as a real child process (for kill -9) in tests: the crash harness's HubProcess with
// the test's environment passed on. TEST_HUB_LOG=file keeps the child's logs for a post-mortem.
import { freePort, HubProcess } from '../../scripts/crash/hub-process.js';

export { freePort, HubProcess } from '../../scripts/crash/hub-process.js';

export async function startHubProcess(env: Record<string, string>): Promise<HubProcess> {
  const log = process.env.TEST_HUB_LOG;
  const hub = new HubProcess({ LOG_LEVEL: log ? 'debug' : 'warn', ...env }, { inheritEnv: true, ...(log ? { logFile: log } : {}) });
  await hub.start(20_000);
  return hub;
}

/**
 * Runs `start` on a free port, and on another one if a parallel test took it between the pick
 * and the listen (EADDRINUSE): freePort() can only say a port was free a moment ago.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (i >= attempts || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}
