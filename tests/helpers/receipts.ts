// Sample receipts for tests: a POS request body and its normalised form.
import { normaliseReceipt, type Receipt, type ReceiptInput } from '../../shared/receipt.js';

export function saleBody(overrides: Partial<ReceiptInput> = {}): ReceiptInput {
  return {
    pos_id: 'POS-001',
    type: 'sale',
    items: [{ name: 'Frame Ray-Ban RB5154', qty: 1, price: 1000, product_id: 'PROD-001' }],
    payments: [{ method: 'card', amount: 1000 }],
    ...overrides,
  };
}

export function saleReceipt(overrides: Partial<ReceiptInput> = {}): Receipt {
  const n = normaliseReceipt(saleBody(overrides), { defaultVat: 'vat22' });
  if (!n.ok) throw new Error(JSON.stringify(n.errors));
  return n.receipt;
}
