import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlreadyRunningError, lockDataDir } from './lock';

describe('lockDataDir', () => {
  it('lets one platform hold a data folder at a time', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-lock-'));
    const lock = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(AlreadyRunningError);
    lock.release();
    lockDataDir(dir).release();
  });

  it('takes over a lock whose owner no longer runs', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-lock-'));
    writeFileSync(path.join(dir, 'platform.lock'), '999999999');
    lockDataDir(dir).release();
  });
});
