import { describe, expect, it } from 'vitest';
import { MAX_REPORTED_ERRORS, validatePoint, validatePoints } from './validate';

const now = Date.parse('2026-06-01T00:00:00Z');
const rules = { now, retentionDays: 365 };
const DAY = 86_400_000;
const ok = { name: 'train/loss', value: 0.5, step: 3 };

describe('validatePoint', () => {
  it('accepts a plain point, defaulting the timestamp to now', () => {
    expect(validatePoint(ok, rules)).toEqual({ ...ok, timestampMs: now, tags: {} });
  });
  it('accepts ISO-8601 and epoch milliseconds', () => {
    expect(validatePoint({ ...ok, timestamp: '2026-05-31T12:00:00.250Z' }, rules)).toMatchObject({
      timestampMs: now - 12 * 3600_000 + 250,
    });
    expect(validatePoint({ ...ok, timestamp: now - 5 }, rules)).toMatchObject({ timestampMs: now - 5 });
    expect(validatePoint({ ...ok, timestamp: '2026-05-31T12:00:00' }, rules)).toMatchObject({ timestampMs: now - 12 * 3600_000 });
    expect(validatePoint({ ...ok, timestamp: '2026-05-31T14:00:00+02:00' }, rules)).toMatchObject({
      timestampMs: now - 12 * 3600_000,
    });
    expect(validatePoint({ ...ok, timestamp: '2026-05-31' }, rules)).toMatchObject({ timestampMs: now - 24 * 3600_000 });
    expect(validatePoint({ ...ok, timestamp: String(now - 5) }, rules)).toMatchObject({ timestampMs: now - 5 });
  });
  it.each([
    [{ ...ok, value: Number.NaN }, /finite/],
    [{ ...ok, value: Number.POSITIVE_INFINITY }, /finite/],
    [{ ...ok, value: 'NaN' }, /finite/],
    [{ ...ok, name: '' }, /name/],
    [{ ...ok, name: '-loss' }, /name/],
    [{ ...ok, name: 'a b' }, /name/],
    [{ ...ok, name: 'x'.repeat(201) }, /name/],
    [{ ...ok, step: -1 }, /step/],
    [{ ...ok, step: 1.5 }, /step/],
    [{ ...ok, step: 2 ** 53 }, /step/],
    [{ ...ok, timestamp: now - 365 * DAY }, /older than the retention of metric points \(365 days/],
    [{ ...ok, timestamp: -1 }, /before 1970/],
    [{ ...ok, timestamp: '1969-12-31T23:59:59Z' }, /before 1970/],
    [{ ...ok, timestamp: now + 2 * 86_400_000 }, /future/],
    [{ ...ok, timestamp: 'yesterday' }, /ISO-8601/],
    [{ ...ok, tags: { a: 1 } }, /string value/],
    [{ ...ok, tags: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }, /at most 20/],
    [{ ...ok, tags: { a: 'v'.repeat(257) } }, /longer than 256/],
  ])('rejects %j', (point, reason) => {
    const result = validatePoint(point, rules);
    expect('reasons' in result && result.reasons.join('; ')).toMatch(reason);
  });
  it('accepts any timestamp the retention keeps, so history can be imported', () => {
    expect(validatePoint({ ...ok, timestamp: now - 365 * DAY + 1 }, rules)).toMatchObject({ timestampMs: now - 365 * DAY + 1 });
    const month = { now, retentionDays: 30 };
    expect(validatePoint({ ...ok, timestamp: now - 29 * DAY }, month)).not.toHaveProperty('reasons');
    expect(validatePoint({ ...ok, timestamp: now - 31 * DAY }, month)).toEqual({
      reasons: [
        `timestamp ${new Date(now - 31 * DAY).toISOString()} is older than the retention of metric points (30 days, LAB_METRICS_RETENTION_DAYS): it would be dropped`,
      ],
    });
    const forever = { now, retentionDays: 0 };
    for (const timestamp of [0, '1970-01-01T00:00:00Z', '1999-12-31T23:59:59.999Z', now - 20 * 365 * DAY]) {
      expect(validatePoint({ ...ok, timestamp }, forever)).not.toHaveProperty('reasons');
    }
    expect(validatePoint({ ...ok, timestamp: now + 2 * DAY }, forever)).toEqual({ reasons: [expect.stringMatching(/future/)] });
  });
  it('accepts 200-character names and 20 tags of 256 characters', () => {
    const tags = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`.padEnd(256, 'x'), 'v'.repeat(256)]));
    expect(validatePoint({ ...ok, name: 'a'.repeat(200), tags, step: 2 ** 53 - 1 }, rules)).not.toHaveProperty('reasons');
  });
});

describe('validatePoints', () => {
  it('collects every error with its index, listing at most 100', () => {
    const points = Array.from({ length: 150 }, (_, i) => (i % 2 ? ok : { ...ok, value: Number.NaN }));
    const { points: valid, errors } = validatePoints(points, rules);
    expect(valid).toHaveLength(75);
    expect(errors.count).toBe(75);
    expect(errors.errors).toHaveLength(75);
    expect(errors.errors[1]).toEqual({ index: 2, reason: expect.stringMatching(/NaN/) });
    const many = validatePoints(
      Array.from({ length: 300 }, () => ({ ...ok, step: -1 })),
      rules,
    );
    expect(many.errors.count).toBe(300);
    expect(many.errors.errors).toHaveLength(MAX_REPORTED_ERRORS);
  });
});
