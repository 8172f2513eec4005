// docs/openapi/hub-erp-api.yaml stays true to the router: every route the API serves is
// documented with its method, and nothing documented is missing from the code; the request
// bodies require what the validators require and say that unknown fields are refused.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ValidationError } from '../../hub/erp/domain/errors.js';
import { validateLens } from '../../hub/erp/domain/lenses.js';
import { validatePatient } from '../../hub/erp/domain/patients.js';
import { validatePrescription } from '../../hub/erp/domain/prescription-rules.js';
import { validateProduct } from '../../hub/erp/domain/products.js';
import { apiRouter } from '../../hub/erp/http/api-routes.js';
import { validateProfile } from '../../hub/erp/import/profiles.js';
import { ROW_ERROR_TEMPLATES } from '../../hub/erp/import/row-mapper.js';
import type { ErpServices } from '../../hub/erp/services.js';

function documented(): Set<string> {
  const text = readFileSync(new URL('../../docs/openapi/hub-erp-api.yaml', import.meta.url), 'utf8');
  const out = new Set<string>();
  let path: string | null = null;
  for (const line of text.split('\n')) {
    const p = /^ {2}(\/\S*):\s*$/.exec(line);
    if (p) { path = p[1] as string; continue; }
    if (/^\S/.test(line)) path = null;
    const m = /^ {4}(get|post|put|delete|patch):/.exec(line);
    if (path && m) out.add(`${(m[1] as string).toUpperCase()} ${path}`);
  }
  return out;
}

describe('OpenAPI document', () => {
  it('documents exactly the routes the API router serves', () => {
    const router = apiRouter({} as ErpServices);
    const served = new Set<string>();
    for (const layer of router.stack) {
      const path = String(layer.path).replace(/^\/api\/v1/, '').replace(/:(\w+)/g, '{$1}');
      for (const m of layer.methods) if (m !== 'HEAD') served.add(`${m} ${path}`);
    }
    expect([...served].sort()).toEqual([...documented()].map((d) => d.replace('{upload_id}', '{id}')).sort());
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = any;

/** Fields a validator reports as `required` when given an empty object. */
function requiredBy(validate: (input: Record<string, unknown>) => unknown): string[] {
  try {
    validate({});
  } catch (e) {
    return (e as ValidationError).errors.filter((x) => x.code === 'required').map((x) => x.field).sort();
  }
  throw new Error('an empty input passed validation');
}

describe('OpenAPI request bodies say what the validators require', () => {
  const doc: Schema = parse(readFileSync(new URL('../../docs/openapi/hub-erp-api.yaml', import.meta.url), 'utf8'));
  const body = (path: string, method: string): Schema => doc.paths[path][method].requestBody.content['application/json'].schema;
  const schema = (name: string): Schema => doc.components.schemas[name];
  const required = (s: Schema) => [...(s.required as string[])].sort();

  it('products, patients, lenses, prescriptions and import profiles: required = what an empty body is refused for', () => {
    const today = '2026-11-25';
    expect(required(schema('ProductInput'))).toEqual(requiredBy(validateProduct));
    expect(required(schema('PatientInput'))).toEqual(requiredBy((i) => validatePatient(i, today)));
    expect(required(schema('LensInput'))).toEqual(requiredBy(validateLens));
    expect(required(schema('PrescriptionInput'))).toEqual(requiredBy((i) => validatePrescription(i, { today })));
    expect(required(schema('ImportProfileInput'))).toEqual(requiredBy(validateProfile));
  });

  it('bodies that refuse unknown fields say additionalProperties: false', () => {
    const refusing = { ProductInput: schema('ProductInput'), 'POST /lab-orders/{id}/transitions': body('/lab-orders/{id}/transitions', 'post'),
      'POST /import/jobs': body('/import/jobs', 'post'), 'POST /users': body('/users', 'post'), PatientInput: schema('PatientInput'),
      PrescriptionInput: schema('PrescriptionInput'), LensInput: schema('LensInput'), LabOrderInput: schema('LabOrderInput'), ImportProfileInput: schema('ImportProfileInput') };
    for (const [name, s] of Object.entries(refusing)) expect(`${name} ${s.additionalProperties}`).toBe(`${name} false`);
  });

  it('a catalog update takes the same body as its create (one validator behind both)', () => {
    for (const [path, item] of [['/lenses', '/lenses/{id}'], ['/products', '/products/{id}']] as const) {
      const created = body(path, 'post').$ref as string;
      expect(created).toMatch(/^#\/components\/schemas\/\w+Input$/);
      expect(`PUT ${item} ${body(item, 'put').$ref}`).toBe(`PUT ${item} ${created}`);
    }
  });

  it('lists every import row error code', () => {
    expect([...(schema('RowErrorCode').enum as string[])].sort()).toEqual(Object.keys(ROW_ERROR_TEMPLATES).sort());
  });
});
