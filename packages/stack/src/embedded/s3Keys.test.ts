/** The names the embedded S3 server accepts: bucket names, object keys, upload ids, part numbers and copy sources. */
import { describe, expect, it } from 'vitest';
import { BadS3Name, checkBucket, checkCopySource, checkKey, checkPartNumber, checkUploadId } from './s3Keys';

const codeOf = (check: () => unknown) => {
  try {
    check();
    return 'ok';
  } catch (err) {
    if (err instanceof BadS3Name) return err.code;
    throw err;
  }
};

describe('object keys', () => {
  it('accepts the layouts the platform writes, in any script', () => {
    for (const key of [
      'experiments/0b6c/runs/9f1e/outputs/ckpt/step-1000/model.safetensors',
      'datasets/d1/v1/données (copie).parquet',
      'uploads/pending/YWJj',
      'backups/postgresql/2026-12-01/lab-2026-12-01T00-00-00Z.ndjson.gz',
      'models/m/artifacts/v/..hidden',
    ]) {
      expect(
        codeOf(() => checkKey(key)),
        key,
      ).toBe('ok');
    }
  });

  it('refuses segments that are empty, . or .., backslashes, control characters and s3rver file suffixes', () => {
    for (const key of [
      '',
      '../x',
      'a/../../x',
      'a/./b',
      './a',
      'a//b',
      '/a',
      'a/',
      'a\\..\\b',
      'a\u0000b',
      'a\nb',
      'a._S3rver_object',
    ]) {
      expect(
        codeOf(() => checkKey(key)),
        JSON.stringify(key),
      ).toBe('InvalidArgument');
    }
  });

  it('refuses keys over 1,024 bytes and segments longer than a file name can be', () => {
    expect(codeOf(() => checkKey('a/'.repeat(600)))).toBe('KeyTooLongError');
    expect(codeOf(() => checkKey(`${'d'.repeat(256)}/file`))).toBe('KeyTooLongError');
    expect(codeOf(() => checkKey(`dir/${'f'.repeat(234)}`))).toBe('KeyTooLongError');
    expect(codeOf(() => checkKey(`dir/${'f'.repeat(233)}`))).toBe('ok');
  });
});

describe('buckets, upload ids, part numbers, copy sources', () => {
  it('follows S3 bucket naming', () => {
    expect(
      ['lab-data', 'a.b-c', '..', 'a..b', 'Lab', 'ab', 'a/b', '.credentials', '10.0.0.1'].map((b) =>
        codeOf(() => checkBucket(b)),
      ),
    ).toEqual([
      'ok',
      'ok',
      'InvalidBucketName',
      'InvalidBucketName',
      'InvalidBucketName',
      'InvalidBucketName',
      'InvalidBucketName',
      'InvalidBucketName',
      'InvalidBucketName',
    ]);
  });

  it('takes only s3rver upload ids and part numbers 1 to 10,000', () => {
    expect(codeOf(() => checkUploadId('0123456789abcdef0123456789abcdef'))).toBe('ok');
    expect(codeOf(() => checkUploadId('../../etc'))).toBe('InvalidArgument');
    expect(['1', '10000', '0', '10001', '1.5', '../1', ''].map((n) => codeOf(() => checkPartNumber(n)))).toEqual([
      'ok',
      'ok',
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
    ]);
  });

  it('checks a copy source fully decoded, version id aside', () => {
    expect(checkCopySource('lab-data/runs/a/data%20%281%29.csv?versionId=3')).toEqual({
      bucket: 'lab-data',
      key: 'runs/a/data (1).csv',
    });
    expect(checkCopySource('/lab-data/a%2Bb')).toEqual({ bucket: 'lab-data', key: 'a+b' });
    for (const source of ['lab-data/..%2F..%2Fx', 'lab-data/%2e%2e/x', '..%2Fx/y', 'lab-data', 'lab-data/a%ZZ']) {
      expect(
        codeOf(() => checkCopySource(source)),
        source,
      ).not.toBe('ok');
    }
  });
});
