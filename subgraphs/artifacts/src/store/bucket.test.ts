/** ensureBucket's answers to what real servers say, on a scripted client (no server). */
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { ensureBucket } from './bucket';
import { recordingLogger } from './testLog';

type Reply = Record<string, unknown> | Error;

function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

/** A client answering each command (by class name) with the next scripted reply; unscripted ones succeed empty. */
function scripted(script: Record<string, Reply[]>): { s3: S3Client; sent: string[] } {
  const sent: string[] = [];
  const send = async (command: object) => {
    const name = command.constructor.name;
    sent.push(name);
    const reply = script[name]?.shift() ?? {};
    if (reply instanceof Error) throw reply;
    return reply;
  };
  return { s3: { send, config: { region: async () => 'us-east-1' } } as unknown as S3Client, sent };
}

/** Replies of a server that keeps versioning and every lifecycle rule (fresh arrays: replies are consumed). */
const fullSupport = () => ({
  GetBucketVersioningCommand: [{ Status: 'Enabled' }],
  GetBucketLifecycleConfigurationCommand: [
    { Rules: [{ ID: 'lab-tiering' }, { ID: 'lab-expire-after-7-years' }, { ID: 'lab-abort-incomplete-multipart' }] },
  ],
});

describe('ensureBucket', () => {
  it('leaves an existing bucket alone and reports full support when the server keeps everything', async () => {
    const { s3, sent } = scripted(fullSupport());
    const { log, entries } = recordingLogger();
    expect(await ensureBucket(s3, 'b', log)).toEqual({ versioning: true, lifecycle: true, lifecycleTransitions: true });
    expect(sent).not.toContain('CreateBucketCommand');
    expect(entries.filter((e) => e.level === 'warn')).toEqual([]);
  });

  it('accepts BucketAlreadyOwnedByYou from a create that lost a race', async () => {
    const { s3 } = scripted({
      ...fullSupport(),
      HeadBucketCommand: [s3Error('NotFound', 404)],
      CreateBucketCommand: [s3Error('BucketAlreadyOwnedByYou', 409)],
    });
    await expect(ensureBucket(s3, 'b', recordingLogger().log)).resolves.toMatchObject({ versioning: true });
  });

  it('accepts BucketAlreadyExists when the bucket then answers as ours', async () => {
    const { s3 } = scripted({
      ...fullSupport(),
      HeadBucketCommand: [s3Error('NotFound', 404), {}],
      CreateBucketCommand: [s3Error('BucketAlreadyExists', 409)],
    });
    await expect(ensureBucket(s3, 'b', recordingLogger().log)).resolves.toMatchObject({ lifecycle: true });
  });

  it('fails clearly when the bucket belongs to someone else', async () => {
    const { s3 } = scripted({
      HeadBucketCommand: [s3Error('NotFound', 404), s3Error('Forbidden', 403)],
      CreateBucketCommand: [s3Error('BucketAlreadyExists', 409)],
    });
    await expect(ensureBucket(s3, 'b', recordingLogger().log)).rejects.toThrow(/exists but these credentials may not use it/);
  });

  it('keeps expiry without transitions when the server refuses the storage classes (MinIO without tiers)', async () => {
    const { s3, sent } = scripted({
      ...fullSupport(),
      PutBucketLifecycleConfigurationCommand: [s3Error('InvalidStorageClass', 400)],
      GetBucketLifecycleConfigurationCommand: [
        { Rules: [{ ID: 'lab-expire-after-7-years' }, { ID: 'lab-abort-incomplete-multipart' }] },
      ],
    });
    const { log, entries } = recordingLogger();
    expect(await ensureBucket(s3, 'b', log)).toEqual({ versioning: true, lifecycle: true, lifecycleTransitions: false });
    expect(sent.filter((c) => c === 'PutBucketLifecycleConfigurationCommand')).toHaveLength(2);
    const warning = entries.find((e) => e.level === 'warn');
    expect(warning?.fields).toMatchObject({ feature: 'lifecycle transitions', answer: 'InvalidStorageClass (HTTP 400)' });
  });
});
