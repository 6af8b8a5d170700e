import { describe, expect, it } from 'vitest';
import { encodeRows, type MetricRow } from '../store/ingestStore';
import { chunkToken } from './tokens';

const row = (value: number): MetricRow => ({
  runId: '11111111-1111-4111-8111-111111111111',
  experimentId: '22222222-2222-4222-8222-222222222222',
  name: 'loss',
  step: 3,
  value,
  timestampMs: 1_790_000_000_042,
  tags: {},
});

describe('chunkToken', () => {
  it('is the same for the same rows, and differs with any row, the key, the chunk or the caller', () => {
    const body = encodeRows([row(1), row(2)]);
    const token = chunkToken('ndjson', 'u1', 'k', 0, body);
    expect(chunkToken('ndjson', 'u1', 'k', 0, encodeRows([row(1), row(2)]))).toBe(token);
    expect(token).toMatch(/^ndjson:u1:k:0:[0-9a-f]{32}$/);
    for (const other of [
      chunkToken('ndjson', 'u1', 'k', 0, encodeRows([row(1), row(2.5)])),
      chunkToken('ndjson', 'u1', 'k', 1, body),
      chunkToken('ndjson', 'u1', 'k2', 0, body),
      chunkToken('ndjson', 'u2', 'k', 0, body),
      chunkToken('graphql', 'u1', 'k', 0, body),
    ]) {
      expect(other).not.toBe(token);
    }
  });
});

describe('encodeRows', () => {
  it('writes JSONCompactEachRow lines with the timestamp as "seconds.millis"', () => {
    expect(encodeRows([row(0.25), { ...row(-1e-7), timestampMs: 1_790_000_000_005, tags: { a: '"' } }])).toBe(
      '["1790000000.042","22222222-2222-4222-8222-222222222222","11111111-1111-4111-8111-111111111111","loss",3,0.25,{}]\n' +
        '["1790000000.005","22222222-2222-4222-8222-222222222222","11111111-1111-4111-8111-111111111111","loss",3,-1e-7,{"a":"\\""}]\n',
    );
  });
});
