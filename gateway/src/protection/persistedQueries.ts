/**
 * Persisted queries. Automatic persisted queries (APQ) as Apollo clients
 * speak them: a request may carry only `extensions.persistedQuery.sha256Hash`;
 * an unknown hash answers PERSISTED_QUERY_NOT_FOUND, and the client sends the
 * hash with the query once to register it. Registered documents are kept in
 * an LRU of at most `cacheBytes`, and with LAB_REDIS_URL in Redis too, so
 * every gateway knows them (sharedQueryCache.ts).
 *
 * Allow-list mode (an operation manifest given): only the manifest's
 * operations run; any other answers 403 FORBIDDEN (reason
 * OPERATION_NOT_REGISTERED), before any subgraph is called. A document matches
 * by the sha256 of its exact text (the APQ hash) or of its normalized form
 * (graphql-js print: whitespace and comments do not matter). Manifest
 * documents can be sent by hash alone without registering them first; APQ
 * registers nothing else. Introspection-only operations (GraphiQL's schema
 * query) are allowed unless `allowIntrospection` is false, and so are the
 * operations the gateway runs from its own documents (markBuiltInOperation:
 * the MLflow API's).
 *
 * A manifest is JSON: Apollo's persisted query manifest
 * (`{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id", "body", "name", "type" }] }`),
 * or `{ "operations": [...] }`, or an array; each entry a document, a sha256
 * hex hash, or `{ "id"?, "body"? }` (an id must be the sha256 of its body).
 *
 * Apollo answers a hash that does not match its query without an error code;
 * the plugin codes it BAD_USER_INPUT (reason PERSISTED_QUERY_INVALID).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import { labHttpError } from '@lab/shared';
import {
  type DocumentNode,
  type GraphQLError,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  type SelectionSetNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';

type PersistedQueryOptions = Exclude<NonNullable<ApolloServerOptions<object>['persistedQueries']>, false>;
export type KeyValueCache = NonNullable<PersistedQueryOptions['cache']>;

export interface PersistedQueriesOptions {
  /** Bytes of registered query text kept for APQ (least recently used dropped first). Default 16 MiB; 0 turns APQ off. */
  cacheBytes?: number;
  /** Path of an operation manifest (JSON); when set, only its operations run. Default: none (every operation runs). */
  allowlistPath?: string;
  /** In allow-list mode, whether operations selecting only __schema, __type and __typename run. Default true. */
  allowIntrospection?: boolean;
}

export const PERSISTED_QUERIES_DEFAULTS = { cacheBytes: 16 * 1024 * 1024, allowIntrospection: true } as const;

export interface OperationManifest {
  /** sha256 hex of each listed document's exact text, and of each listed hash. */
  hashes: Set<string>;
  /** sha256 hex of each listed document's normalized (printed) form. */
  normalized: Set<string>;
  /** Listed documents by the sha256 of their text. */
  bodies: Map<string, string>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const HASH = /^[0-9a-f]{64}$/;

/** Reads and checks a manifest; throws naming the file and the bad entry. */
export function parseOperationManifest(json: unknown, where = 'operation manifest'): OperationManifest {
  const root = json as { format?: unknown; operations?: unknown } | unknown[];
  const entries = Array.isArray(root) ? root : root && typeof root === 'object' ? root.operations : undefined;
  if (!Array.isArray(entries)) {
    throw new Error(`${where}: expected an array of operations or an object with an "operations" array`);
  }
  const manifest: OperationManifest = { hashes: new Set(), normalized: new Set(), bodies: new Map() };
  entries.forEach((entry: unknown, index) => {
    const at = `${where}: operation ${index}`;
    let id: string | undefined;
    let body: string | undefined;
    if (typeof entry === 'string') {
      if (HASH.test(entry)) id = entry;
      else body = entry;
    } else if (entry && typeof entry === 'object') {
      const e = entry as { id?: unknown; body?: unknown };
      if (e.id !== undefined && (typeof e.id !== 'string' || !HASH.test(e.id)))
        throw new Error(`${at}: "id" must be a sha256 hex hash`);
      if (e.body !== undefined && typeof e.body !== 'string') throw new Error(`${at}: "body" must be a GraphQL document`);
      id = e.id as string | undefined;
      body = e.body as string | undefined;
    }
    if (id === undefined && body === undefined) throw new Error(`${at}: expected a document, a sha256 hash, or { id, body }`);
    if (body !== undefined) {
      const hash = sha256(body);
      if (id !== undefined && id !== hash) throw new Error(`${at}: "id" is not the sha256 of its body (expected ${hash})`);
      let document: DocumentNode;
      try {
        document = parse(body);
      } catch (err) {
        throw new Error(`${at}: the body is not a GraphQL document: ${(err as Error).message}`);
      }
      manifest.hashes.add(hash);
      manifest.bodies.set(hash, body);
      manifest.normalized.add(sha256(print(document)));
    } else if (id !== undefined) {
      manifest.hashes.add(id);
    }
  });
  return manifest;
}

export function readOperationManifest(path: string): OperationManifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the operation allow-list ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`the operation allow-list ${path} is not JSON: ${(err as Error).message}`);
  }
  return parseOperationManifest(json, path);
}

/** The hash at the end of a cache key (Apollo prefixes APQ keys with `apq:`). */
const hashOfKey = (key: string) => key.slice(-64);

/** An LRU of query texts bounded in bytes; in allow-list mode it serves the manifest's documents and stores only listed hashes. */
export function persistedQueryCache(cacheBytes: number, manifest?: OperationManifest): KeyValueCache {
  const lru = new LRUCache<string, string>({
    maxSize: Math.max(1, cacheBytes),
    sizeCalculation: (value, key) => Math.max(1, value.length + key.length),
  });
  return {
    async get(key) {
      return manifest?.bodies.get(hashOfKey(key)) ?? lru.get(key);
    },
    async set(key, value) {
      if (manifest && !manifest.hashes.has(hashOfKey(key))) return;
      if (manifest?.bodies.has(hashOfKey(key))) return;
      lru.set(key, value);
    },
    async delete(key) {
      return lru.delete(key);
    },
  };
}

/** Whether every root field of the operation is __schema, __type or __typename. */
export function isIntrospectionOnly(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])),
  );
  const seen = new Set<string>();
  const only = (set: SelectionSetNode): boolean =>
    set.selections.every((selection) => {
      if (selection.kind === Kind.FIELD) return ['__schema', '__type', '__typename'].includes(selection.name.value);
      if (selection.kind === Kind.INLINE_FRAGMENT) return only(selection.selectionSet);
      const name = selection.name.value;
      if (seen.has(name)) return true;
      seen.add(name);
      const fragment = fragments.get(name);
      return fragment !== undefined && only(fragment);
    });
  return only(operation.selectionSet);
}

/** Apollo's APQ refusals that carry no code (and would be masked as INTERNAL). */
const UNCODED_APQ_ERRORS = new Set(['provided sha does not match query', 'Unsupported persisted query version']);

/** Gives Apollo's uncoded APQ refusals BAD_USER_INPUT, in the array that becomes the response's errors. */
async function codeProtocolErrors({ errors }: { errors: readonly GraphQLError[] }): Promise<void> {
  const list = errors as GraphQLError[];
  list.forEach((error, i) => {
    if (error.extensions.code === undefined && UNCODED_APQ_ERRORS.has(error.message)) {
      list[i] = labHttpError('BAD_USER_INPUT', error.message, { reason: 'PERSISTED_QUERY_INVALID' });
    }
  });
}

/**
 * Marks contexts of operations the gateway itself runs from documents of its
 * own code (the MLflow API's): a property, as Apollo runs each operation with
 * a copy of the context it is given.
 */
const BUILT_IN = Symbol('built-in operation');

/**
 * Marks a context as the gateway's own: the allow-list does not apply to its
 * operations, whose documents are fixed by the gateway's code, not sent by a client.
 */
export function markBuiltInOperation(context: object): void {
  (context as { [BUILT_IN]?: true })[BUILT_IN] = true;
}

export interface PersistedQueries {
  /** Apollo Server's `persistedQueries` option. */
  persistedQueries: PersistedQueryOptions | false;
  /** Codes Apollo's uncoded APQ refusals BAD_USER_INPUT; in allow-list mode, checks the operation at didResolveOperation. */
  plugin: ApolloServerPlugin;
  /** The loaded manifest, in allow-list mode. */
  manifest?: OperationManifest;
}

/**
 * `shared` (Redis across gateways) wraps the local cache; in allow-list mode
 * nothing is shared (every gateway reads the same manifest).
 */
export function createPersistedQueries(
  options: PersistedQueriesOptions = {},
  shared?: (local: KeyValueCache) => KeyValueCache,
): PersistedQueries {
  const cacheBytes = options.cacheBytes ?? PERSISTED_QUERIES_DEFAULTS.cacheBytes;
  const allowIntrospection = options.allowIntrospection ?? PERSISTED_QUERIES_DEFAULTS.allowIntrospection;
  const manifest = options.allowlistPath ? readOperationManifest(options.allowlistPath) : undefined;
  const local = cacheBytes > 0 ? persistedQueryCache(cacheBytes, manifest) : undefined;
  const persistedQueries = local ? { cache: shared && !manifest ? shared(local) : local } : (false as const);
  if (!manifest)
    return { persistedQueries, plugin: { requestDidStart: async () => ({ didEncounterErrors: codeProtocolErrors }) } };

  const printed = new WeakMap<DocumentNode, string>();
  const normalizedHash = (document: DocumentNode) => {
    let hash = printed.get(document);
    if (hash === undefined) {
      hash = sha256(print(document));
      printed.set(document, hash);
    }
    return hash;
  };
  return {
    persistedQueries,
    manifest,
    plugin: {
      async requestDidStart() {
        return {
          didEncounterErrors: codeProtocolErrors,
          async didResolveOperation({ queryHash, document, operation, operationName, contextValue }) {
            if ((contextValue as { [BUILT_IN]?: true })[BUILT_IN] === true) return;
            if (manifest.hashes.has(queryHash) || manifest.normalized.has(normalizedHash(document))) return;
            if (allowIntrospection && operation && isIntrospectionOnly(document, operation)) return;
            throw labHttpError(
              'FORBIDDEN',
              `This gateway runs registered operations only, and ${operationName ? `operation "${operationName}"` : 'this operation'} is not registered`,
              { reason: 'OPERATION_NOT_REGISTERED' },
            );
          },
        };
      },
    },
  };
}
