import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { RECEIPT_STATUSES } from '../../firmware/buffer/statuses.js';
import { VAT_CODES } from '../../shared/receipt.js';

const doc = parse(readFileSync(new URL('../../docs/openapi/box-lan-api.yaml', import.meta.url), 'utf8')) as {
  openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, { enum?: string[] }> };
};

describe('docs/openapi/box-lan-api.yaml stays true to the code', () => {
  it('is OpenAPI 3.1 and lists every route the box serves', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/health', '/metrics', '/v1/kkt/buffer/status', '/v1/kkt/receipt', '/v1/kkt/receipt/{id}']);
  });

  it('has the same statuses and VAT codes as the code', () => {
    expect(doc.components.schemas.ReceiptStatus?.enum).toEqual([...RECEIPT_STATUSES]);
    expect(doc.components.schemas.VatCode?.enum).toEqual([...VAT_CODES]);
  });
});
