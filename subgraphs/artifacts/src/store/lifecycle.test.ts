import { describe, expect, it } from 'vitest';
import { describeServer } from './artifactsStore';
import { LIFECYCLE_RULES } from './lifecycle';

describe('lifecycle rules', () => {
  const byId = Object.fromEntries(LIFECYCLE_RULES.map((r) => [r.ID, r]));

  it('move objects to infrequent access after 90 days and Glacier after 365', () => {
    expect(byId['lab-tiering']?.Transitions).toEqual([
      { Days: 90, StorageClass: 'STANDARD_IA' },
      { Days: 365, StorageClass: 'GLACIER' },
    ]);
  });

  it('expire objects after 7 years and abort incomplete multipart uploads after a day', () => {
    expect(byId['lab-expire-after-7-years']?.Expiration).toEqual({ Days: 2555 });
    expect(byId['lab-abort-incomplete-multipart']?.AbortIncompleteMultipartUpload).toEqual({ DaysAfterInitiation: 1 });
  });

  it('apply to the whole bucket and are enabled', () => {
    for (const rule of LIFECYCLE_RULES) expect(rule).toMatchObject({ Status: 'Enabled', Filter: { Prefix: '' } });
  });
});

describe('describeServer', () => {
  it('names the server, its address and what it supports', () => {
    const none = { versioning: false, lifecycle: false, lifecycleTransitions: false };
    expect(describeServer('http://127.0.0.1:4569', none)).toBe('127.0.0.1:4569 (versioning: no, lifecycle: no)');
    const minio = { versioning: true, lifecycle: true, lifecycleTransitions: false };
    expect(describeServer('http://minio:9000', minio, 'MinIO')).toBe(
      'MinIO at minio:9000 (versioning: yes, lifecycle: yes, transitions: no)',
    );
  });
});
