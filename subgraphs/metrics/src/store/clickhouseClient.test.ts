/** LAB_EMBEDDED_STORES=false is a promise: the metrics store's client never falls back to chdb without CLICKHOUSE_URL. */
import { loadConfig } from '@lab/shared';
import { describe, expect, it } from 'vitest';
import { createClickHouse } from './clickhouseClient';

describe('createClickHouse', () => {
  it('never opens the embedded ClickHouse when embedded stores are off', async () => {
    await expect(createClickHouse(loadConfig({ LAB_EMBEDDED_STORES: 'false' }))).rejects.toThrow(
      /CLICKHOUSE_URL is not set and LAB_EMBEDDED_STORES=false/,
    );
  });
});
