// Provisioning from the command line (the first-boot unit calls `apply-boot-file`).
//   tsx firmware/provisioning/cli.ts apply-boot-file <file> [--data-dir DIR]
//   tsx firmware/provisioning/cli.ts check <file>
import { readFileSync } from 'node:fs';
import { createLogger } from '../../shared/logger.js';
import { applyBootFile } from './apply.js';
import { parseProvisioning, ProvisioningError } from './schema.js';

const log = createLogger('provisioning');
const [cmd, file, ...rest] = process.argv.slice(2);
const dataDirIdx = rest.indexOf('--data-dir');
const dataDir = dataDirIdx >= 0 ? rest[dataDirIdx + 1] : '/var/lib/opticserp';

if (!cmd || !file || !dataDir || !['apply-boot-file', 'check'].includes(cmd)) {
  console.error('usage: cli.ts apply-boot-file <file> [--data-dir DIR] | check <file>');
  process.exit(2);
}

if (cmd === 'check') {
  try {
    const p = parseProvisioning(readFileSync(file, 'utf8'));
    console.log(`ok: store ${p.storeId}, box ${p.boxId}, hub ${p.hub.url}`);
  } catch (err) {
    console.error(err instanceof ProvisioningError ? err.message : (err as Error).message);
    process.exit(1);
  }
} else {
  const r = applyBootFile(file, { dataDir });
  if (r.applied) log.info({ file, written: r.written }, 'provisioning applied, boot file removed');
  else {
    log.error({ file, problems: r.problems, errorFile: r.errorFile }, 'provisioning file rejected, nothing applied');
    process.exit(1);
  }
}
