// A real box wired to the Shtrih-M emulator on a real pseudo-terminal.
import { ShtrihEmulator, type EmulatorOptions } from '../../hardware/shtrih-emulator/emulator.js';
import { startTestBox, type TestBox } from './box-server.js';
import { tempDir } from './temp-dir.js';

export interface PrinterBox extends TestBox {
  emu: ShtrihEmulator;
  postJson(path: string, body?: unknown): Promise<Response>;
  /** Stops the box only (emulator and data stay) and starts a new one on the same data. */
  restart(): Promise<PrinterBox>;
  stopAll(): Promise<void>;
}

export const printerOverrides = (path: string, dataDir?: string): Record<string, unknown> => ({
  ...(dataDir ? { dataDir } : {}),
  printer: { enabled: true, path, ackTimeoutMs: 300, replyPollMs: 300, connectWaitMs: 5000, reconcileWaitMs: 1500 },
});

export async function startPrinterBox(emuOpts: Partial<EmulatorOptions> = {}, existing?: { emu: ShtrihEmulator; dataDir: string; cleanup: () => void }): Promise<PrinterBox> {
  const emuDir = existing ? null : tempDir('kkt-emu-');
  const dataDir = existing?.dataDir ?? tempDir('box-data-').path;
  const emu = existing?.emu ?? await ShtrihEmulator.onPty({ dir: emuDir!.path, printLineMs: 1, ...emuOpts });
  const cleanup = existing?.cleanup ?? (() => emuDir?.remove());
  const t = await startTestBox(printerOverrides(emu.hostPath, dataDir));
  const pb: PrinterBox = {
    ...t, emu, dataDir,
    postJson: (path, body) => fetch(`${t.url}${path}`, {
      method: 'POST', headers: { authorization: 'Bearer test-pos-token-0123456789', 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}),
    }),
    restart: async () => {
      await t.box.stop();
      return startPrinterBox(emuOpts, { emu, dataDir, cleanup });
    },
    stopAll: async () => {
      await t.box.stop();
      await emu.stop();
      cleanup();
    },
  };
  return pb;
}
