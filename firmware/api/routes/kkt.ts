// Shift and report commands for the POS: they talk to the printer only, so they work with no
// network at all (seed UAT-04, UAT-11). Printer failures become problem+json like receipts'.
import type Router from '@koa/router';
import { Problem } from '../../../shared/http/problem.js';

export interface KktOperations {
  openShift(): Promise<Record<string, unknown>>;
  xReport(): Promise<Record<string, unknown>>;
  /** Non-fiscal test lines on the tape (no FN document). */
  testPrint(): Promise<Record<string, unknown>>;
  closeShift(): Promise<Record<string, unknown>>;
  /** Maps a printer failure to the problem the POS sees (null: not a printer failure). */
  problem(err: unknown): Problem | null;
}

export function kktRoutes(router: Router, kkt: KktOperations | undefined): void {
  const run = (op: (k: KktOperations) => Promise<Record<string, unknown>>) => async (ctx: { body: unknown; status: number }) => {
    if (!kkt) throw new Problem(503, 'no-printer', 'No fiscal printer', 'this box has no fiscal printer configured (printer.enabled = false)');
    try {
      ctx.body = await op(kkt);
      ctx.status = 200;
    } catch (err) {
      throw kkt.problem(err) ?? err;
    }
  };
  router.post('/v1/kkt/shift/open', run((k) => k.openShift()));
  router.post('/v1/kkt/report/x', run((k) => k.xReport()));
  router.post('/v1/kkt/shift/close', run((k) => k.closeShift()));
  router.post('/v1/kkt/print/test', run((k) => k.testPrint()));
}
