// Process entry of the box service (systemd runs this): load config, start, stop cleanly
// on SIGTERM/SIGINT so the WAL is checkpointed and the clock's mark saved.
import { ConfigError, loadBoxConfig } from './config.js';
import { Box } from './box.js';

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
  await box.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    box.log.info({ signal }, 'stopping');
    box.stop().then(() => process.exit(0), (err: unknown) => {
      box.log.error({ err }, 'stop failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
