// `npm run mains -- off|on [--file F]`: pulls or restores the simulated mains of a box whose
// config says power.gpio = "simulator". The file defaults to the box config's (BOX_CONFIG,
// else the demo stack's ./data/box/mains).
import { loadBoxConfig } from '../firmware/config.js';
import { simulatorFile } from '../firmware/power/power-setup.js';
import { writeMainsFile } from '../firmware/power/simulated-gpio.js';

const args = process.argv.slice(2);
const word = args.find((a) => a === 'on' || a === 'off');
const fileIdx = args.indexOf('--file');
if (!word) {
  console.error('usage: npm run mains -- off|on [--file <mains state file>]');
  process.exit(64);
}
let file = fileIdx >= 0 ? args[fileIdx + 1] : undefined;
file ??= process.env.BOX_CONFIG ? simulatorFile(loadBoxConfig()) : './data/box/mains';
writeMainsFile(file, word);
console.log(`simulated mains ${word.toUpperCase()} (${file})`);
