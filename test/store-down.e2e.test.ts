import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getHealth, startTestPlatform, type TestPlatform } from './support/testPlatform';

describe('health when a part is down', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('turns 503 naming S3 when the S3 server stops, and the others stay up', async () => {
    expect((await getHealth(platform)).status).toBe(200);
    await platform.stores.s3?.stop();
    const { status, body } = await eventually(async () => {
      const health = await getHealth(platform);
      expect(health.status).toBe(503);
      return health;
    });
    expect(status).toBe(503);
    expect(body.status).toBe('down');
    expect(body.components.s3?.status).toBe('down');
    expect(body.components.postgresql?.status).toBe('up');
    expect(body.components.clickhouse?.status).toBe('up');
  });

  it('turns 503 naming PostgreSQL when the database stops', async () => {
    await platform.stores.postgres?.stop();
    const { body } = await eventually(async () => {
      const health = await getHealth(platform);
      expect(health.body.components.postgresql?.status).toBe('down');
      return health;
    });
    expect(body.components.postgresql?.error).toBeTruthy();
    expect(body.components.clickhouse?.status).toBe('up');
  });

  it('names the metrics subgraph and ClickHouse when the metrics process is gone', async () => {
    await platform.services.metrics.stop('SIGKILL');
    const { status, body } = await eventually(async () => {
      const health = await getHealth(platform);
      expect(health.body.components.metrics?.status).toBe('down');
      return health;
    });
    expect(status).toBe(503);
    expect(body.components.clickhouse?.status).toBe('down');
  });
});
