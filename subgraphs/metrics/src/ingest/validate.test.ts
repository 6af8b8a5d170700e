import { describe, expect, it } from 'vitest';
import { MAX_REPORTED_ERRORS, validatePoint, validatePoints } from './validate';

const now = Date.parse('2026-06-01T00:00:00Z');
const ok = { name: 'train/loss', value: 0.5, step: 3 };

describe('validatePoint', () => {
  it('accepts a plain point, defaulting the timestamp to now', () => {
    expect(validatePoint(ok, now)).toEqual({ ...ok, timestampMs: now, tags: {} });
  });
  it('accepts ISO-8601 and epoch milliseconds', () => {
    expect(validatePoint({ ...ok, timestamp: '2026-05-31T12:00:00.250Z' }, now)).toMatchObject({
      timestampMs: now - 12 * 3600_000 + 250,
    });
    expect(validatePoint({ ...ok, timestamp: now - 5 }, now)).toMatchObject({ timestampMs: now - 5 });
    expect(validatePoint({ ...ok, timestamp: '2026-05-31T12:00:00' }, now)).toMatchObject({ timestampMs: now - 12 * 3600_000 });
    expect(validatePoint({ ...ok, timestamp: '2026-05-31T14:00:00+02:00' }, now)).toMatchObject({
      timestampMs: now - 12 * 3600_000,
    });
    expect(validatePoint({ ...ok, timestamp: '2026-05-31' }, now)).toMatchObject({ timestampMs: now - 24 * 3600_000 });
    expect(validatePoint({ ...ok, timestamp: String(now - 5) }, now)).toMatchObject({ timestampMs: now - 5 });
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
    [{ ...ok, timestamp: now - 365 * 86_400_000 }, /older/],
    [{ ...ok, timestamp: now + 2 * 86_400_000 }, /future/],
    [{ ...ok, timestamp: 'yesterday' }, /ISO-8601/],
    [{ ...ok, tags: { a: 1 } }, /string value/],
    [{ ...ok, tags: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }, /at most 20/],
    [{ ...ok, tags: { a: 'v'.repeat(257) } }, /longer than 256/],
  ])('rejects %j', (point, reason) => {
    const result = validatePoint(point, now);
    expect('reasons' in result && result.reasons.join('; ')).toMatch(reason);
  });
  it('accepts 200-character names and 20 tags of 256 characters', () => {
    const tags = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`.padEnd(256, 'x'), 'v'.repeat(256)]));
    expect(validatePoint({ ...ok, name: 'a'.repeat(200), tags, step: 2 ** 53 - 1 }, now)).not.toHaveProperty('reasons');
  });
});

describe('validatePoints', () => {
  it('collects every error with its index, listing at most 100', () => {
    const points = Array.from({ length: 150 }, (_, i) => (i % 2 ? ok : { ...ok, value: Number.NaN }));
    const { points: valid, errors } = validatePoints(points, now);
    expect(valid).toHaveLength(75);
    expect(errors.count).toBe(75);
    expect(errors.errors).toHaveLength(75);
    expect(errors.errors[1]).toEqual({ index: 2, reason: expect.stringMatching(/NaN/) });
    const many = validatePoints(
      Array.from({ length: 300 }, () => ({ ...ok, step: -1 })),
      now,
    );
    expect(many.errors.count).toBe(300);
    expect(many.errors.errors).toHaveLength(MAX_REPORTED_ERRORS);
  });
});
