// The Russian catalog covers every code the domain can show on a page: field errors, import
// row errors, states, lens types, coatings, product kinds, roles and audit actions.
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../../hub/erp/auth/users.js';
import { ERROR_TEMPLATES } from '../../../hub/erp/domain/errors.js';
import { ORDER_STATES } from '../../../hub/erp/domain/lab-order-states.js';
import { COATINGS, LENS_TYPES } from '../../../hub/erp/domain/lenses.js';
import { PRISM_BASES } from '../../../hub/erp/domain/prescription-rules.js';
import { PRODUCT_KINDS } from '../../../hub/erp/domain/products.js';
import { ROW_ERROR_TEMPLATES } from '../../../hub/erp/import/row-mapper.js';
import { TARGET_FIELDS } from '../../../hub/erp/import/profiles.js';
import { ru } from '../../../hub/erp/i18n/ru.js';
import { translator } from '../../../hub/erp/i18n/index.js';

describe('i18n catalog (ru)', () => {
  it('has a text for every code a page can show', () => {
    const needed = [
      ...Object.keys(ERROR_TEMPLATES).map((c) => `err.${c}`),
      ...Object.keys(ROW_ERROR_TEMPLATES).map((c) => `rowerr.${c}`),
      ...ORDER_STATES.map((s) => `state.${s}`), ...ORDER_STATES.filter((s) => s !== 'draft').map((s) => `action.${s}`),
      ...LENS_TYPES.map((x) => `type.${x}`), ...COATINGS.map((x) => `coating.${x}`), ...PRODUCT_KINDS.map((x) => `kind.${x}`),
      ...ROLES.map((x) => `role.${x}`), ...PRISM_BASES.map((x) => `base.${x}`), ...TARGET_FIELDS.map((x) => `target.${x}`),
      ...['create', 'update', 'transition'].map((x) => `audit.act.${x}`),
    ];
    expect(needed.filter((k) => !(k in ru))).toEqual([]);
  });

  it('fills parameters and shows a missing key as itself', () => {
    const t = translator('ru');
    expect(t('err.range', { min: '-20.00', max: '+20.00', unit: ' D' })).toBe('Допустимо от -20.00 до +20.00 D');
    expect(t('no.such.key')).toBe('no.such.key');
  });
});
