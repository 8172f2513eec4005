// Money and quantities never live as floats inside the program: rubles arrive from JSON
// with at most 2 decimals and become integer kopecks; quantities (3 decimals) become
// integer thousandths. Both conversions go through the decimal text, not through x*100,
// so 0.1 + 0.2 style errors cannot creep in.

export type Kopecks = number & { readonly __unit?: 'kopecks' };
export type Milli = number & { readonly __unit?: 'milli' };

/** Largest amount accepted anywhere: 9 999 999 999.99 rubles still fits a 5-byte printer field. */
export const MAX_KOPECKS = 999_999_999_999;
/** Largest quantity: 99 999.999 units (printers take 6-byte fixed point, far more). */
export const MAX_MILLI = 99_999_999;

const DECIMAL = /^(\d{1,15})(?:\.(\d{1,9}))?$/;

function parseDecimal(value: unknown): { int: string; frac: string } | null {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return null;
    text = String(value);
    if (text.includes('e')) return null;
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return null;
  }
  const m = DECIMAL.exec(text);
  if (!m) return null;
  return { int: m[1] ?? '0', frac: (m[2] ?? '').replace(/0+$/, '') };
}

/** Rubles (number or decimal string, >= 0, <= 2 decimals) to kopecks, or null if not exact. */
export function rublesToKopecks(value: unknown): Kopecks | null {
  const d = parseDecimal(value);
  if (!d || d.frac.length > 2) return null;
  const k = Number(d.int) * 100 + Number(d.frac.padEnd(2, '0'));
  return Number.isSafeInteger(k) && k <= MAX_KOPECKS ? k : null;
}

/** Quantity (number or decimal string, > 0 is checked by callers, <= 3 decimals) to thousandths. */
export function quantityToMilli(value: unknown): Milli | null {
  const d = parseDecimal(value);
  if (!d || d.frac.length > 3) return null;
  const m = Number(d.int) * 1000 + Number(d.frac.padEnd(3, '0'));
  return Number.isSafeInteger(m) && m <= MAX_MILLI ? m : null;
}

/** Kopecks back to a JSON number of rubles (exact for every safe integer of kopecks). */
export function kopecksToRubles(k: Kopecks): number {
  return Number(formatRubles(k));
}

/** "1234.50": the text form used on receipts, in QR codes and in reports. */
export function formatRubles(k: Kopecks): string {
  const sign = k < 0 ? '-' : '';
  const abs = Math.abs(k);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function milliToQuantity(m: Milli): number {
  return Number(`${Math.floor(m / 1000)}.${String(m % 1000).padStart(3, '0')}`);
}

/** price x quantity, rounded half-up to the kopeck, in exact integer arithmetic. */
export function lineTotal(price: Kopecks, qty: Milli): Kopecks {
  const p = BigInt(price) * BigInt(qty);
  return Number((p + 500n) / 1000n);
}
