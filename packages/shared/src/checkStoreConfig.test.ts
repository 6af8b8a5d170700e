/** LAB_EMBEDDED_STORES=false is a promise: a service without its store's address refuses to start, naming the variable. */
import { describe, expect, it } from 'vitest';
import { ConfigError, checkStoreConfig, loadConfig } from './config';

function refusal(env: NodeJS.ProcessEnv, store: Parameters<typeof checkStoreConfig>[1]): string | undefined {
  try {
    checkStoreConfig(loadConfig(env), store);
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

describe('checkStoreConfig', () => {
  const off = { LAB_EMBEDDED_STORES: 'false' };

  it('refuses every store without its address when embedded stores are off', () => {
    expect(refusal(off, 'clickhouse')).toMatch(
      /CLICKHOUSE_URL is not set and LAB_EMBEDDED_STORES=false: the metrics service needs a ClickHouse server/,
    );
    expect(refusal(off, 'postgresql')).toMatch(
      /DATABASE_URL is not set and LAB_EMBEDDED_STORES=false: the registry service needs a PostgreSQL server/,
    );
    expect(refusal(off, 's3')).toMatch(
      /S3_ENDPOINT is not set and LAB_EMBEDDED_STORES=false: the artifacts service needs an S3 server/,
    );
  });

  it('accepts each store given its address', () => {
    expect(refusal({ ...off, CLICKHOUSE_URL: 'http://ch:8123' }, 'clickhouse')).toBeUndefined();
    expect(refusal({ ...off, DATABASE_URL: 'postgresql://u:p@db:5432/lab' }, 'postgresql')).toBeUndefined();
    expect(refusal({ ...off, S3_ENDPOINT: 'http://minio:9000' }, 's3')).toBeUndefined();
  });

  it('lets the metrics service embed ClickHouse by default; the registry and artifacts always need an address', () => {
    expect(refusal({}, 'clickhouse')).toBeUndefined();
    expect(refusal({}, 'postgresql')).toMatch(/DATABASE_URL is not set: .*npm start sets it/);
    expect(refusal({}, 's3')).toMatch(/S3_ENDPOINT is not set: .*npm start sets it/);
  });
});
