import { describe, expect, it } from 'vitest';
import { checkHealth } from './health';

describe('checkHealth', () => {
  it('runs checks in parallel, each with its own timeout, and names the one that is down', async () => {
    const started = Date.now();
    const report = await checkHealth(
      {
        fast: async () => undefined,
        hangs: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
        fails: async () => {
          throw new Error('connection refused');
        },
        slowButOk: () => new Promise((resolve) => setTimeout(resolve, 150)),
      },
      { hangs: 200, slowButOk: 1000 },
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(report.status).toBe('down');
    expect(report.components.fast?.status).toBe('up');
    expect(report.components.slowButOk?.status).toBe('up');
    expect(report.components.hangs).toMatchObject({ status: 'down', error: 'timed out after 200 ms' });
    expect(report.components.fails).toMatchObject({ status: 'down', error: 'connection refused' });
  });

  it('is up when every component is', async () => {
    expect((await checkHealth({ a: async () => 1 })).status).toBe('up');
  });
});
