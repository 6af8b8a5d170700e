import { describe, expect, it } from 'vitest';
import { artifactId, parseArtifactId, parseKey, prefixOf } from './owners';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

describe('owner prefixes and artifact ids', () => {
  it('lay each owner out as the bucket layout says', () => {
    expect(prefixOf({ kind: 'RUN', id: B, parentId: A })).toBe(`experiments/${A}/runs/${B}/outputs/`);
    expect(prefixOf({ kind: 'DATASET_VERSION', id: B, parentId: A })).toBe(`datasets/${A}/${B}/`);
    expect(prefixOf({ kind: 'MODEL_VERSION', id: B.toUpperCase(), parentId: A })).toBe(`models/${A}/artifacts/${B}/`);
  });

  it('read the owner and name back from a key, and nothing from keys outside the layouts', () => {
    expect(parseKey(`models/${A}/artifacts/${B}/ckpt/a.bin`)).toEqual({
      owner: { kind: 'MODEL_VERSION', id: B, parentId: A },
      name: 'ckpt/a.bin',
    });
    expect(parseKey('backups/postgresql/2026-11-25/lab.ndjson.gz')).toBeUndefined();
    expect(parseKey(`uploads/pending/${A}`)).toBeUndefined();
  });

  it('round-trip an id with and without a version, and answer NOT_FOUND to anything else', () => {
    const key = `datasets/${A}/${B}/data.parquet`;
    expect(parseArtifactId(artifactId({ key }))).toMatchObject({ key, versionId: undefined, name: 'data.parquet' });
    expect(parseArtifactId(artifactId({ key, versionId: 'v1' }))).toMatchObject({ key, versionId: 'v1' });
    for (const bad of [
      '',
      'not base64!',
      artifactId({ key: 'backups/postgresql/x' }),
      Buffer.from(`${key}\n`).toString('base64url'),
    ]) {
      expect(() => parseArtifactId(bad)).toThrow(/not found/);
    }
  });
});
