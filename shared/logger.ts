// Structured JSON logs, one event per line (pino). Components get a child logger named after
// their job so a log line says where it came from.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(name: string, level: LevelWithSilent = (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A logger that writes nothing: for tests and benchmarks that assert on behaviour, not logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
