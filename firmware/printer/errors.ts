// Every error the printer or its fiscal drive (FN) can answer becomes a PrinterError with a
// code, a kind the program can branch on, and words a cashier understands (ru + en) plus
// what to do. Codes 01h-2Fh come from the FN, the rest from the KKT (protocol v1.17 table).

export type PrinterErrorKind =
  | 'paper' | 'cover' | 'shift-expired' | 'shift-open' | 'shift-closed' | 'fn-full' | 'fn-expired'
  | 'fn-failure' | 'password' | 'receipt-state' | 'busy' | 'continue-print' | 'bad-request'
  | 'hardware' | 'ofd' | 'overflow' | 'date' | 'unknown';

export interface ErrorInfo {
  kind: PrinterErrorKind;
  ru: string;
  en: string;
  /** What the cashier (or the technician) should do. */
  action: string;
}

const fn = (kind: PrinterErrorKind, ru: string, en: string, action: string): ErrorInfo => ({ kind, ru, en, action });
const CALL_TECH = 'Call the service technician; do not retry the sale on this printer.';
const RETRY = 'Retry the operation; if it repeats, call the service technician.';
const FIX_DATA = 'The box sent data the printer refused: report it to support with the receipt id.';

const TABLE: Record<number, ErrorInfo> = {
  0x01: fn('bad-request', 'ФН: неизвестная команда или неверный формат', 'FN: unknown command or bad format', FIX_DATA),
  0x02: fn('receipt-state', 'ФН: неверное состояние', 'FN: wrong state for this command', 'Print an X-report to see the state; close or cancel the open document, then retry.'),
  0x03: fn('fn-failure', 'Отказ ФН', 'fiscal drive (FN) failure', CALL_TECH),
  0x04: fn('fn-failure', 'Отказ криптографического сопроцессора ФН', 'FN crypto processor failure', CALL_TECH),
  0x05: fn('fn-expired', 'Исчерпан временной ресурс ФН', 'FN lifetime exhausted', 'The fiscal drive must be replaced: call the service technician.'),
  0x06: fn('fn-full', 'Архив ФН переполнен', 'FN archive full', 'The fiscal drive is full and must be replaced: call the service technician.'),
  0x07: fn('date', 'Неверные дата и/или время', 'wrong date or time', 'Check the printer clock; call the technician to set it.'),
  0x08: fn('bad-request', 'Нет запрошенных данных', 'no such data in the FN', FIX_DATA),
  0x09: fn('bad-request', 'Некорректное значение параметров команды', 'bad command parameter', FIX_DATA),
  0x10: fn('bad-request', 'Превышение размеров TLV данных', 'TLV data too large', FIX_DATA),
  0x11: fn('ofd', 'Нет транспортного соединения', 'no transport connection to the OFD', 'Sales go on; the box forwards documents later.'),
  0x12: fn('fn-expired', 'Исчерпан ресурс ФН', 'FN resource exhausted', 'The fiscal drive must be replaced: call the service technician.'),
  0x14: fn('fn-full', 'Ресурс хранения документов для ОФД исчерпан', 'FN storage for OFD documents is full', 'Documents have not reached the OFD for too long: restore the network, then retry; call support if it persists.'),
  0x15: fn('ofd', 'Исчерпан ресурс ожидания передачи сообщения', 'OFD wait limit exhausted', 'Restore the connection to the OFD; call support.'),
  0x16: fn('shift-expired', 'Продолжительность смены более 24 часов', 'shift longer than 24 hours', 'Close the shift (Z-report), then retry the sale.'),
  0x17: fn('date', 'Неверная разница во времени между двумя операциями', 'time jump of more than 5 minutes between operations', 'Check the printer clock; call the technician.'),
  0x20: fn('ofd', 'Сообщение от ОФД не может быть принято', 'the OFD message was rejected by the FN', 'Report to support.'),
  0x2f: fn('fn-failure', 'Таймаут обмена с ФН', 'FN did not answer in time', RETRY),
  0x30: fn('fn-failure', 'ФН не отвечает', 'FN does not answer', CALL_TECH),
  0x33: fn('bad-request', 'Некорректные параметры в команде', 'bad parameters in the command', FIX_DATA),
  0x34: fn('bad-request', 'Нет данных', 'no data', FIX_DATA),
  0x37: fn('bad-request', 'Команда не поддерживается в данной реализации ККТ', 'command not supported by this printer', FIX_DATA),
  0x3c: fn('shift-open', 'Смена открыта – операция невозможна', 'the shift is open: operation not allowed', 'Close the shift first (Z-report).'),
  0x3d: fn('shift-closed', 'Смена не открыта – операция невозможна', 'the shift is not open', 'Open the shift, then retry.'),
  0x45: fn('bad-request', 'Cумма всех типов оплаты меньше итога чека', 'payments are less than the receipt total', FIX_DATA),
  0x46: fn('bad-request', 'Не хватает наличности в кассе', 'not enough cash in the drawer', 'Check the cash amount of the refund.'),
  0x48: fn('overflow', 'Переполнение итога чека', 'receipt total overflow', 'Split the sale into several receipts.'),
  0x4a: fn('receipt-state', 'Открыт чек – операция невозможна', 'a receipt is open: operation not allowed', 'The box cancels the open receipt; retry.'),
  0x4b: fn('overflow', 'Буфер чека переполнен', 'receipt buffer full', 'Split the sale into several receipts.'),
  0x4d: fn('bad-request', 'Вносимая безналичной оплатой сумма больше суммы чека', 'non-cash payment exceeds the receipt total', FIX_DATA),
  0x4e: fn('shift-expired', 'Смена превысила 24 часа', 'the shift is over 24 hours', 'Close the shift (Z-report), then retry the sale.'),
  0x4f: fn('password', 'Неверный пароль', 'wrong password', 'The box has the wrong operator password: call the technician to fix the configuration.'),
  0x50: fn('busy', 'Идет печать результатов выполнения предыдущей команды', 'still printing the previous command', 'Wait a moment and retry.'),
  0x55: fn('receipt-state', 'Чек закрыт – операция невозможна', 'the receipt is closed', RETRY),
  0x58: fn('continue-print', 'Ожидание команды продолжения печати', 'waiting for the continue-print command', 'Paper is back: the box continues printing; retry.'),
  0x59: fn('receipt-state', 'Документ открыт другим оператором', 'the document was opened by another operator', 'Finish or cancel the document on the printer, then retry.'),
  0x5e: fn('bad-request', 'Некорректная операция', 'invalid operation', FIX_DATA),
  0x6b: fn('paper', 'Нет чековой ленты', 'out of receipt paper', 'Load a new paper roll, close the cover, then retry.'),
  0x71: fn('hardware', 'Ошибка отрезчика', 'paper cutter failure', 'Open the cover, free the cutter and the paper, close it, retry.'),
  0x72: fn('receipt-state', 'Команда не поддерживается в данном подрежиме', 'command not allowed in this submode', RETRY),
  0x73: fn('receipt-state', 'Команда не поддерживается в данном режиме', 'command not allowed in this mode', 'Check the shift and receipt state with an X-report; retry.'),
  0x74: fn('hardware', 'Ошибка ОЗУ', 'RAM error', CALL_TECH),
  0x75: fn('hardware', 'Ошибка питания', 'power supply error', 'Check the printer power cable; call the technician.'),
  0x77: fn('hardware', 'Принтер: нет сигнала с датчиков', 'printer sensors give no signal', CALL_TECH),
  0x7e: fn('bad-request', 'Неверная длина в поле', 'wrong field length', FIX_DATA),
  0x8e: fn('bad-request', 'Нулевой итог чека', 'zero receipt total', FIX_DATA),
  0xc8: fn('hardware', 'Отсутствуют импульсы от таходатчика / нет связи с принтером', 'no link to the print mechanism', CALL_TECH),
};

/** No code of its own: the driver reads it from the status flags before printing. */
export const COVER_OPEN = fn('cover', 'Открыта крышка принтера', 'the printer cover is open', 'Close the printer cover, then retry.');

const OVERFLOW = [0x3a, 0x3e, 0x3f, 0x47, 0x4c, 0x51, 0x52, 0x53, 0x54, 0x6f, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89];

/** Plain words for any code; unknown codes still get a useful, honest message. */
export function describeError(code: number): ErrorInfo {
  const known = TABLE[code];
  if (known) return known;
  if (OVERFLOW.includes(code)) return fn('overflow', 'Переполнение накопления', 'accumulator overflow', 'Close the shift (Z-report); call the technician if it repeats.');
  if ((code >= 0x40 && code <= 0x44) || [0x5b, 0x61, 0x62, 0x63, 0x7f, 0x8a, 0x8b].includes(code)) {
    return fn('bad-request', 'Переполнение диапазона', 'value out of range', FIX_DATA);
  }
  if (code >= 0xa0 && code <= 0xa5) return fn('bad-request', 'Ошибка маркировки', 'marking code error', FIX_DATA);
  return fn('unknown', `Ошибка ККТ ${hexCode(code)}`, `printer error ${hexCode(code)}`, RETRY);
}

function hexCode(code: number): string {
  return `${code.toString(16).toUpperCase().padStart(2, '0')}h`;
}

/** The printer answered a command with a non-zero error code: the command did not execute. */
export class PrinterError extends Error {
  readonly kind: PrinterErrorKind;
  readonly ru: string;
  readonly en: string;
  readonly action: string;
  constructor(readonly code: number, readonly cmd: number, cause?: 'cover') {
    const info = cause === 'cover' ? COVER_OPEN : describeError(code);
    super(`${info.en} (${hexCode(code)} on command ${cmd.toString(16).toUpperCase()}h)`);
    this.name = 'PrinterError';
    this.kind = info.kind;
    this.ru = info.ru;
    this.en = info.en;
    this.action = info.action;
  }
}

/** No answer at all: the port is closed, unplugged, or the printer stays silent. */
export class PrinterUnavailableError extends Error {
  readonly ru = 'Нет связи с ККТ';
  readonly action = 'Check that the printer is on and its USB cable is plugged in; the box reconnects by itself.';
  constructor(message: string) {
    super(message);
    this.name = 'PrinterUnavailableError';
  }
}

/**
 * The command was (or may have been) delivered but no reply came back: it may have executed.
 * Callers must not repeat a fiscal command after this without asking the FN what happened.
 */
export class UncertainOutcomeError extends Error {
  constructor(message: string, readonly cmd: number) {
    super(message);
    this.name = 'UncertainOutcomeError';
  }
}

/** The printer stayed busy longer than the time allowed for the whole operation. */
export class PrintTimeoutError extends Error {
  readonly ru = 'ККТ не успела напечатать чек';
  readonly action = 'Check the printer (paper, cover); the box checks the fiscal drive before any retry.';
  constructor(message: string) {
    super(message);
    this.name = 'PrintTimeoutError';
  }
}

export const KNOWN_ERROR_CODES = Object.keys(TABLE).map(Number);
