/**
 * The documentation holds together: README.md stays a front door (under 15 KB), every relative link
 * in README.md and the pages of docs/ names a file that exists and, with an anchor, a heading of that file
 * (GitHub's heading ids), docs/README.md lists every page, and every page is reachable from README.md.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const README_LIMIT_BYTES = 15_000;

/** Every .md file under docs/, as a path from the repository root. */
function docsPages(dir = 'docs'): string[] {
  const full = path.join(ROOT, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full).flatMap((name) => {
    const rel = path.posix.join(dir, name);
    if (statSync(path.join(ROOT, rel)).isDirectory()) return docsPages(rel);
    return name.endsWith('.md') ? [rel] : [];
  });
}

/** The text outside fenced code blocks and inline code, where a link is a link. */
function prose(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line.replace(/`[^`]*`/g, '');
    })
    .join('\n');
}

/** GitHub's id of each heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? undefined : /^#{1,6} (.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

interface Link {
  from: string;
  target: string;
}

/** The relative links of a page (`[text](target)`, over line breaks too), web addresses left out. */
function relativeLinks(file: string): Link[] {
  const text = prose(readFileSync(path.join(ROOT, file), 'utf8'));
  return [...text.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1] as string)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .map((target) => ({ from: file, target }));
}

/** The repository path a link leads to, and its anchor. */
function resolve(link: Link): { file: string; anchor: string | undefined } {
  const [pathPart = '', anchor] = link.target.split('#', 2);
  const file = pathPart === '' ? link.from : path.posix.normalize(path.posix.join(path.posix.dirname(link.from), pathPart));
  return { file, anchor: anchor === undefined ? undefined : decodeURIComponent(anchor) };
}

const pages = ['README.md', ...docsPages()];

describe('documentation', () => {
  it(`keeps README.md a front door of under ${README_LIMIT_BYTES.toLocaleString('en')} bytes`, () => {
    expect(statSync(path.join(ROOT, 'README.md')).size).toBeLessThan(README_LIMIT_BYTES);
  });

  it('has every relative link and anchor of README.md and docs/ resolve', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const link of relativeLinks(page)) {
        const { file, anchor } = resolve(link);
        const full = path.join(ROOT, file);
        if (file.startsWith('..') || !existsSync(full)) {
          broken.push(`${link.from}: ${link.target} (no file ${file})`);
        } else if (anchor !== undefined && file.endsWith('.md') && !headingIds(readFileSync(full, 'utf8')).has(anchor)) {
          broken.push(`${link.from}: ${link.target} (no heading #${anchor} in ${file})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('lists every page of docs/ in docs/README.md', () => {
    const listed = new Set(relativeLinks('docs/README.md').map((link) => resolve(link).file));
    const missing = docsPages().filter((page) => page !== 'docs/README.md' && !listed.has(page));
    expect(missing).toEqual([]);
  });

  it('reaches every page of docs/ from README.md', () => {
    const reached = new Set<string>(['README.md']);
    const queue = ['README.md'];
    for (let page = queue.shift(); page !== undefined; page = queue.shift()) {
      for (const link of relativeLinks(page)) {
        const { file } = resolve(link);
        if (file.endsWith('.md') && !reached.has(file) && existsSync(path.join(ROOT, file))) {
          reached.add(file);
          queue.push(file);
        }
      }
    }
    expect(docsPages().filter((page) => !reached.has(page))).toEqual([]);
  });
});
