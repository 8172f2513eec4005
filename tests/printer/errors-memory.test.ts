// Error table completeness, and the fast in-process variant of the emulator (no tty).
import { describe, expect, it } from 'vitest';
import { describeError, KNOWN_ERROR_CODES, PrinterError } from '../../firmware/printer/errors.js';
import { startRig, sale, fiscalReceipts } from './rig.js';

describe('printer error table', () => {
  it('every code 01h..FFh has Russian and English words and an action', () => {
    for (let code = 1; code <= 0xff; code++) {
      const e = describeError(code);
      expect(e.ru.length).toBeGreaterThan(3);
      expect(e.en.length).toBeGreaterThan(3);
      expect(e.action.length).toBeGreaterThan(5);
    }
    expect(KNOWN_ERROR_CODES.length).toBeGreaterThan(40);
  });
  it('the cashier-facing kinds are right for the common faults', () => {
    expect(new PrinterError(0x6b, 0xff46).kind).toBe('paper');
    expect(new PrinterError(0x4e, 0xff46).kind).toBe('shift-expired');
    expect(new PrinterError(0x16, 0xff46).kind).toBe('shift-expired');
    expect(new PrinterError(0x14, 0xff45).kind).toBe('fn-full');
    expect(new PrinterError(0x12, 0xff45).kind).toBe('fn-expired');
    expect(new PrinterError(0x4f, 0x10).kind).toBe('password');
    expect(new PrinterError(0x6b, 0x10, 'cover').kind).toBe('cover');
    expect(describeError(0xee).en).toBe('printer error EEh');
  });
});

describe('in-memory emulator (fast variant)', () => {
  it('prints sales and refunds without a tty', async () => {
    const rig = await startRig({ memory: true });
    for (let i = 0; i < 10; i++) await rig.print(sale(1000 + i, i % 2 ? 'refund' : 'sale'));
    expect(fiscalReceipts(rig.emu)).toBe(10);
    expect(rig.emu.fn.state.docs.filter((d) => d.operation === 2)).toHaveLength(5);
    await rig.close();
  });
});
