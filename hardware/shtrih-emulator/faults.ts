// Faults the emulator can be told to show, switched at run time by tests or by the fault CLI.
export interface Faults {
  coverOpen: boolean;
  /** Receipt paper left in lines: null = plenty, 0 = out now, n = runs out after n lines. */
  paperLinesLeft: number | null;
  fnFull: boolean;
  fnExpired: boolean;
  /** Extra execution time per command (a slow printer). */
  slowMs: number;
  /** Next n replies go out with a corrupted byte. */
  corruptReplies: number;
  /** Next n received frames are refused with NAK (not executed). */
  nakFrames: number;
  /** The device ignores the line completely. */
  silence: boolean;
  /** After executing this command (e.g. 0xFF45), lose its reply: go silent or unplug. */
  dropAfter: { cmd: number; how: 'silence' | 'disconnect' } | null;
  /** Stray bytes sent before the next reply. */
  noiseBytes: number;
  /** The ACK of the next n frames is lost on the wire (the command still runs and replies). */
  lostAcks: number;
}

export function noFaults(): Faults {
  return { coverOpen: false, paperLinesLeft: null, fnFull: false, fnExpired: false, slowMs: 0, corruptReplies: 0, nakFrames: 0, silence: false, dropAfter: null, noiseBytes: 0, lostAcks: 0 };
}

export const FAULT_NAMES = [
  'paper-out', 'paper-in', 'cover-open', 'cover-close', 'fn-full', 'fn-expired', 'shift-24h', 'slow', 'corrupt', 'nak-storm',
  'silence', 'noise', 'lose-ack', 'drop-after', 'disconnect', 'reconnect', 'clear',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];
