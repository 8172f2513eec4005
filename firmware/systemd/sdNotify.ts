// Readiness and watchdog pings to systemd. Node cannot send the AF_UNIX datagram itself, so
// each message is handed to `systemd-notify` (the unit sets NotifyAccess=all, since the
// sender is a child). systemd-notify is run without --no-block: it waits for systemd to have
// read the message, so the message is not dropped when the short-lived sender is gone before
// systemd looks up its cgroup. Outside systemd (no NOTIFY_SOCKET) everything is a no-op.
import { execFile } from 'node:child_process';

export interface SdNotifier {
  readonly enabled: boolean;
  /** Interval at which the watchdog must be pinged, or undefined without WatchdogSec. */
  readonly watchdogIntervalMs: number | undefined;
  notify(...assignments: string[]): Promise<void>;
  ready(status?: string): Promise<void>;
  stopping(): Promise<void>;
  /**
   * Pings the watchdog at half the interval systemd asked for, but only while `healthy()`
   * says so: a hung event loop or a failed check lets systemd restart the service.
   */
  startWatchdog(healthy?: () => boolean | Promise<boolean>): void;
  stopWatchdog(): void;
}

export function createSdNotifier(env: NodeJS.ProcessEnv = process.env, command = 'systemd-notify'): SdNotifier {
  const socket = env.NOTIFY_SOCKET;
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  const watchdogIntervalMs = socket && usec > 0 && forUs ? Math.max(100, Math.floor(usec / 2000)) : undefined;
  let timer: NodeJS.Timeout | undefined;

  const notify = (...assignments: string[]): Promise<void> =>
    socket
      ? new Promise((resolve, reject) => {
          execFile(command, assignments, { env: { ...env, NOTIFY_SOCKET: socket }, timeout: 10_000 }, (err) => (err ? reject(err) : resolve()));
        })
      : Promise.resolve();

  return {
    enabled: Boolean(socket),
    watchdogIntervalMs,
    notify,
    ready: (status) => notify('READY=1', ...(status ? [`STATUS=${status}`] : [])),
    stopping: () => notify('STOPPING=1'),
    startWatchdog(healthy = () => true) {
      if (watchdogIntervalMs === undefined || timer) return;
      timer = setInterval(() => {
        void (async () => {
          if (await healthy()) await notify('WATCHDOG=1').catch(() => undefined);
        })();
      }, watchdogIntervalMs);
      timer.unref();
    },
    stopWatchdog() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
