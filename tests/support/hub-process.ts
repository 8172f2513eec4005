// The hub as a real child process (for kill -9) in tests: the crash harness's HubProcess with
// the test's environment passed on. TEST_HUB_LOG=file keeps the child's logs for a post-mortem.
import { HubProcess } from '../../scripts/crash/hub-process.js';

export { freePort, HubProcess, onFreePort, onSamePort } from '../../scripts/crash/hub-process.js';

export async function startHubProcess(env: Record<string, string>): Promise<HubProcess> {
  const log = process.env.TEST_HUB_LOG;
  const hub = new HubProcess({ LOG_LEVEL: log ? 'debug' : 'warn', ...env }, { inheritEnv: true, ...(log ? { logFile: log } : {}) });
  await hub.start(20_000);
  return hub;
}

