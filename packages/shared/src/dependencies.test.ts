/**
 * @lab/shared is imported by every service, the gateway included: it holds none of the store clients (chdb,
 * @clickhouse/client, the AWS SDK), neither among its dependencies nor in an import of its source. Each client
 * belongs to the one service that uses it (metrics: store/clickhouseClient.ts; artifacts: store/s3Client.ts).
 * Its entry points: the public core (`@lab/shared`), the subgraph server (`./subgraph`), internal calls (`./internal`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = path.resolve(import.meta.dirname, '..');
const STORE_CLIENT = /^(?:chdb|@clickhouse\/|@aws-sdk\/)/;

/** Every module a source file names: static imports and re-exports, and import() of a literal. */
function importedModules(source: string): string[] {
  const found = [...source.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'\s*\)|^\s*import\s+'([^']+)'/gm)];
  return found.map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

/** The package's source files (tests left out), as paths from the package folder. */
function sourceFiles(dir = 'src'): string[] {
  return readdirSync(path.join(PACKAGE_DIR, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(rel);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [rel] : [];
  });
}

describe('@lab/shared pulls no store client', () => {
  it('declares none among its dependencies', () => {
    const manifest = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies ?? {}).filter((name) => STORE_CLIENT.test(name))).toEqual([]);
  });

  it('imports none from its source', () => {
    const files = sourceFiles();
    expect(files).toContain('src/index.ts');
    const imports = files.flatMap((file) =>
      importedModules(readFileSync(path.join(PACKAGE_DIR, file), 'utf8')).map((module) => `${file}: ${module}`),
    );
    expect(imports.some((line) => line.endsWith(': pino'))).toBe(true);
    expect(imports.filter((line) => STORE_CLIENT.test(line.split(': ')[1] as string))).toEqual([]);
  });
});

describe("@lab/shared's entry points", () => {
  const manifest = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
    exports: Record<string, string>;
  };

  it('are the public core, the subgraph server and the internal calls', () => {
    expect(manifest.exports['.']).toBe('./src/index.ts');
    expect(manifest.exports['./subgraph']).toBe('./src/subgraph/index.ts');
    expect(manifest.exports['./internal']).toBe('./src/internal/index.ts');
  });

  it('keep the core free of the subgraph server and the internal calls', () => {
    const coreFiles = sourceFiles().filter((file) => !/^src\/(subgraph|internal)\//.test(file));
    const reachingOut = coreFiles.flatMap((file) =>
      importedModules(readFileSync(path.join(PACKAGE_DIR, file), 'utf8'))
        .filter((module) => /^\.\/(subgraph|internal)\b/.test(module))
        .map((module) => `${file}: ${module}`),
    );
    expect(reachingOut).toEqual([]);
  });
});
