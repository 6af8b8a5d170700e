import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Caller, CONTEXT_HEADER, verifyContext } from '../callerContext';
import { createRegistryAccess, OWNERSHIP_QUERY, type OwnershipRef } from './registryAccess';

const SECRET = 'z'.repeat(32);
const caller: Caller = { id: '11111111-1111-4111-8111-111111111111', kind: 'user', scopes: ['*'] };

/** A tiny fake registry: ids starting with "r" readable, with "w" readable and writable, others unknown; records each POST. */
let server: http.Server;
let url: string;
const posts: { refs: OwnershipRef[]; caller: Caller; requestId: string | undefined }[] = [];
let mode: 'ok' | 'error' | 'garbage' = 'ok';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(raw) as { query: string; variables: { refs: OwnershipRef[] } };
      const verdict = verifyContext(SECRET, req.headers[CONTEXT_HEADER] as string, body.query);
      if (!verdict.ok) {
        res.writeHead(401).end(JSON.stringify({ errors: [{ message: verdict.reason }] }));
        return;
      }
      posts.push({
        refs: body.variables.refs,
        caller: verdict.context.caller,
        requestId: req.headers['x-request-id'] as string,
      });
      res.setHeader('content-type', 'application/json');
      if (mode === 'error') return void res.writeHead(500).end(JSON.stringify({ errors: [{ message: 'db down' }] }));
      if (mode === 'garbage') return void res.end('not json');
      const answers = body.variables.refs.map((r) => {
        const [canRead, canWrite] = [r.id.startsWith('r') || r.id.startsWith('w'), r.id.startsWith('w')];
        const place = canRead ? { projectId: 'p-1', parentId: `parent-of-${r.id}` } : { projectId: null, parentId: null };
        return { ...place, canRead, canWrite, canManage: false };
      });
      res.end(JSON.stringify({ data: { _ownership: answers } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () => createRegistryAccess({ registryUrl: url, internalSecret: SECRET, requestId: 'req-42', caller });

describe('createRegistryAccess', () => {
  it('sends the lookups of one tick in one signed POST for the given caller, and caches answers', async () => {
    posts.length = 0;
    mode = 'ok';
    const access = client();
    const answers = await Promise.all([
      access.canRead('RUN', 'r-1'),
      access.canRead('RUN', 'x-2'),
      access.canWrite('RUN', 'r-1'),
      access.canWrite('DATASET_VERSION', 'w-3'),
      access.canRead('RUN', 'R-1'),
    ]);
    expect(answers).toEqual([true, false, false, true, true]);
    expect(await access.ownership('DATASET_VERSION', 'w-3')).toEqual({
      projectId: 'p-1',
      parentId: 'parent-of-w-3',
      canRead: true,
      canWrite: true,
      canManage: false,
    });
    expect(posts).toHaveLength(1);
    expect(posts[0]).toEqual({
      caller,
      requestId: 'req-42',
      refs: [
        { kind: 'RUN', id: 'r-1' },
        { kind: 'RUN', id: 'x-2' },
        { kind: 'DATASET_VERSION', id: 'w-3' },
      ],
    });
    expect(await access.canRead('RUN', 'r-1')).toBe(true);
    expect(posts).toHaveLength(1);
    expect(OWNERSHIP_QUERY).toContain('_ownership');
  });

  it('answers SERVICE_UNAVAILABLE when the registry fails, is unreadable or unreachable', async () => {
    for (const m of ['error', 'garbage'] as const) {
      mode = m;
      await expect(client().canRead('RUN', 'r-1')).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    }
    mode = 'ok';
    const down = createRegistryAccess({
      registryUrl: 'http://127.0.0.1:1/graphql',
      internalSecret: SECRET,
      requestId: 'r',
      caller,
    });
    await expect(down.canRead('RUN', 'r-1')).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
  });
});
