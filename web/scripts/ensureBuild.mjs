// Builds the web app into web/dist/ unless dist/ already holds a build of
// the current sources (a hash of them is kept in dist/.source-hash). Run by
// the root postinstall, so the gateway serves the app after `npm install`;
// `node web/scripts/ensureBuild.mjs` runs it by hand.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const webDir = path.resolve(import.meta.dirname, '..');
const HASH_FILE = path.join(webDir, 'dist', '.source-hash');
const INPUTS = ['index.html', 'vite.config.ts', 'package.json', 'tsconfig.json', 'src'];

function filesOf(relative) {
  const full = path.join(webDir, relative);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [relative];
  return readdirSync(full)
    .sort()
    .flatMap((name) => filesOf(path.join(relative, name)));
}

/** A hash of everything the build reads from web/ (sources, config, the page). */
export function sourceHash() {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(filesOf)) {
    if (/\.test\.tsx?$/.test(file)) continue;
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(webDir, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

/** Builds when dist/ is missing or older than the sources; returns whether it built. */
export function ensureWebBuild({ log = console.log } = {}) {
  const wanted = sourceHash();
  if (existsSync(HASH_FILE) && readFileSync(HASH_FILE, 'utf8').trim() === wanted) return false;
  const vite = path.join(
    path.dirname(createRequire(path.join(webDir, 'package.json')).resolve('vite/package.json')),
    'bin',
    'vite.js',
  );
  log('[web] building the app (vite build)');
  execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: webDir, stdio: 'inherit' });
  writeFileSync(HASH_FILE, `${wanted}\n`);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) ensureWebBuild();
