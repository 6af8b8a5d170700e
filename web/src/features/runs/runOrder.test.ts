import { describe, expect, it } from 'vitest';
import { DEFAULT_SORT, formatSort, nextSort, parseSort, toRunOrder } from './runOrder';

describe('the runs table sort', () => {
  it('round-trips through the URL, metric names with dots and colons included', () => {
    for (const text of ['name:asc', 'start_time:desc', 'metric:min:val/loss.x:asc', 'metric:last:a:b:desc']) {
      expect(formatSort(parseSort(text))).toBe(text);
    }
    expect(parseSort('bogus')).toEqual(DEFAULT_SORT);
    expect(parseSort(null)).toEqual(DEFAULT_SORT);
  });

  it('becomes the API RunOrder', () => {
    expect(toRunOrder(parseSort('metric:max:acc:desc'))).toEqual({
      metric: { name: 'acc', aggregate: 'MAX' },
      direction: 'DESC',
    });
    expect(toRunOrder(parseSort('name:asc'))).toEqual({ field: 'NAME', direction: 'ASC' });
  });

  it('flips on the same column and refuses columns the API cannot order by', () => {
    const byName = parseSort('name:asc');
    expect(formatSort(nextSort(byName, 'name')!)).toBe('name:desc');
    expect(formatSort(nextSort(byName, 'metric:last:loss')!)).toBe('metric:last:loss:desc');
    expect(nextSort(byName, 'status')).toBeNull();
  });
});
