// The lab (manufacturing) order workflow, seed W6.3: draft -> confirmed -> in_production ->
// ready -> delivered, and cancelled (with a reason) while the lenses are not made yet; a
// finished pair is delivered (a refund after that is a sale's business, not the lab's).
export const ORDER_STATES = ['draft', 'confirmed', 'in_production', 'ready', 'delivered', 'cancelled'] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** The forward path the status bar shows. */
export const MAIN_PATH: readonly OrderState[] = ['draft', 'confirmed', 'in_production', 'ready', 'delivered'];

export const TRANSITIONS: Record<OrderState, readonly OrderState[]> = {
  draft: ['confirmed', 'cancelled'],
  confirmed: ['in_production', 'cancelled'],
  in_production: ['ready', 'cancelled'],
  ready: ['delivered'],
  delivered: [],
  cancelled: [],
};

export function allowedTransitions(from: OrderState): readonly OrderState[] {
  return TRANSITIONS[from];
}

export function canTransition(from: OrderState, to: OrderState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Adds working days (Mon-Fri) to an ISO date: labs do not surface lenses at weekends. */
export function addWorkingDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6) left -= 1;
  }
  return d.toISOString().slice(0, 10);
}
