/**
 * npm run backup                       dump the registry's database to backups/postgresql/{date}/
 * npm run restore [-- --list]          list the backups, newest first
 * npm run restore [-- --from KEY] [--into DATABASE] [--replace]
 *                                      restore the newest (or KEY) into the configured database (or DATABASE)
 */
import { parseArgs } from 'node:util';
import { createLogger, loadConfigOrExit } from '@lab/shared';
import { backup, listBackups, restore } from './backup';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    list: { type: 'boolean', default: false },
    from: { type: 'string' },
    into: { type: 'string' },
    replace: { type: 'boolean', default: false },
  },
});
const command = positionals[0];
const config = loadConfigOrExit();
const log = createLogger('backup', { ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });

try {
  if (command === 'backup') {
    const done = await backup(config, log);
    process.stdout.write(`backed up ${done.rows} rows of ${done.tables} tables to ${done.key} (${done.size} bytes)\n`);
  } else if (command === 'restore' && values.list) {
    for (const b of await listBackups(config, log))
      process.stdout.write(`${b.key}\t${b.size}\t${b.lastModified.toISOString()}\n`);
  } else if (command === 'restore') {
    const done = await restore(config, log, { from: values.from, into: values.into, replace: values.replace });
    process.stdout.write(
      `restored ${done.rows} rows of ${done.tables} tables from ${done.key} into database "${done.database}"\n`,
    );
  } else {
    process.stderr.write('usage: backup | restore [--list] [--from KEY] [--into DATABASE] [--replace]\n');
    process.exit(2);
  }
} catch (err) {
  const message = (err as Error).message;
  const hint = /ECONNREFUSED/.test(message)
    ? '\n(the stores answer only while `npm start` runs, unless DATABASE_URL and S3_ENDPOINT name servers)'
    : '';
  process.stderr.write(`${command} failed: ${message}${hint}\n`);
  process.exit(1);
}
