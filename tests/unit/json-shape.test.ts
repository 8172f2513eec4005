import { describe, expect, it } from 'vitest';
import { jsonShape } from '../../shared/http/json-body.js';

describe('jsonShape', () => {
  it('finds a key repeated in one object, not the same key in different objects', () => {
    expect(jsonShape('{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}')).toEqual({ depth: 3, duplicateKey: null });
    expect(jsonShape('{"items":[{"name":"F","price":10,"price":20}]}').duplicateKey).toBe('price');
    expect(jsonShape('{"a":{"x":1},"a":2}').duplicateKey).toBe('a');
  });

  it('reads keys as JSON does: escapes decoded, braces and quotes inside strings are text', () => {
    expect(jsonShape('{"n\\u0061me":"x","name":"y"}').duplicateKey).toBe('name');
    expect(jsonShape('{"a":"{\\"a\\":1,[","b":"}]\\\\","c":1}')).toEqual({ depth: 1, duplicateKey: null });
    expect(jsonShape('["a","a",{"k":"a"}]').duplicateKey).toBeNull();
  });

  it('measures depth without recursion, however deep', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(jsonShape(deep).depth).toBe(100_000);
    expect(jsonShape('{}').depth).toBe(1);
  });
});
