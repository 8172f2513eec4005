// A lab order in the Vision Council's Data Communication Standard (DCS): one "LABEL=R;L"
// record per line, CR LF line ends, ASCII only. Labs' LMS software reads this; the test parses
// it back. Powers are written from the stored integers, never through floats.
import { formatScaled } from './decimal.js';
import type { LabOrder } from './lab-orders.js';
import type { Lens, LensType } from './lenses.js';
import type { Eye, EyeRx, PrismBase } from './prescription-rules.js';
import type { Prescription } from './prescriptions.js';

/** DCS LTYP codes: SV single vision, FT flat-top bifocal, PR progressive (office lenses are near-variable progressives). */
export const DCS_LTYP: Record<LensType, string> = { single_vision: 'SV', bifocal: 'FT', progressive: 'PR', office: 'PR' };

/** Prism base direction as the DCS base angle (PRVA, degrees): "in" points to the nose, so it differs per eye. */
export function prismAngle(eye: Eye, base: PrismBase): number {
  if (base === 'up') return 90;
  if (base === 'down') return 270;
  const towardNose = base === 'in';
  return eye === 'od' ? (towardNose ? 0 : 180) : (towardNose ? 180 : 0);
}

const CYR: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o',
  п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
};

/** DCS text fields are ASCII and may not hold the record separators. */
export function dcsText(s: string): string {
  const latin = [...s].map((ch) => {
    const lower = ch.toLowerCase();
    const t = CYR[lower];
    if (t === undefined) return ch;
    return ch === lower ? t : t.charAt(0).toUpperCase() + t.slice(1);
  }).join('');
  return latin.replace(/[;=\r\n]/g, ' ').replace(/[^\x20-\x7e]/g, '?').slice(0, 30);
}

const d2 = (v: number | null) => (v === null ? '' : formatScaled(v, 2));
const mm = (v: number | null) => (v === null ? '' : formatScaled(v * 10, 2));
const pair = (r: string, l: string) => `${r};${l}`;

function monoPd(rx: Prescription, kind: 'distance' | 'near'): [number | null, number | null] {
  const od = kind === 'distance' ? rx.od_pd_distance : rx.od_pd_near;
  const os = kind === 'distance' ? rx.os_pd_distance : rx.os_pd_near;
  if (od !== null && os !== null) return [od, os];
  const bino = kind === 'distance' ? rx.pd_distance : rx.pd_near;
  if (bino === null) return [null, null];
  // Without monocular readings the lab centres each lens at half the binocular PD.
  return [Math.floor(bino / 2), bino - Math.floor(bino / 2)];
}

export function toDcs(order: LabOrder, rx: Prescription, lenses: { od: Lens; os: Lens }): string {
  const eyes: [EyeRx, EyeRx] = [rx.od, rx.os];
  const both = <T>(f: (e: EyeRx, eye: Eye) => T) => [f(eyes[0], 'od'), f(eyes[1], 'os')] as const;
  const [ipdR, ipdL] = monoPd(rx, 'distance');
  const [npdR, npdL] = monoPd(rx, 'near');
  const lines: string[] = [
    'REQ=FIL',
    `JOB=${dcsText(order.number)}`,
    'DO=B',
    `SPH=${pair(...both((e) => formatScaled(e.sph, 2)))}`,
    `CYL=${pair(...both((e) => formatScaled(e.cyl, 2)))}`,
    `AX=${pair(...both((e) => (e.axis === null ? '0' : String(e.axis))))}`,
    `ADD=${pair(...both((e) => d2(e.add)))}`,
    `IPD=${pair(mm(ipdR), mm(ipdL))}`,
    `NPD=${pair(mm(npdR), mm(npdL))}`,
    `PRVM=${pair(...both((e) => d2(e.prism)))}`,
    `PRVA=${pair(...both((e, eye) => (e.prism_base ? String(prismAngle(eye, e.prism_base)) : '')))}`,
    `SEGHT=${pair(mm(order.seg_height_od), mm(order.seg_height_os ?? order.seg_height_od))}`,
    `LIND=${pair(formatScaled(lenses.od.refractive_index, 3), formatScaled(lenses.os.refractive_index, 3))}`,
    `LNAM=${pair(dcsText(lenses.od.name), dcsText(lenses.os.name))}`,
    `LTYP=${pair(DCS_LTYP[lenses.od.lens_type], DCS_LTYP[lenses.os.lens_type])}`,
    `CRIB=${pair(String(lenses.od.diameter_mm), String(lenses.os.diameter_mm))}`,
    `HBOX=${pair(mm(order.hbox), mm(order.hbox))}`,
    `VBOX=${pair(mm(order.vbox), mm(order.vbox))}`,
    `DBL=${mm(order.dbl)}`,
  ];
  if (rx.vertex_distance !== null) lines.push(`BVD=${pair(mm(rx.vertex_distance), mm(rx.vertex_distance))}`);
  // A record with no value for either eye is left out rather than sent empty.
  return `${lines.filter((l) => !/=;?$/.test(l)).join('\r\n')}\r\n`;
}

/** Parses DCS records back to label -> values (R;L split). A repeated label keeps the last record. */
export function parseDcs(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split(/\r\n|\n/)) {
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`not a DCS record: ${JSON.stringify(line)}`);
    out.set(line.slice(0, eq), line.slice(eq + 1).split(';'));
  }
  return out;
}
