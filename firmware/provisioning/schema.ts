// What a box must be told before it can work: who it is, where its hub is, how POS terminals
// authenticate, which printer and UPS it has. Comes from a file on the boot partition or from
// the field-tech console; both go through this one schema.
import { z } from 'zod';
import { KktUsbSchema } from '../../hardware/udev/kktRule.js';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, "-" or "_" (1-64), starting with a letter or digit');
const ipv4 = z.ipv4();
const cidr4 = z.cidrv4();

export const NetworkSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('dhcp') }),
  z.strictObject({
    mode: z.literal('static'),
    address: cidr4,
    gateway: ipv4,
    dns: z.array(ipv4).min(1).max(3),
  }),
]);
export type Network = z.infer<typeof NetworkSchema>;

export const ProvisioningSchema = z.strictObject({
  storeId: id,
  boxId: id,
  hub: z.strictObject({
    url: z.url({ protocol: /^mqtts?$/, error: 'an mqtt:// or mqtts:// URL' }),
    username: z.string().min(1).max(128),
    password: z.string().min(8).max(256),
  }),
  /** Bearer token POS terminals present on /v1/*. */
  apiToken: z.string().min(16).max(256).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
  kkt: KktUsbSchema.optional(),
  ups: z.enum(['none', 'geekworm-x728', 'geekworm-x1200']).default('none'),
  /** The field technician's PIN for the serial console (stored hashed). */
  techPin: z.string().regex(/^\d{4,8}$/, '4 to 8 digits').optional(),
  network: NetworkSchema.default({ mode: 'dhcp' }),
});
export type Provisioning = z.output<typeof ProvisioningSchema>;
export type ProvisioningInput = z.input<typeof ProvisioningSchema>;

export class ProvisioningError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid provisioning data:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ProvisioningError';
  }
}

/** Parses the text of a provisioning file; every problem is reported at once. */
export function parseProvisioning(text: string): Provisioning {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ProvisioningError([`not valid JSON: ${(err as Error).message}`]);
  }
  return validateProvisioning(raw);
}

export function validateProvisioning(raw: unknown): Provisioning {
  const r = ProvisioningSchema.safeParse(raw);
  if (r.success) return r.data;
  throw new ProvisioningError(
    r.error.issues.map((i) => {
      const key = i.path.join('.') || '(root)';
      return i.code === 'unrecognized_keys' ? `${key}: unknown key(s): ${i.keys.join(', ')}` : `${key}: ${i.message}`;
    }),
  );
}
