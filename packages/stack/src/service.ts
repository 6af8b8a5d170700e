/**
 * One supervised service process (a subgraph or the gateway): spawned with an
 * IPC channel, considered started when it sends its ready message, restarted
 * with back-off if it crashes, stopped with SIGTERM (SIGKILL after a grace).
 * It runs in its own process group, so a terminal's Ctrl-C reaches the
 * launcher only, which stops the services in order, each signalled once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { isReadyMessage, type Logger } from '@lab/shared';

export type ServiceOutput = 'inherit' | { logDir: string };

export interface ServiceSpec {
  name: string;
  /** The TypeScript entry point, run through tsx. */
  entry: string;
  env: NodeJS.ProcessEnv;
  output: ServiceOutput;
  /** Milliseconds to wait for the ready message (default 90 s). */
  startTimeoutMs?: number;
  /** Milliseconds a stop may take before SIGKILL: the service's own bound and a margin (default 15 s). */
  stopGraceMs?: number;
}

const STOP_GRACE_MS = 15_000;
const MAX_RESTARTS_PER_MINUTE = 5;

export class ServiceProcess {
  url: string | undefined;
  private child: ChildProcess | undefined;
  private logFile: WriteStream | undefined;
  private stopping = false;
  private restarts: number[] = [];
  private tail: string[] = [];

  constructor(
    readonly spec: ServiceSpec,
    private readonly log: Logger,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process and resolves with its URL once it reports ready. */
  async start(): Promise<string> {
    this.stopping = false;
    const { spec } = this;
    const inherit = spec.output === 'inherit';
    if (spec.output !== 'inherit' && !this.logFile) {
      mkdirSync(spec.output.logDir, { recursive: true });
      this.logFile = createWriteStream(path.join(spec.output.logDir, `${spec.name}.log`), { flags: 'a' });
    }
    const child = spawn(process.execPath, ['--import', 'tsx', spec.entry], {
      env: spec.env,
      stdio: inherit ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own process group: Ctrl-C reaches the launcher only, which stops services in order.
      // A service whose launcher dies exits by itself (the IPC channel closes).
      detached: true,
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        this.logFile?.write(chunk);
        this.tail = [...this.tail, ...chunk.toString().split('\n').filter(Boolean)].slice(-30);
      });
    }
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${spec.name} did not start within ${(spec.startTimeoutMs ?? 90_000) / 1000} s${this.lastOutput()}`));
      }, spec.startTimeoutMs ?? 90_000);
      child.on('message', (message) => {
        if (isReadyMessage(message)) {
          clearTimeout(timer);
          resolve(message.url);
        }
      });
      // 'close', not 'exit': by then its output is read, so the error can show it.
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${spec.name} exited during start (${signal ?? `code ${code}`})${this.lastOutput()}`));
      });
    });
    this.url = url;
    child.once('exit', (code, signal) => this.onExit(code, signal));
    return url;
  }

  /** Sends SIGTERM and waits for the exit; SIGKILL after the grace period. Forgets earlier crashes. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.stopping = true;
    this.restarts = [];
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), this.spec.stopGraceMs ?? STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  /** A deliberate second stop signal: the service exits without waiting for its work in flight. */
  hurry(): void {
    if (this.stopping && this.running) this.child?.kill('SIGTERM');
  }

  async closeLog(): Promise<void> {
    const file = this.logFile;
    this.logFile = undefined;
    if (file) await new Promise<void>((resolve) => file.end(resolve));
  }

  private lastOutput(): string {
    return this.tail.length ? `\n--- last output of ${this.spec.name} ---\n${this.tail.join('\n')}` : '';
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    const now = Date.now();
    this.restarts = [...this.restarts.filter((t) => now - t < 60_000), now];
    if (this.restarts.length > MAX_RESTARTS_PER_MINUTE) {
      this.log.error({ service: this.spec.name, code, signal }, 'service keeps crashing; not restarting it again');
      return;
    }
    const delay = 500 * 2 ** (this.restarts.length - 1);
    this.log.error({ service: this.spec.name, code, signal, restartInMs: delay }, 'service exited unexpectedly; restarting');
    setTimeout(() => {
      if (this.stopping) return;
      this.start().catch((err) => this.log.error({ service: this.spec.name, err }, 'restart failed'));
    }, delay).unref();
  }
}
