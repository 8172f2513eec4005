// Process entry of the box service (systemd runs this): load config, start, and on SIGTERM/
// SIGINT take the same orderly path as a power cut (sales paused, sale in flight finished,
// WAL checkpointed, power status published). The end of a power-loss grace exits too.
import { ConfigError, loadBoxConfig } from './config.js';
import { Box } from './box.js';
import { createSdNotifier } from './systemd/sdNotify.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadBoxConfig({ file: process.argv[2] });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG: systemd shows the reason and does not hot-loop on it
    }
    throw err;
  }
  const box = new Box(config);
  box.power.on('state', (s) => {
    if (s === 'stopped') process.exit(0);
  });
  await box.start();
  // Under systemd (Type=notify, WatchdogSec) readiness is announced once the API listens, and
  // the watchdog is pinged only while the event loop turns; outside systemd both are no-ops.
  const sd = createSdNotifier();
  await sd.ready('box serving the LAN API').catch((err: unknown) => box.log.warn({ err }, 'sd_notify READY failed'));
  sd.startWatchdog();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    box.log.info({ signal }, 'stopping');
    sd.stopWatchdog();
    void sd.stopping().catch(() => undefined);
    box.shutdown(signal).then(() => process.exit(0), (err: unknown) => {
      box.log.error({ err }, 'stop failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
