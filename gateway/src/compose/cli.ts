/**
 * `npm run compose`: composes the subgraphs and writes schema/*.graphql.
 * `npm run compose -- --check`: writes nothing; exits 1 when a committed file is stale.
 * Either way, composition errors or hints that matter (see hints.ts) exit 1.
 */
import path from 'node:path';
import { composeSupergraph, compositionProblems } from './compose';
import { renderSchemaFiles, SCHEMA_DIR, staleFiles, writeSchemaFiles } from './files';
import { loadSubgraphs } from './subgraphs';

async function main(check: boolean): Promise<number> {
  const result = composeSupergraph(await loadSubgraphs());
  for (const hint of result.hints.filter((h) => h.allowed)) {
    process.stdout.write(`allowed hint ${hint.code}: ${hint.message}\n`);
  }
  const problems = compositionProblems(result);
  if (problems.length > 0) {
    process.stderr.write(`Composition failed:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
  const files = renderSchemaFiles(result);
  const stale = await staleFiles(files);
  const shown = stale.map((f) => path.relative(process.cwd(), path.join(SCHEMA_DIR, f)));
  if (check) {
    if (stale.length === 0) {
      process.stdout.write('schema/ is up to date\n');
      return 0;
    }
    process.stderr.write(`Stale schema files: ${shown.join(', ')}\nrun npm run compose\n`);
    return 1;
  }
  await writeSchemaFiles(files);
  process.stdout.write(stale.length === 0 ? 'schema/ is up to date\n' : `wrote ${shown.join(', ')}\n`);
  return 0;
}

main(process.argv.includes('--check')).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.message : err}\n`);
    process.exit(1);
  },
);
