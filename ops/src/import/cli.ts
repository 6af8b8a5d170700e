/**
 * npm run import -- mlflow <mlruns folder> --project <project id> [--url http://localhost:4000] [--json]
 *
 * Imports an MLflow file store into a project of a running platform through
 * its public API, with the API key in LAB_API_KEY (EDITOR in the project;
 * docs/operations/import-mlflow.md). Prints what it did and left out. Exit
 * status: 0 done (left-out items are listed, not failures), 2 the import
 * stopped (a bad argument, an unreadable store, the platform unreachable or
 * refusing); run it again to complete it.
 */
import { parseArgs } from 'node:util';
import { importMlflow } from './importMlflow';
import { formatSummary } from './importSummary';
import { MlflowStoreError } from './mlflowFiles';
import { PlatformError } from './platformClient';

const USAGE = 'usage: npm run import -- mlflow <mlruns folder> --project <project id> [--url http://localhost:4000] [--json]';

class UsageError extends Error {}

function parse() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      url: { type: 'string', default: 'http://localhost:4000' },
      json: { type: 'boolean', default: false },
    },
  });
  const [source, root, ...rest] = positionals;
  if (source !== 'mlflow')
    throw new UsageError(source ? `unknown source "${source}": only mlflow is known` : 'name the source: mlflow');
  if (!root || rest.length > 0) throw new UsageError('name one mlruns folder');
  if (!values.project) throw new UsageError('--project <project id> is required');
  const apiKey = process.env.LAB_API_KEY;
  if (!apiKey) throw new UsageError('set LAB_API_KEY to an API key with EDITOR in the project (mutation { createApiKey(...) })');
  return { root, projectId: values.project, url: values.url ?? 'http://localhost:4000', json: values.json ?? false, apiKey };
}

async function main(): Promise<number> {
  try {
    const args = parse();
    const summary = await importMlflow(args.root, {
      url: args.url,
      apiKey: args.apiKey,
      projectId: args.projectId,
      onRun: args.json
        ? undefined
        : (run) => process.stderr.write(`run ${run.mlflowRunId}: ${run.outcome} (${run.points} points sent)\n`),
    });
    process.stdout.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return 0;
  } catch (err) {
    const known = err instanceof UsageError || err instanceof MlflowStoreError || err instanceof PlatformError;
    const code = err instanceof PlatformError ? `${err.code} ` : '';
    process.stderr.write(`import failed: ${code}${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS'))
      process.stderr.write(`${USAGE}\n`);
    if (!known && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 2;
  }
}

process.exit(await main());
