/** The fields a failed subgraph fetch would have filled, each answered SERVICE_UNAVAILABLE on its path. */
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { fetchedPaths, unavailableAnswer } from './unavailableFields';

describe('fetchedPaths', () => {
  it('names each root field of a root fetch, by response key', () => {
    expect(
      fetchedPaths(parse('query Q__metrics__0 { metricsStatus { store } s: metricsStatus { latencyMs } __typename }'), {}),
    ).toEqual([['metricsStatus'], ['s']]);
  });

  it('names each field of each entity of an entity fetch, through inline fragments and fragment spreads', () => {
    const document = parse(`query Q__metrics__1($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Run { __typename metrics { name } ...Series } }
    }
    fragment Series on Run { series: metricSeries(name: "loss") { exact } }`);
    const representations = [
      { __typename: 'Run', id: 'a' },
      { __typename: 'Run', id: 'b' },
    ];
    expect(fetchedPaths(document, { representations })).toEqual([
      ['_entities', 0, 'metrics'],
      ['_entities', 0, 'series'],
      ['_entities', 1, 'metrics'],
      ['_entities', 1, 'series'],
    ]);
  });

  it('stops at the cap', () => {
    const document = parse(
      'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Run { metrics { name } } } }',
    );
    expect(fetchedPaths(document, { representations: Array(1000).fill({}) }, 10)).toHaveLength(10);
  });
});

describe('unavailableAnswer', () => {
  it('copies the error to every path, keeping its code and service', () => {
    const error = { message: 'Subgraph metrics is unavailable', extensions: { code: 'SERVICE_UNAVAILABLE', service: 'metrics' } };
    expect(unavailableAnswer(error, parse('{ a b }'), {})).toEqual({
      errors: [
        { message: error.message, path: ['a'], extensions: error.extensions },
        { message: error.message, path: ['b'], extensions: error.extensions },
      ],
    });
    expect(unavailableAnswer(error, undefined, {})).toBeUndefined();
  });
});

describe('unavailableAnswer from the operation text', () => {
  it('parses the subgraph operation when no document is at hand, and gives up on one that does not parse', () => {
    const error = { message: 'down', extensions: { code: 'SERVICE_UNAVAILABLE' } };
    expect(unavailableAnswer(error, '{ a }', {})?.errors.map((e) => e.path)).toEqual([['a']]);
    expect(unavailableAnswer(error, '{ a', {})).toBeUndefined();
  });
});
