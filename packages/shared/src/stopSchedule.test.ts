/** The schedule of a stop: every step inside LAB_STOP_TIMEOUT_SECONDS, in order, and configurable. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';
import { msUntil, stopSchedule } from './stopSchedule';

describe('stopSchedule', () => {
  it('cuts, closes and ends inside the bound, in that order', () => {
    for (const totalMs of [1000, 4000, 10_000, 300_000]) {
      const s = stopSchedule(totalMs, 0);
      expect(0).toBeLessThan(s.cutoffMs);
      expect(s.cutoffMs).toBeLessThan(s.closeMs);
      expect(s.closeMs).toBeLessThan(s.totalMs);
      expect(s.totalMs).toBe(totalMs);
    }
    // The default bound: requests in flight get 6 s, connections close at 8 s, flushes end by 10 s.
    expect(stopSchedule(10_000, 0)).toEqual({ startedAt: 0, cutoffMs: 6000, closeMs: 8000, totalMs: 10_000 });
  });

  it('counts from the start of the stop', () => {
    const s = stopSchedule(10_000, Date.now() - 7000);
    expect(msUntil(s, s.cutoffMs)).toBe(0);
    expect(msUntil(s, s.totalMs)).toBeGreaterThan(2000);
    expect(msUntil(s, s.totalMs)).toBeLessThanOrEqual(3000);
  });

  it('takes its bound from LAB_STOP_TIMEOUT_SECONDS (default 10, 1 to 300)', () => {
    expect(loadConfig({}).stopTimeoutMs).toBe(10_000);
    expect(loadConfig({ LAB_STOP_TIMEOUT_SECONDS: '30' }).stopTimeoutMs).toBe(30_000);
    expect(() => loadConfig({ LAB_STOP_TIMEOUT_SECONDS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ LAB_STOP_TIMEOUT_SECONDS: 'soon' })).toThrow(
      /LAB_STOP_TIMEOUT_SECONDS must be a number of seconds/,
    );
  });
});
