/**
 * Test support: a Ceph RADOS Gateway (Debian's radosgw, a real S3) for the
 * tests that need what the embedded server lacks. Started and stopped through
 * scripts/ceph-rgw.sh, in a fixed folder under the temp dir on a fixed port, so
 * that a run killed half-way is cleaned up by the next one; while its test
 * process lives, another run refuses to take it over. `rgwRequirement()` says whether to run such tests: skipped when
 * radosgw is not installed, unless CI=true, where its absence is a failure.
 */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { programsRequirement } from './programs';

const run = promisify(execFile);
const SCRIPT = path.resolve(import.meta.dirname, '../../../../scripts/ceph-rgw.sh');
/** radosgw on 17480, its monitor on 17481, the OSD on 17490-17520. */
export const RGW_PORT = 17480;
const DIR = path.join(os.tmpdir(), `lab-ceph-rgw-${RGW_PORT}`);
/** The test process that started the RGW in DIR. */
const OWNER = path.join(DIR, 'owner.pid');
export const RGW_PACKAGES = 'radosgw ceph-mon ceph-osd ceph-common';

export interface TestRgw {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

/** 'run', or why RGW tests are skipped; throws in CI when radosgw is missing. */
export function rgwRequirement(): 'run' | string {
  return programsRequirement(
    ['radosgw', 'ceph-mon', 'ceph-osd', 'ceph', 'curl'],
    `apt-get install -y --no-install-recommends ${RGW_PACKAGES} curl`,
    'Ceph RGW for the S3 reference tests',
  );
}

const script = (...args: string[]) => run('bash', [SCRIPT, ...args], { timeout: 180_000 });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts an empty RGW with a fresh key pair (stopping what an earlier, ended run left behind). */
export async function startTestRgw(): Promise<TestRgw> {
  let owner = 0;
  try {
    owner = Number(readFileSync(OWNER, 'utf8').trim()) || 0;
  } catch {
    // no earlier run left anything
  }
  if (owner > 0 && owner !== process.pid && alive(owner)) {
    throw new Error(`Ceph RGW on port ${RGW_PORT} is in use by another test run (process ${owner}); run one at a time`);
  }
  await script('stop', DIR).catch(() => undefined);
  rmSync(DIR, { recursive: true, force: true });
  const credentials = {
    accessKeyId: `RGW${randomBytes(9).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
  try {
    await script('start', DIR, String(RGW_PORT), credentials.accessKeyId, credentials.secretAccessKey);
    writeFileSync(OWNER, String(process.pid));
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    throw new Error(`Ceph RGW did not start: ${stderr?.trim() || (err as Error).message}`);
  }
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${RGW_PORT}`,
    credentials,
    stop: () => {
      stopped ??= script('stop', DIR).then(() => rmSync(DIR, { recursive: true, force: true }));
      return stopped;
    },
  };
}
