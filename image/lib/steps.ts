// Progress for a long build: numbered steps with their time, and each command's output
// streamed with a prefix so the user sees that mmdebstrap or npm is still working.
import { spawn, spawnSync } from 'node:child_process';

export class Progress {
  private n = 0;
  private readonly started = Date.now();
  readonly timings: Record<string, number> = {};

  constructor(private readonly total: number) {}

  async step<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    this.n++;
    const t0 = Date.now();
    process.stdout.write(`\n[${this.n}/${this.total}] ${name} ...\n`);
    const r = await fn();
    const s = (Date.now() - t0) / 1000;
    this.timings[name] = s;
    process.stdout.write(`[${this.n}/${this.total}] ${name}: done in ${s.toFixed(1)} s (total ${((Date.now() - this.started) / 1000).toFixed(0)} s)\n`);
    return r;
  }

  get elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Print every output line (default) or only a heartbeat every 10 s and the last lines on failure. */
  quiet?: boolean;
}

/** Runs a command, streaming its output with a prefix; rejects with the tail of the output. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let out = '';
    let lines = 0;
    const t0 = Date.now();
    const beat = setInterval(() => {
      if (opts.quiet) process.stdout.write(`    ... ${cmd} still running (${Math.round((Date.now() - t0) / 1000)} s, ${lines} lines)\n`);
    }, 10_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        lines++;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (!opts.quiet) process.stdout.write(`    ${line}\n`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      clearInterval(beat);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(beat);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${tail.join('\n')}`));
    });
  });
}

export function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

export function must(tools: string[], hint: string): void {
  const missing = tools.filter((t) => !have(t));
  if (missing.length) throw new Error(`missing tools: ${missing.join(', ')}\n${hint}`);
}
