/** Digests of what clients sent, the insert tokens made of them, and the insert body. */
import { describe, expect, it } from 'vitest';
import { encodeRows } from '../store/ingestStore';
import type { MetricRow } from '../store/types';
import { chunkToken, digestOf, pointsDigest } from './tokens';

const row = (value: number): MetricRow => ({
  runId: '11111111-1111-4111-8111-111111111111',
  experimentId: '22222222-2222-4222-8222-222222222222',
  name: 'loss',
  step: 3,
  value,
  timestampMs: 1_790_000_000_042,
  tags: {},
});

describe('pointsDigest', () => {
  const sent = [
    { name: 'loss', value: 0.5, step: 1 },
    { name: 'acc', value: 0.9, step: 1, timestamp: '2026-11-20T00:00:00Z', tags: [{ key: 'split', value: 'val' }] },
  ];

  it('covers the points as sent: the same without timestamps, whenever they come', () => {
    expect(pointsDigest(sent)).toBe(pointsDigest(structuredClone(sent)));
    expect(pointsDigest(sent)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('differs with any field, a timestamp given or not, the tags or the order', () => {
    const base = pointsDigest(sent);
    for (const other of [
      [{ ...sent[0], value: 0.25 }, sent[1]],
      [{ ...sent[0], step: 2 }, sent[1]],
      [{ ...sent[0], timestamp: '2026-11-20T00:00:00Z' }, sent[1]],
      [sent[0], { ...sent[1], tags: [{ key: 'split', value: 'test' }] }],
      [sent[0], { ...sent[1], tags: null }],
      [sent[1], sent[0]],
      [sent[0]],
    ]) {
      expect(pointsDigest(other as typeof sent)).not.toBe(base);
    }
  });
});

describe('chunkToken', () => {
  it('is the same for the same digest, and differs with the digest, the key, the chunk, the caller or the path', () => {
    const digest = digestOf(['{"a":1}', '{"a":2}']);
    const token = chunkToken('ndjson', 'u1', 'k', 0, digest);
    expect(chunkToken('ndjson', 'u1', 'k', 0, digestOf(['{"a":1}', '{"a":2}']))).toBe(token);
    expect(token).toMatch(/^ndjson:u1:k:0:[0-9a-f]{32}$/);
    for (const other of [
      chunkToken('ndjson', 'u1', 'k', 0, digestOf(['{"a":1}', '{"a":2.5}'])),
      chunkToken('ndjson', 'u1', 'k', 0, digestOf(['{"a":1}{"a":2}'])),
      chunkToken('ndjson', 'u1', 'k', 1, digest),
      chunkToken('ndjson', 'u1', 'k2', 0, digest),
      chunkToken('ndjson', 'u2', 'k', 0, digest),
      chunkToken('graphql', 'u1', 'k', 0, digest),
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
