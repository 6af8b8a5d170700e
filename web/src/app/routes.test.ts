import { describe, expect, it } from 'vitest';
import { paths } from './paths';
import { routeOf } from './routes';

describe('the routes table', () => {
  it('finds the page of a path, parameters matching one segment', () => {
    expect(routeOf(paths.run('0b6c-1'))?.path).toBe('/runs/:runId');
    expect(routeOf('/')?.path).toBe('/');
    expect(routeOf(paths.experiment('e1'))?.path).toBe('/experiments/:experimentId');
    expect(routeOf('/runs/a/b')).toBeUndefined();
  });
});
