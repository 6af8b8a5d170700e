/** Persisted queries: operation manifests, the APQ cache, introspection-only operations. */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getIntrospectionQuery, getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  createPersistedQueries,
  isIntrospectionOnly,
  markBuiltInOperation,
  parseOperationManifest,
  persistedQueryCache,
  readOperationManifest,
} from './persistedQueries';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const ME = 'query Me { me { id } }';

describe('parseOperationManifest', () => {
  it("reads Apollo's persisted query manifest", () => {
    const manifest = parseOperationManifest({
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: [{ id: sha256(ME), name: 'Me', type: 'query', body: ME }],
    });
    expect([...manifest.hashes]).toEqual([sha256(ME)]);
    expect(manifest.bodies.get(sha256(ME))).toBe(ME);
    expect(manifest.normalized.has(sha256('query Me {\n  me {\n    id\n  }\n}'))).toBe(true);
  });

  it('reads a plain array of documents and hashes', () => {
    const other = 'a'.repeat(64);
    const manifest = parseOperationManifest([ME, other, { body: '{ me { name } }' }]);
    expect(manifest.hashes).toEqual(new Set([sha256(ME), other, sha256('{ me { name } }')]));
    expect(manifest.bodies.has(other)).toBe(false);
  });

  it('names the bad entry', () => {
    expect(() => parseOperationManifest({ nope: 1 }, 'm.json')).toThrow(/m.json: expected an array of operations/);
    expect(() => parseOperationManifest([ME, { id: 'x' }], 'm.json')).toThrow(
      /m.json: operation 1: "id" must be a sha256 hex hash/,
    );
    expect(() => parseOperationManifest([{ id: 'b'.repeat(64), body: ME }])).toThrow(
      /operation 0: "id" is not the sha256 of its body/,
    );
    expect(() => parseOperationManifest(['{ me {'])).toThrow(/operation 0: the body is not a GraphQL document/);
    expect(() => parseOperationManifest([42])).toThrow(/operation 0: expected a document, a sha256 hash, or \{ id, body \}/);
  });

  it('reads a file, naming it when it is missing or not JSON', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-allowlist-'));
    const good = path.join(dir, 'ops.json');
    writeFileSync(good, JSON.stringify([ME]));
    expect(readOperationManifest(good).hashes.has(sha256(ME))).toBe(true);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{');
    expect(() => readOperationManifest(bad)).toThrow(/bad.json is not JSON/);
    expect(() => readOperationManifest(path.join(dir, 'missing.json'))).toThrow(
      /cannot read the operation allow-list .*missing.json/,
    );
  });
});

describe('persistedQueryCache', () => {
  it('keeps at most cacheBytes of query text', async () => {
    const cache = persistedQueryCache(300);
    for (let i = 0; i < 10; i++) await cache.set(`apq:${String(i).repeat(64)}`, `{ f${i} ${'x'.repeat(50)} }`);
    const kept = await Promise.all(Array.from({ length: 10 }, (_, i) => cache.get(`apq:${String(i).repeat(64)}`)));
    expect(kept.filter(Boolean).length).toBe(2);
    expect(kept[9]).toBeDefined();
  });

  it("in allow-list mode serves the manifest's documents and registers only listed hashes", async () => {
    const hashOnly = sha256('{ me { name } }');
    const cache = persistedQueryCache(1024 * 1024, parseOperationManifest([ME, hashOnly]));
    expect(await cache.get(`apq:${sha256(ME)}`)).toBe(ME);
    await cache.set(`apq:${sha256('{ other }')}`, '{ other }');
    expect(await cache.get(`apq:${sha256('{ other }')}`)).toBeUndefined();
    await cache.set(`apq:${hashOnly}`, '{ me { name } }');
    expect(await cache.get(`apq:${hashOnly}`)).toBe('{ me { name } }');
  });
});

describe('isIntrospectionOnly', () => {
  const check = (query: string) => {
    const document = parse(query);
    const operation = getOperationAST(document);
    if (!operation) throw new Error('no operation');
    return isIntrospectionOnly(document, operation);
  };
  it("accepts GraphiQL's schema query and __typename, nothing that reads data", () => {
    expect(check(getIntrospectionQuery())).toBe(true);
    expect(check('{ __typename __type(name: "Run") { name } }')).toBe(true);
    expect(check('{ __typename me { id } }')).toBe(false);
    expect(check('{ ...F } fragment F on Query { __schema { queryType { name } } me { id } }')).toBe(false);
  });
});

describe('createPersistedQueries', () => {
  it('turns APQ off at 0 bytes, and has no allow-list without a manifest', () => {
    expect(createPersistedQueries({ cacheBytes: 0 }).persistedQueries).toBe(false);
    const apq = createPersistedQueries();
    expect(apq.persistedQueries).toMatchObject({ cache: expect.any(Object) });
    expect(apq.manifest).toBeUndefined();
  });

  describe('allow-list mode', () => {
    it('refuses an unlisted operation, except one the gateway runs from its own documents', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-allowlist-'));
      const file = path.join(dir, 'manifest.json');
      writeFileSync(file, JSON.stringify([ME]));
      const { plugin } = createPersistedQueries({ allowlistPath: file });
      const other = 'query Other { me { name } }';
      const document = parse(other);
      const check = async (contextValue: object) => {
        // biome-ignore lint/suspicious/noExplicitAny: the hook's request context, reduced to what it reads
        const listeners = (await plugin.requestDidStart?.({} as any)) as any;
        return listeners.didResolveOperation({
          queryHash: sha256(other),
          document,
          operation: getOperationAST(document),
          operationName: 'Other',
          contextValue,
        });
      };
      await expect(check({})).rejects.toThrow(/not registered/);
      const builtIn = {};
      markBuiltInOperation(builtIn);
      await expect(check(builtIn)).resolves.toBeUndefined();
      // Apollo runs each operation with a copy of the context it was given.
      await expect(check(Object.assign(Object.create(Object.getPrototypeOf(builtIn)), builtIn))).resolves.toBeUndefined();
    });
  });
});
