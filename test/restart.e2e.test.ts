import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { getHealth, newDataDir, startTestPlatform, type TestPlatform } from './support/testPlatform';

function s3Of(platform: TestPlatform): S3Client {
  return new S3Client({
    endpoint: platform.serviceEnv.S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: platform.serviceEnv.S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: platform.serviceEnv.S3_SECRET_ACCESS_KEY ?? '',
    },
  });
}

describe('a restart', () => {
  const dataDir = newDataDir();
  let platform: TestPlatform | undefined;
  afterAll(async () => {
    await platform?.stop();
  });

  it('keeps the data of every store', async () => {
    platform = await startTestPlatform({ dataDir });
    const first = await platform.gql<{ me: { id: string; createdAt: string } }>('{ me { id createdAt } }');
    expect(first.body.errors).toBeUndefined();
    const bucket = platform.config.s3.bucket;
    await s3Of(platform).send(new PutObjectCommand({ Bucket: bucket, Key: 'restart-check.txt', Body: 'still here' }));
    await platform.stop();

    platform = await startTestPlatform({ dataDir });
    expect((await getHealth(platform)).status).toBe(200);
    const second = await platform.gql<{ me: { id: string; createdAt: string } }>('{ me { id createdAt } }');
    // The same row, not a new one: PostgreSQL kept it.
    expect(second.body.data?.me).toEqual(first.body.data?.me);
    const object = await s3Of(platform).send(new GetObjectCommand({ Bucket: bucket, Key: 'restart-check.txt' }));
    expect(await object.Body?.transformToString()).toBe('still here');
    // ClickHouse kept its schema: the second start applied no migration.
    const metricsStatus = await platform.gql<{ metricsStatus: { store: string } }>('{ metricsStatus { store } }');
    expect(metricsStatus.body.errors).toBeUndefined();
  });
});
