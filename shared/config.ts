// Configuration = defaults < JSON file < environment, validated once at start-up. A bad value
// stops the process with one message naming every bad key, so an operator fixes it in one go.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: { key: string; message: string }[], source: string) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ key: '(file)', message: `cannot read ${file}: ${(err as Error).message}` }], file);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('top level must be an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError([{ key: '(file)', message: `${file} is not a JSON object: ${(err as Error).message}` }], file);
  }
}

/** Deep-merges plain objects; arrays and scalars from `over` replace those in `base`. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlain(b) && isPlain(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Maps environment variables to config keys: PREFIX_API__PORT=9000 -> { api: { port: "9000" } }.
 * Double underscore separates levels; values stay strings and the schema coerces them.
 */
export function envOverrides(env: NodeJS.ProcessEnv, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(`${prefix}_`) || value === undefined) continue;
    const path = name.slice(prefix.length + 1).toLowerCase().split('__');
    let node = out;
    path.forEach((seg, i) => {
      const key = seg.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
      if (i === path.length - 1) node[key] = value;
      else node = (node[key] = isPlain(node[key]) ? node[key] : {}) as Record<string, unknown>;
    });
  }
  return out;
}

export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, source: string): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw new ConfigError(
    r.error.issues.map((i) => ({
      key: i.path.join('.') || '(root)',
      message: i.code === 'unrecognized_keys' ? `unknown key(s): ${i.keys.join(', ')}` : i.message,
    })),
    source,
  );
}
