// The udev rule that names this store's fiscal printer /dev/kkt, made from the USB ids in the
// provisioning file. Values are checked against strict patterns before they reach the rule:
// a quote or comma in a serial would otherwise let a provisioning file inject udev keys.
import { z } from 'zod';

export const KktUsbSchema = z.strictObject({
  usbVendorId: z.string().regex(/^[0-9a-f]{4}$/, 'four lower-case hex digits, e.g. "1fc9"'),
  usbProductId: z.string().regex(/^[0-9a-f]{4}$/, 'four lower-case hex digits, e.g. "0083"'),
  usbSerial: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore (1-64)')
    .optional(),
});
export type KktUsb = z.infer<typeof KktUsbSchema>;

export const KKT_RULE_FILE = '90-opticserp-kkt.rules';

export function kktRule(kkt: KktUsb): string {
  const k = KktUsbSchema.parse(kkt);
  const match = [
    'SUBSYSTEM=="tty"',
    `ATTRS{idVendor}=="${k.usbVendorId}"`,
    `ATTRS{idProduct}=="${k.usbProductId}"`,
    ...(k.usbSerial ? [`ATTRS{serial}=="${k.usbSerial}"`] : []),
  ];
  return [
    '# Written by OpticsERP provisioning: this store\'s fiscal printer is /dev/kkt.',
    '# ID_MM_DEVICE_IGNORE: ModemManager must never probe the printer with AT commands.',
    `${match.join(', ')}, SYMLINK+="kkt", GROUP="dialout", MODE="0660", TAG+="systemd", ENV{ID_MM_DEVICE_IGNORE}="1"`,
    '# An FTDI adapter holds a short reply up to its latency timer (16 ms by default) before',
    '# passing it on; a sale waits for 7 printer replies. The box also asks for low-latency mode',
    '# when it opens the port; this covers the time before that and other programs.',
    `ACTION=="add", SUBSYSTEM=="usb-serial", DRIVER=="ftdi_sio", ${match.slice(1).join(', ')}, ATTR{latency_timer}="1"`,
    '',
  ].join('\n');
}
