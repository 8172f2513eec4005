// Child process for the concurrent-writer test: inserts N receipts into the given database.
import { openDatabase } from '../../shared/db.js';
import { HybridLogicalClock } from '../../firmware/clock/hlc.js';
import { ReceiptBuffer } from '../../firmware/buffer/receipt-buffer.js';
import { saleReceipt } from './receipts.js';

const [file, count] = process.argv.slice(2);
const buf = new ReceiptBuffer(openDatabase(file as string), { clock: new HybridLogicalClock({ node: 'box02' }), capacity: 1000 });
process.send?.('ready');
for (let i = 0; i < Number(count); i++) {
  buf.insert({ idempotencyKey: `child-${i}`, requestHash: 'h', receipt: saleReceipt() });
}
buf.close();
