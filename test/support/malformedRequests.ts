/**
 * Generated malformed requests for the gateway, the same for a given seed:
 * broken and hostile documents, variables of the wrong shape or nested too
 * deeply, odd headers, bodies that are not what they claim, unusual methods.
 * Each is raw HTTP (method, path, headers, body bytes), so nothing a client
 * library would refuse to send is left out.
 */

export interface RawRequest {
  /** What was generated, for the failure message. */
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/** mulberry32: a small seeded generator, so a failing case can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID_DOCUMENTS = [
  '{ me { id name email } }',
  'query Experiments($first: Int) { experiments(first: $first) { totalCount edges { node { id name runs(first: 2) { edges { node { id name } } } } } } }',
  'query Run($id: ID!) { run(id: $id) { id name metrics { name last } } }',
  'mutation Project($name: String!, $metadata: JSONObject) { createProject(input: { name: $name, metadata: $metadata }) { id } }',
  'mutation Log($runId: ID!, $points: [MetricPointInput!]!) { logMetrics(runId: $runId, points: $points) { accepted } }',
  'subscription Live($runId: ID!) { metricStream(runId: $runId) { name step value } }',
  '{ __schema { types { name } } }',
];

const deepJson = (levels: number, open = '{"a":', close = '}') => `${open.repeat(levels)}1${close.repeat(levels)}`;
const doubling = (levels: number) =>
  `{ me { ...F0 } } ${Array.from({ length: levels }, (_, i) => `fragment F${i} on User { ${i + 1 < levels ? `...F${i + 1} ...F${i + 1}` : 'id'} }`).join(' ')}`;

/** Ways to break a document: each takes a valid one and the random source. */
const DOCUMENT_MUTATIONS: ((doc: string, random: () => number) => string)[] = [
  (doc, random) => doc.slice(0, Math.floor(random() * doc.length)),
  (doc, random) => {
    const at = Math.floor(random() * doc.length);
    const junk = ['{', '}', '(', ')', '$', '@', '...', '"', '"""', '#', ':', '!', '[', ']', '\u0000', '\uffff', '😀', '\\u00'];
    return doc.slice(0, at) + junk[Math.floor(random() * junk.length)] + doc.slice(at);
  },
  (doc) => `${doc} ${doc}`,
  (doc) => doc.replace(/\bid\b/, 'id(x: 1e309)'),
  (doc) => doc.replace(/\bid\b/, `id @include(if: true)${' @include(if: true)'.repeat(60)}`),
  (doc) => doc.replace('{', `{ ${'me { id } '.repeat(400)}`),
  (doc) => doc.replace(/name/, `name(first: ${'9'.repeat(400)})`),
  (doc) => `${doc} fragment Loop on User { ...Loop }`,
  (_, random) => doubling(10 + Math.floor(random() * 31)),
  () => `{ ${'me { '.repeat(300)}id${' }'.repeat(300)} }`,
  () => `{ me { ${'... on User { '.repeat(500)}id${' }'.repeat(500)} } }`,
  () => `query { me { id } } query { me { name } }`,
  () => `query A { me { id } } query B { me { name } }`,
  () => `"""unterminated`,
  () => `{ me { id } } ${'#'.repeat(10_000)}`,
  () => `mutation { createProject(input: { name: "p", metadata: ${'{ a: '.repeat(600)}1${' }'.repeat(600)} }) { id } }`,
  () =>
    `mutation { logMetrics(runId: "00000000-0000-0000-0000-000000000000", points: [{ name: "x", value: 1e309, step: -1e400 }]) { accepted } }`,
];

/** Ways to break variables, as JSON text (deep nesting and 1e309 cannot go through JSON.stringify). */
const VARIABLE_TEXTS: ((random: () => number) => string)[] = [
  () => '"not an object"',
  () => '[1, 2, 3]',
  () => 'null',
  () => '{"first": "many"}',
  () => '{"first": 1e309}',
  () => '{"first": -99999999999999999999999}',
  () => '{"id": {"$ne": null}}',
  () => '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
  (random) => `{"metadata": ${deepJson(30 + Math.floor(random() * 5_000))}, "name": "fuzz"}`,
  (random) => `{"metadata": ${deepJson(30 + Math.floor(random() * 5_000), '[', ']')}, "name": "fuzz"}`,
  () => '{"metadata": {"x": 1e309}, "name": "fuzz"}',
  () => `{"name": "${'x'.repeat(100_000)}"}`,
  () => '{"runId": "00000000-0000-0000-0000-000000000000", "points": [{"name": "x", "value": "NaN", "step": 1}]}',
  () => '{"runId": "not-a-uuid", "points": {}}',
];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/graphql',
  'application/graphql-response+json',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '',
];

/** Credentials that do not authenticate; a request carries one of them 25% of the time, the admin key otherwise. */
const BAD_AUTHORIZATIONS: (string | undefined)[] = [
  undefined,
  'Bearer',
  'Bearer ',
  'Basic dXNlcjpwYXNz',
  `Bearer lab_${'x'.repeat(8)}_${'y'.repeat(40)}`,
  `Bearer ${'a'.repeat(10_000)}`,
  'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
  'Bearer a.b.c',
];

const METHODS = ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE'];

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const utf8 = (text: string) => new TextEncoder().encode(text);

/** `count` malformed requests for a gateway whose admin key is `adminKey`, the same for the same seed. */
export function malformedRequests(seed: number, count: number, adminKey: string): RawRequest[] {
  const random = seededRandom(seed);
  const requests: RawRequest[] = [];
  const headersWith = (contentType: string): Record<string, string> => {
    const authorization = random() < 0.25 ? pick(random, BAD_AUTHORIZATIONS) : `Bearer ${adminKey}`;
    return {
      ...(contentType ? { 'content-type': contentType } : {}),
      ...(authorization !== undefined ? { authorization } : {}),
      ...(random() < 0.2 ? { 'apollo-require-preflight': 'true' } : {}),
      ...(random() < 0.1
        ? { accept: pick(random, ['text/event-stream', 'multipart/mixed', 'application/graphql-response+json', '*/*']) }
        : {}),
      ...(random() < 0.1 ? { 'idempotency-key': pick(random, ['', 'k'.repeat(500), 'key with spaces', '\u00e9t\u00e9']) } : {}),
      ...(random() < 0.1 ? { 'x-request-id': pick(random, ['x'.repeat(5_000), '../../etc/passwd', '<script>']) } : {}),
      ...(random() < 0.05 ? { 'content-encoding': pick(random, ['gzip', 'br', 'deflate', 'x-unknown']) } : {}),
    };
  };
  while (requests.length < count) {
    const kind = random();
    const document = pick(random, VALID_DOCUMENTS);
    const broken = random() < 0.8 ? pick(random, DOCUMENT_MUTATIONS)(document, random) : document;
    const variables = random() < 0.6 ? pick(random, VARIABLE_TEXTS)(random) : '{}';
    const extensions =
      random() < 0.15
        ? pick(random, [
            deepJson(10_000),
            '{"persistedQuery": {"version": 2, "sha256Hash": "x"}}',
            '{"persistedQuery": {"version": 1, "sha256Hash": 42}}',
            '{"persistedQuery": "yes"}',
            '"text"',
            '{"headers": {"Authorization": 1}}',
          ])
        : undefined;
    const operationName = random() < 0.15 ? pick(random, ['"Nope"', '42', '{}', 'null', '""']) : undefined;
    const json = `{"query":${JSON.stringify(broken)},"variables":${variables}${extensions ? `,"extensions":${extensions}` : ''}${operationName ? `,"operationName":${operationName}` : ''}}`;
    if (kind < 0.55) {
      requests.push({
        label: `POST ${json.slice(0, 300)}`,
        method: 'POST',
        path: '/graphql',
        headers: headersWith('application/json'),
        body: utf8(json),
      });
    } else if (kind < 0.7) {
      const body = pick(random, [
        '',
        'null',
        '1',
        '"query"',
        `[${json}, ${json}]`,
        json.slice(0, Math.floor(random() * json.length)),
        `\ufeff${json}`,
        '{"query": 1}',
        '{"query": null, "extensions": {}}',
        '{"query": "{ me { id } }", "variables": "{\\"a\\": 1"}',
        `{"query": "{ me { id } }", "variables": ${deepJson(200_000)}}`,
      ]);
      const contentType = pick(random, CONTENT_TYPES);
      requests.push({
        label: `POST (${contentType}) ${body.slice(0, 300)}`,
        method: 'POST',
        path: '/graphql',
        headers: headersWith(contentType),
        body: utf8(body),
      });
    } else if (kind < 0.8) {
      const bytes = new Uint8Array([0x7b, 0x22, 0x71, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]); // {"q":"<invalid UTF-8>"}
      const body = random() < 0.5 ? bytes : utf8(`${json}${'\u0000'.repeat(Math.floor(random() * 10))}`);
      requests.push({
        label: 'POST invalid bytes',
        method: 'POST',
        path: '/graphql',
        headers: headersWith(pick(random, CONTENT_TYPES)),
        body,
      });
    } else if (kind < 0.92) {
      const search = new URLSearchParams({ query: broken, variables: variables.slice(0, 2_000) });
      if (extensions) search.set('extensions', extensions.slice(0, 2_000));
      if (random() < 0.2) search.append('query', '{ me { id } }');
      requests.push({
        label: `GET ?${search.toString().slice(0, 300)}`,
        method: 'GET',
        path: `/graphql?${search}`,
        headers: headersWith(''),
      });
    } else {
      const method = pick(random, METHODS);
      requests.push({
        label: `${method} /graphql`,
        method,
        path: '/graphql',
        headers: headersWith('application/json'),
        body: method === 'HEAD' ? undefined : utf8(json),
      });
    }
  }
  return requests;
}
