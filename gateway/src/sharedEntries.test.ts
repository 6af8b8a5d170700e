/**
 * The gateway builds on @lab/shared's public core (and its internal calls), never on the subgraph server shell
 * (`@lab/shared/subgraph`: Apollo's subgraph server, subscriptions, BaseContext). Tests and fixtures may start
 * stand-in subgraphs with it; the gateway's own source may not import it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SOURCE_DIR = import.meta.dirname;

function sourceFiles(dir = SOURCE_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    const isSource = entry.name.endsWith('.ts') && !/\.(test|fixture)\.ts$/.test(entry.name);
    return isSource ? [full] : [];
  });
}

describe('the gateway and @lab/shared', () => {
  it('imports nothing from the subgraph entry', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((file) => /from '@lab\/shared\/subgraph'/.test(readFileSync(file, 'utf8')));
    expect(offenders.map((file) => path.relative(SOURCE_DIR, file))).toEqual([]);
  });
});
