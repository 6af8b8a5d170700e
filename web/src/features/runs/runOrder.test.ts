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
    expect(nextSort(byName, 'config')).toBeNull();
    expect(nextSort(byName, 'tags')).toBeNull();
    expect(nextSort(byName, 'param:')).toBeNull();
  });

  it('sorts status, duration, author and params on the server', () => {
    expect(toRunOrder(nextSort(DEFAULT_SORT, 'status')!)).toEqual({ field: 'STATUS', direction: 'ASC' });
    expect(toRunOrder(nextSort(DEFAULT_SORT, 'author')!)).toEqual({ field: 'AUTHOR', direction: 'ASC' });
    expect(toRunOrder(nextSort(DEFAULT_SORT, 'duration')!)).toEqual({ field: 'DURATION', direction: 'DESC' });
    const byLr = nextSort(DEFAULT_SORT, 'param:optimizer.lr')!;
    expect(toRunOrder(byLr)).toEqual({ param: 'optimizer.lr', direction: 'DESC' });
    expect(formatSort(nextSort(byLr, 'param:optimizer.lr')!)).toBe('param:optimizer.lr:asc');
    for (const text of ['status:desc', 'duration:asc', 'author:asc', 'param:a:b:desc']) {
      expect(formatSort(parseSort(text))).toBe(text);
    }
    expect(parseSort('constructor:asc')).toEqual(DEFAULT_SORT);
  });
});
