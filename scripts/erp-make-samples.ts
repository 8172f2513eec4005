// Rebuilds the sample supplier files shipped in hub/erp/samples/ (run after changing a layout).
import { fileURLToPath } from 'node:url';
import { writeFramesCsv, writeLensesXlsx } from '../hub/erp/samples/price-files.js';

const dir = fileURLToPath(new URL('../hub/erp/samples/', import.meta.url));
await writeFramesCsv(`${dir}optmarket-frames-cp1251.csv`, 40, { badEvery: 17 });
await writeLensesXlsx(`${dir}lensvision-lenses.xlsx`, 30);
console.log(`samples written to ${dir}`);
