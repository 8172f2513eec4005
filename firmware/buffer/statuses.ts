// The receipt state machine in one place (docs/buffer.md draws it). Other parts (printer,
// uplink) change what they need here, not in scattered string literals.

export const RECEIPT_STATUSES = ['buffered', 'printed', 'print_failed', 'delivered', 'synced', 'dead', 'cancelled'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

/**
 * Statuses whose receipts the uplink may send to the hub, oldest HLC first: only fiscalised
 * documents leave the box. A `buffered` receipt is not printed (yet, or no printer is
 * attached) and a `print_failed` one was not fiscalised: neither may reach the OFD.
 */
export const UPLOADABLE_STATUSES: readonly ReceiptStatus[] = ['printed', 'delivered'];

/** Statuses that count as "queued" in the buffer status: not yet synced, not failed for good. */
export const QUEUED_STATUSES: readonly ReceiptStatus[] = ['buffered', 'printed', 'print_failed', 'delivered'];

/**
 * Allowed transitions; anything else is a programming error and throws. Only a receipt the FN
 * never fiscalised can be `cancelled` (the POS abandoned the sale): a fiscal document cannot be
 * taken back, only refunded.
 */
export const TRANSITIONS: Readonly<Record<ReceiptStatus, readonly ReceiptStatus[]>> = {
  buffered: ['printed', 'print_failed', 'delivered', 'synced', 'dead', 'cancelled'],
  print_failed: ['printed', 'dead', 'cancelled'],
  printed: ['delivered', 'synced', 'dead'],
  delivered: ['synced', 'dead'],
  synced: [],
  dead: [],
  cancelled: [],
};

/** Statuses of a receipt the FN holds as a fiscal document. */
export const FISCALISED_STATUSES: readonly ReceiptStatus[] = ['printed', 'delivered', 'synced'];
