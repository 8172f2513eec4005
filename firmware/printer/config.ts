// Printer settings of the box, validated with the rest of the box config (zod). The udev rule
// names the printer /dev/kkt; a /dev/serial/by-id/... path works as well.
import { z } from 'zod';

export const printerConfigSchema = z.strictObject({
  path: z.string().min(1).default('/dev/kkt'),
  baudRate: z.coerce.number().int().refine((b) => [2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600].includes(b), 'must be a Shtrih-M speed (2400..921600)').default(115200),
  operatorPassword: z.coerce.number().int().min(1).max(30).default(30),
  sysadminPassword: z.coerce.number().int().min(1).max(30).default(30),
  receiptTimeoutMs: z.coerce.number().int().min(2000).max(120_000).default(10_000),
  reconcileWaitMs: z.coerce.number().int().min(500).max(60_000).default(3000),
  /** FF45h tax system bit: 1 OSN, 2 USN income, 4 USN income-expense, 16 ESKhN, 32 patent. */
  taxSystemBit: z.coerce.number().int().refine((b) => [1, 2, 4, 8, 16, 32].includes(b), 'must be one bit: 1, 2, 4, 8, 16 or 32').default(1),
  byteTimeoutMs: z.coerce.number().int().min(10).max(5000).default(100),
  ackTimeoutMs: z.coerce.number().int().min(50).max(10_000).default(1000),
  /** While a reply is awaited, ENQ again after this much silence (a lost reply is re-read). */
  replyPollMs: z.coerce.number().int().min(50).max(10_000).default(1000),
  /** How long start-up waits for the printer before serving (sales answer 503 meanwhile). */
  connectWaitMs: z.coerce.number().int().min(0).max(60_000).default(3000),
});

export type PrinterConfig = z.output<typeof printerConfigSchema>;
