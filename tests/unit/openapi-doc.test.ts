import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { RECEIPT_STATUSES } from '../../firmware/buffer/statuses.js';
import { VAT_CODES } from '../../shared/receipt.js';
import { describeError } from '../../firmware/printer/errors.js';

const doc = parse(readFileSync(new URL('../../docs/openapi/box-lan-api.yaml', import.meta.url), 'utf8')) as {
  openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, { enum?: string[] }> };
};

describe('docs/openapi/box-lan-api.yaml stays true to the code', () => {
  it('is OpenAPI 3.1 and lists every route the box serves', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/health', '/metrics', '/pos/widget', '/pos/widget.js', '/pos/widget/status.json', '/v1/kkt/buffer/status', '/v1/kkt/print/test', '/v1/kkt/receipt', '/v1/kkt/receipt/{id}', '/v1/kkt/receipt/{id}/cancel', '/v1/kkt/receipts',
      '/v1/kkt/report/x', '/v1/kkt/shift/close', '/v1/kkt/shift/open', '/v1/kkt/sync', '/v1/kkt/uplink/status',
    ]);
  });

  it('lists every printer error kind the code can produce', () => {
    const kinds = (doc.components.schemas.PrinterProblem as unknown as { allOf: { properties?: { printer_error: { properties: { kind: { enum: string[] } } } } }[] })
      .allOf[1]?.properties?.printer_error.properties.kind.enum ?? [];
    for (let code = 1; code <= 0xff; code++) expect(kinds).toContain(describeError(code).kind);
    expect(kinds).toEqual(expect.arrayContaining(['cover', 'disconnected', 'timeout', 'uncertain']));
  });

  it('has the same statuses and VAT codes as the code', () => {
    expect(doc.components.schemas.ReceiptStatus?.enum).toEqual([...RECEIPT_STATUSES]);
    expect(doc.components.schemas.VatCode?.enum).toEqual([...VAT_CODES]);
  });
});
