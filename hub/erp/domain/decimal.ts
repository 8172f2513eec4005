// Decimal text (as opticians type it: "-2,25", "+1.5", "−0.75") to exact integers with a fixed
// number of decimals, and back. Going through the text keeps 0.1-style float errors out.

const DEC = /^([+-]?)(\d{1,6})(?:[.,](\d{1,6}))?$/;

/** "−2,25" with scale 2 -> -225; null when it is not a decimal or has more decimals than scale. */
export function parseScaled(input: unknown, scale: number): number | null {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return null;
    text = String(input);
    if (/e/i.test(text)) return null;
  } else if (typeof input === 'string') {
    text = input.trim().replace(/\u2212/g, '-').replace(/\s+/g, '');
  } else {
    return null;
  }
  const m = DEC.exec(text);
  if (!m) return null;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > scale) return null;
  const abs = Number(m[2]) * 10 ** scale + Number(frac.padEnd(scale, '0') || '0');
  return m[1] === '-' ? -abs : abs;
}

/** -225 with scale 2 -> "-2.25"; signed adds "+" to positives (how powers are written). */
export function formatScaled(value: number, scale: number, signed = false): string {
  const sign = value < 0 ? '-' : signed && value > 0 ? '+' : '';
  const abs = Math.abs(value);
  const unit = 10 ** scale;
  const int = Math.floor(abs / unit);
  return scale === 0 ? `${sign}${int}` : `${sign}${int}.${String(abs % unit).padStart(scale, '0')}`;
}

/** Treats '', null and undefined as "not given". */
export function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/** Diopters in hundredths: "+1.25" -> 125. */
export const parseDiopters = (v: unknown): number | null => parseScaled(v, 2);
export const formatDiopters = (v: number | null | undefined): string => (v === null || v === undefined ? '' : formatScaled(v, 2, true));
/** Millimetres in tenths: "31,5" -> 315. */
export const parseTenthsMm = (v: unknown): number | null => parseScaled(v, 1);
export const formatTenthsMm = (v: number | null | undefined): string => (v === null || v === undefined ? '' : formatScaled(v, 1));
/** Refractive index in thousandths, as catalogs print it: 1600 -> "1.60", 1670 -> "1.67", 1740 -> "1.74". */
export const formatIndex = (v: number): string => formatScaled(v, 3).replace(/0$/, '');
