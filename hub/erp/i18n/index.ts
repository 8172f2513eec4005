// Message catalogs by language; pages call t(key, params). Missing keys show the key itself so
// a gap is visible, not silent.
import { renderTemplate } from '../domain/errors.js';
import { ru } from './ru.js';

export const CATALOGS: Record<string, Record<string, string>> = { ru };
export type Translate = (key: string, params?: Record<string, unknown>) => string;

/** The catalog's text with its {placeholders} left in, for templates filled in the browser. */
export function rawText(lang: string, key: string): string {
  return (CATALOGS[lang] ?? ru)[key] ?? ru[key] ?? key;
}

export function translator(lang = 'ru'): Translate {
  const cat = CATALOGS[lang] ?? ru;
  return (key, params = {}) => {
    const tpl = cat[key] ?? ru[key] ?? key;
    return renderTemplate(tpl, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v ?? '')])));
  };
}
