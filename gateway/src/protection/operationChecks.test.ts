/**
 * The operation limits in process: the measure of an operation with its
 * fragments expanded (without expanding them), the order limits are named in,
 * the errors, the token count, and the checks that run before validation.
 */
import { buildSchema, getIntrospectionQuery, getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  checkBeforeValidation,
  checkRequestValues,
  countTokens,
  exceededLimit,
  limitError,
  measureOperation,
  OPERATION_LIMIT_DEFAULTS,
  pickOperation,
} from './operationChecks';

const schema = buildSchema(`
  scalar JSON
  type Query {
    search(filter: JSON, minScore: Float): [Run!]!
    me: User
    runs(first: Int, after: String): RunConnection!
    run(id: ID!): Run
    tags: [String!]!
    recent(limit: Int): [Run!]!
  }
  type Mutation { startRun(name: String!): Run! }
  type User { id: ID! name: String! }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type RunConnection { edges: [RunEdge!]! nodes: [Run!]! pageInfo: PageInfo! totalCount: Int! }
  type RunEdge { node: Run! cursor: String! }
  type Run {
    id: ID!
    name: String!
    owner: User!
    tags: [String!]!
    outputs(first: Int = 100, after: String): ArtifactConnection
    metrics: [Metric!]
  }
  type Metric { name: String! last: Float }
  type ArtifactConnection { edges: [ArtifactEdge!]! totalCount: Int! }
  type ArtifactEdge { node: Artifact! }
  type Artifact { id: ID! path: String! }
`);

function measure(query: string, variables?: Record<string, unknown>, options = {}) {
  const document = parse(query);
  const operation = getOperationAST(document);
  if (!operation) throw new Error('no operation');
  return measureOperation(schema, document, operation, variables, options);
}

describe('measureOperation', () => {
  it('counts depth by field nesting, fragments adding none', () => {
    expect(measure('{ me { id } }').depth).toBe(2);
    expect(measure('{ runs { edges { node { owner { name } } } } }').depth).toBe(5);
    expect(measure('{ runs { ...C } } fragment C on RunConnection { edges { ... on RunEdge { node { id } } } }').depth).toBe(4);
  });

  it('counts aliases, once per use of a fragment', () => {
    expect(measure('{ a: me { id } b: me { i: id } }').aliases).toBe(3);
    expect(measure('{ x: run(id: 1) { ...R } y: run(id: 2) { ...R } } fragment R on Run { n1: name n2: name }').aliases).toBe(6);
  });

  it('costs objects 1 and leaves 0', () => {
    expect(measure('{ me { id name } }').cost).toBe(1);
    expect(measure('{ tags }').cost).toBe(0);
    expect(measure('{ run(id: 1) { owner { id } tags } }').cost).toBe(2);
  });

  it("multiplies a connection's edges and nodes by first, from a literal, a variable or its default", () => {
    // runs (1) + 10 edges × (edge 1 + node 1 + owner 1) + pageInfo 1
    expect(measure('{ runs(first: 10) { edges { node { owner { id } } } pageInfo { hasNextPage } } }').cost).toBe(32);
    expect(measure('query($n: Int) { runs(first: $n) { nodes { id } } }', { n: 50 }).cost).toBe(51);
    expect(measure('query($n: Int = 7) { runs(first: $n) { nodes { id } } }').cost).toBe(8);
    // no first: the default list size
    expect(measure('{ runs { nodes { id } } }').cost).toBe(1 + OPERATION_LIMIT_DEFAULTS.defaultListSize);
    // the schema default of outputs(first: Int = 100)
    expect(measure('{ run(id: 1) { outputs { edges { node { id } } } } }').cost).toBe(1 + 1 + 100 * 2);
  });

  it('multiplies nested lists: 100 runs × 100 outputs', () => {
    const cost = measure('{ runs(first: 100) { edges { node { outputs(first: 100) { edges { node { path } } } } } } }').cost;
    expect(cost).toBe(1 + 100 * (1 + 1 + 1 + 100 * 2));
  });

  it('sizes a list field by its own limit argument, or the default list size', () => {
    expect(measure('{ recent(limit: 5) { id } }').cost).toBe(5);
    expect(measure('{ recent { id } }', {}, { defaultListSize: 3 }).cost).toBe(3);
    expect(measure('{ run(id: 1) { metrics { name } } }').cost).toBe(1 + OPERATION_LIMIT_DEFAULTS.defaultListSize);
  });

  it('keeps the connection size inside fragments on the connection', () => {
    const q = '{ runs(first: 4) { ...C } } fragment C on RunConnection { edges { node { id } } }';
    expect(measure(q).cost).toBe(1 + 4 * 2);
  });

  it('costs root mutation fields 10', () => {
    expect(measure('mutation { a: startRun(name: "a") { id } b: startRun(name: "b") { owner { id } } }').cost).toBe(21);
  });

  it('measures a fragment once however often it is spread (no exponential blow-up)', () => {
    const levels = 40;
    const fragments = Array.from(
      { length: levels },
      (_, i) => `fragment F${i} on Run { ${i + 1 < levels ? `a: owner { id } ...F${i + 1} ...F${i + 1}` : 'id'} }`,
    );
    const started = performance.now();
    const m = measure(`{ run(id: 1) { ...F0 } } ${fragments.join(' ')}`);
    expect(performance.now() - started).toBeLessThan(100);
    expect(m.aliases).toBeGreaterThan(1e11);
  });

  it('counts fields as executed: once per use of a fragment, each spread and inline fragment one more', () => {
    expect(measure('{ me { id name } }').fields).toBe(3);
    // run, ...R twice (2 + 2 × 2 fields), the inline fragment (1 + 1)
    expect(measure('{ run(id: 1) { ...R ...R ... on Run { id } } } fragment R on Run { id name }').fields).toBe(1 + 2 * 3 + 2);
    const levels = 30;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i + 1 < levels ? `fragment F${i} on Run { ...F${i + 1} ...F${i + 1} }` : `fragment F${i} on Run { id }`,
    );
    // 2^29 leaves, and every spread on the way: 2 + 4 + ... + 2^29
    expect(measure(`{ run(id: 1) { ...F0 } } ${fragments.join(' ')}`).fields).toBe(1 + 1 + (2 ** 30 - 2) + 2 ** 29);
  });

  it('counts directives once per use, on fields, fragments and the operation', () => {
    expect(measure('query Q($a: Boolean!) @d { me @include(if: $a) { id @skip(if: false) @skip(if: false) } }').directives).toBe(
      4,
    );
    expect(measure('{ me { ...U @include(if: true) ...U } } fragment U on User @d { id @x }').directives).toBe(1 + 2 * 2);
  });

  it('sizes a fragment by each connection it is spread in, measuring it once', () => {
    const q =
      '{ a: runs(first: 2) { ...C } b: runs(first: 5) { ...C } c: runs { ...C } } fragment C on RunConnection { edges { node { id } } }';
    expect(measure(q).cost).toBe(1 + 2 * 2 + (1 + 5 * 2) + (1 + OPERATION_LIMIT_DEFAULTS.defaultListSize * 2));
    // One fragment, three hundred connection sizes: measured in one pass, not three hundred.
    const many = Array.from({ length: 300 }, (_, i) => `r${i}: runs(first: ${i}) { ...W }`).join(' ');
    const wide = Array.from({ length: 800 }, () => 'totalCount').join(' ');
    const m = measure(`{ ${many} } fragment W on RunConnection { ${wide} nodes { id } }`);
    expect(m.fields).toBe(300 * (1 + 1 + 800 + 2));
    expect(m.cost).toBe(Array.from({ length: 300 }, (_, i) => 1 + i).reduce((a, b) => a + b, 0));
  });

  it('gives introspection no depth and no cost, so GraphiQL loads the schema', () => {
    for (const query of [
      getIntrospectionQuery(),
      getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, schemaDescription: true, specifiedByUrl: true }),
    ]) {
      const m = measure(query);
      expect(m).toMatchObject({ depth: 0, aliases: 0, cost: 0, directives: 0 });
      expect(m.fields).toBeGreaterThan(150);
      expect(m.fields).toBeLessThan(OPERATION_LIMIT_DEFAULTS.maxFields / 5);
      expect(countTokens(query)).toBeLessThan(OPERATION_LIMIT_DEFAULTS.maxTokens);
    }
    expect(measure('{ __typename me { id } }').depth).toBe(2);
  });
});

describe('exceededLimit', () => {
  const within = { depth: 1, aliases: 0, fields: 1, directives: 0, cost: 1 };
  it('names the first exceeded limit, in the order depth, aliases, fields, directives, cost; 0 turns a check off', () => {
    expect(exceededLimit({ ...within, depth: 14, aliases: 40 })).toEqual({ limit: 'depth', actual: 14, max: 12 });
    expect(exceededLimit({ ...within, aliases: 31, fields: 1e9 })).toEqual({ limit: 'aliases', actual: 31, max: 30 });
    expect(exceededLimit({ ...within, fields: 2_001, directives: 51 })).toEqual({ limit: 'fields', actual: 2_001, max: 2_000 });
    expect(exceededLimit({ ...within, directives: 51, cost: 1e9 })).toEqual({ limit: 'directives', actual: 51, max: 50 });
    expect(exceededLimit({ ...within, cost: 50_001 })).toEqual({ limit: 'cost', actual: 50_001, max: 50_000 });
    expect(exceededLimit({ depth: 12, aliases: 30, fields: 2_000, directives: 50, cost: 50_000 })).toBeUndefined();
    expect(exceededLimit({ ...within, depth: 99 }, { maxDepth: 0 })).toBeUndefined();
    expect(exceededLimit({ ...within, fields: 1e12 }, { maxFields: 0 })).toBeUndefined();
  });
});

describe('limitError', () => {
  it('says which limit and by how much, as BAD_USER_INPUT with HTTP 400', () => {
    const error = limitError('cost', 123_456, 50_000);
    expect(error.message).toBe('cost 123,456 exceeds the limit of 50,000');
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost', actual: 123_456, max: 50_000 });
    expect((error.extensions.http as { status: number }).status).toBe(400);
  });
});

describe('countTokens', () => {
  it("counts lexer tokens without comments, as graphql-js' parser does for maxTokens", () => {
    expect(countTokens('{ me { id } }')).toBe(6);
    expect(countTokens('# a comment\n{ a }')).toBe(3);
    const query = 'query Q($a: Int = 1) { f(x: $a) @skip(if: false) }';
    const tokens = countTokens(query);
    expect(tokens).toBe(26);
    expect(() => parse(query, { maxTokens: tokens })).not.toThrow();
    expect(() => parse(query, { maxTokens: tokens - 1 })).toThrow(/tokens/);
  });

  it('does not lex a source no longer than cheapBelow characters', () => {
    expect(countTokens('{ a b c d }', 20)).toBe(11);
  });

  it('counts up to a syntax error', () => {
    expect(countTokens('{ a ^ b }')).toBe(2);
  });
});

describe('pickOperation', () => {
  it('answers the operation, or BAD_USER_INPUT saying why none can be picked', () => {
    const two = parse('query A { me { id } } query B { me { name } }');
    expect(pickOperation(two, 'B')).toMatchObject({ name: { value: 'B' } });
    for (const [name, message] of [
      [undefined, /several operations: operationName must name/],
      ['C', /Unknown operation named "C"/],
    ] as const) {
      const refused = pickOperation(two, name);
      expect(refused).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'BAD_USER_INPUT' } });
    }
    expect(pickOperation(parse('fragment F on User { id }'), undefined)).toMatchObject({
      message: 'The document has no operation to run',
    });
  });
});

describe('checkRequestValues', () => {
  const deep = (levels: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };

  it('refuses variables or extensions nested past maxValueDepth, without recursing', () => {
    expect(checkRequestValues({ variables: { m: deep(32) } })).toBeUndefined();
    expect(checkRequestValues({ variables: { m: deep(33) } })?.message).toBe(
      'valueDepth 33 exceeds the limit of 32 in variables',
    );
    const refused = checkRequestValues({ extensions: { x: deep(100_000) } });
    expect(refused?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'valueDepth', actual: 100_000, max: 32 });
    expect(checkRequestValues({ variables: { m: deep(40) } }, { maxValueDepth: 0 })).toBeUndefined();
  });

  it('refuses a number JSON parsed to Infinity', () => {
    const refused = checkRequestValues({ variables: JSON.parse('{ "points": [{ "value": 1e309 }] }') });
    expect(refused?.message).toMatch(/^The variables hold a number too large for a 64-bit float/);
    expect(refused?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('checkBeforeValidation', () => {
  const check = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
    checkBeforeValidation(schema, { query, variables, operationName });

  it('passes an ordinary operation, and refuses a syntax error as Apollo codes it', () => {
    expect(check('query($n: Int) { runs(first: $n) { edges { node { id owner { name } } } } }', { n: 10 })).toBeUndefined();
    const refused = check('{ me { id }');
    expect(refused?.message).toBe('Syntax Error: Expected Name, found <EOF>.');
    expect(refused?.locations).toEqual([{ line: 1, column: 12 }]);
    expect(refused?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('refuses out-of-range number literals and deeply nested literals', () => {
    expect(check('{ search(minScore: 1e309) { id } }')?.message).toBe(
      'The number 1e309 is out of range: it does not fit a 64-bit float',
    );
    expect(check(`{ search(minScore: ${'9'.repeat(400)}) { id } }`)?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(check(`{ search(filter: ${'{ a: '.repeat(33)}1${' }'.repeat(33)}) { id } }`)?.extensions).toMatchObject({
      limit: 'valueDepth',
      actual: 33,
    });
    expect(check(`{ search(filter: [${'['.repeat(31)}1${']'.repeat(31)}]) { id } }`)).toBeUndefined();
  });

  it('refuses a document whose operation cannot be picked', () => {
    expect(check('query A { me { id } } query B { me { id } }')?.message).toMatch(/several operations/);
    expect(check('query A { me { id } }', undefined, 'B')?.message).toMatch(/Unknown operation named "B"/);
  });

  it('counts the tokens of a document past the limit exactly', () => {
    expect(checkBeforeValidation(schema, { query: `{ me { ${'id '.repeat(300)}} }` }, { maxTokens: 200 })?.message).toBe(
      'tokens 305 exceeds the limit of 200',
    );
  });

  it('checks a repeated document as the first time: its measure kept per value of the variables it reads', () => {
    const settings = { maxCost: 1_000 };
    const query = 'query Q($n: Int, $after: String) { runs(first: $n, after: $after) { nodes { id } } } query R { me { id } }';
    const run = (variables?: Record<string, unknown>, operationName = 'Q') =>
      checkBeforeValidation(schema, { query, variables, operationName }, settings)?.extensions;
    for (let round = 0; round < 2; round++) {
      expect(run({ n: 10 })).toBeUndefined();
      expect(run({ n: 10, after: 'x' })).toBeUndefined();
      expect(run({ n: 2_000 })).toMatchObject({ limit: 'cost', actual: 2_001 });
      expect(run({ n: 'many' })).toBeUndefined(); // no size: the default list size
      expect(run({ n: 2_000 }, 'R')).toBeUndefined();
      expect(run({ n: 2_000 }, 'S')).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(run({})).toBeUndefined();
    }
    expect(checkBeforeValidation(schema, { query, variables: { n: 2_000 }, operationName: 'Q' })).toBeUndefined(); // other settings
  });

  it('refuses what would make validation quadratic, naming overlaps', () => {
    const refused = check(`{ ${'me { id } '.repeat(200)} }`);
    // 200 × 199 / 2 pairs of me, as many of id in the merged selection of me
    expect(refused?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'overlaps', actual: 39_800, max: 20_000 });
    expect(check(`{ ${'me { id } '.repeat(100)} }`)).toBeUndefined();
  });
});
