import { describe, expect, it } from 'vitest';
import { formatDuration, formatNumber } from './status';

describe('formatting', () => {
  it('writes durations as a person reads them', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(12.34)).toBe('12.3s');
    expect(formatDuration(184)).toBe('3m 04s');
    expect(formatDuration(3720)).toBe('1h 02m');
  });
  it('writes metric values in at most six significant digits', () => {
    expect(formatNumber(0.123456789)).toBe('0.123457');
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(undefined)).toBe('—');
  });
});
