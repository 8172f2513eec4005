// Domain errors the HTTP layer maps to problem+json: 422 with the bad fields, 404, 409 with
// the transitions that are allowed. Domain code never imports Koa.
import type { FieldError } from '../../../shared/receipt.js';

export type { FieldError };

/** A field error with a stable code and parameters, so pages can say it in the user's language. */
export interface ErpFieldError extends FieldError {
  code: string;
  params: Record<string, string>;
}

/** English wording for the API; pages use the i18n catalog with the same codes. */
export const ERROR_TEMPLATES: Record<string, string> = {
  required: 'is required',
  number: 'must be a number, e.g. {example}',
  range: 'must be between {min} and {max}{unit}',
  step: 'must be a multiple of {step}{unit}; allowed {min} to {max}',
  integer: 'must be a whole number between {min} and {max}{unit}',
  axis_required: 'is required when the cylinder is not zero; allowed 1 to 180',
  axis_forbidden: 'must be empty when the cylinder is zero',
  base_required: 'is required when a prism is given: in, out, up or down',
  base_forbidden: 'must be empty when no prism is given',
  one_of: 'must be one of: {values}',
  date: 'must be a date written YYYY-MM-DD',
  date_after: 'must not be before {other}',
  date_future: 'must not be in the future',
  too_long: 'must be at most {max} characters',
  text: 'must be text (a JSON string) of at most {max} characters',
  control_char: 'must not contain control characters; found {char} at character {position}',
  not_unicode: 'contains {char} at character {position}, which is not text: send it as UTF-8',
  single: 'give this parameter once',
  pattern: 'must look like {example}',
  pd_required: 'give the binocular distance PD or both monocular distance PDs',
  pd_sum: 'the monocular PDs add up to {sum} mm but the binocular PD is {pd} mm',
  near_gt_distance: 'must not exceed the distance PD ({max} mm)',
  transposed_sph: 'is {value} after transposing the plus cylinder; allowed {min} to {max}',
  not_found: '{entity} {id} does not exist',
  lens_power: 'lens "{lens}" is made in SPH {sph_min} to {sph_max}, CYL {cyl_min} to 0{add}; prescribed {rx}',
  lens_add: 'lens "{lens}" needs an addition between {add_min} and {add_max}; prescribed {rx}',
  unique: 'is already used by {other}',
  unknown_field: 'unknown field',
};

export function renderTemplate(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => params[k] ?? '');
}

export class ValidationError extends Error {
  constructor(readonly errors: ErpFieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends Error {
  constructor(readonly entity: string, readonly id: string | number) {
    super(`${entity} ${id} not found`);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends Error {
  constructor(message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** Collects field errors and throws them all at once, so a form shows every problem in one go. */
export class FieldErrors {
  readonly list: ErpFieldError[] = [];
  add(field: string, code: string, params: Record<string, string> = {}): void {
    const message = renderTemplate(ERROR_TEMPLATES[code] ?? code, params);
    this.list.push({ field, message, code, params });
  }
  /** Names every key of the input that the record does not have: a typo must not pass silently. */
  onlyKnown(input: Record<string, unknown>, allowed: readonly string[]): this {
    for (const k of Object.keys(input)) if (!allowed.includes(k)) this.add(k, 'unknown_field');
    return this;
  }
  has(field: string): boolean {
    return this.list.some((e) => e.field === field);
  }
  throwIfAny(): void {
    if (this.list.length) throw new ValidationError(this.list);
  }
}
