// The fiscal printer's battery-backed clock as a reference for the clock watch. A KKT keeps
// store local time, so its reading is shifted by the store's UTC offset (by default the
// box's own time zone, which provisioning sets to the store's).
import type { PrinterService } from '../printer/service.js';
import type { ClockReference } from './clock-watch.js';

export function printerClock(printer: PrinterService, utcOffsetMinutes?: number): ClockReference {
  return {
    name: 'printer',
    async read() {
      if (printer.state !== 'connected') return null;
      const status = await printer.fiscaliser.run((d) => d.fullStatus());
      const offset = utcOffsetMinutes ?? -new Date().getTimezoneOffset();
      return status.dateTime.getTime() - offset * 60_000;
    },
  };
}
