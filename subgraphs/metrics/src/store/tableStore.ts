/** What the stores of one ClickHouse table share: the client, the database, the table's qualified name. */
import type { ClickHouseClient } from './clickhouseClient';
import { qualified } from './ddl';

/** A store of one table (`tableName`) of one database. */
export abstract class TableStore {
  protected abstract readonly tableName: string;

  constructor(
    protected readonly client: ClickHouseClient,
    protected readonly database: string,
  ) {}

  /** `database.tableName`, quoted. */
  protected get table(): string {
    return qualified({ database: this.database }, this.tableName);
  }
}

/** DateTime64(3, 'UTC') text: "YYYY-MM-DD hh:mm:ss.sss". */
export function clickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
