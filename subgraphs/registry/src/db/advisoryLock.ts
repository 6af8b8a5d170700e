/**
 * Work that one registry replica at a time may do (the scheduled
 * reconciliation): a PostgreSQL session-level advisory lock taken without
 * waiting on a connection of its own. A replica that finds it taken skips the
 * work; a replica that dies holding it releases it with its session.
 */
import pg from 'pg';

/** The advisory lock key of the scheduled reconciliation ("lab-reco" as a 64-bit number). */
export const RECONCILE_LOCK = 0x6c61622d7265636fn;

export type Exclusive<T> = { ran: true; value: T } | { ran: false };

/** Runs `work` holding the lock, or answers { ran: false } at once when another session holds it. */
export async function whileHolding<T>(databaseUrl: string, key: bigint, work: () => Promise<T>): Promise<Exclusive<T>> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'lab-registry-lock' });
  client.on('error', () => {}); // a lost session ends the lock; the work's own connections report their failures
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key.toString()]);
    if (!rows[0]?.locked) return { ran: false };
    try {
      return { ran: true, value: await work() };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key.toString()]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}
