import { buildSchema, getIntrospectionQuery, getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { countTokens, exceededLimit, limitError, measureOperation, OPERATION_LIMIT_DEFAULTS } from './useOperationLimits';

const schema = buildSchema(`
  type Query {
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

  it('gives introspection no depth and no cost, so GraphiQL loads the schema', () => {
    for (const query of [
      getIntrospectionQuery(),
      getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, schemaDescription: true, specifiedByUrl: true }),
    ]) {
      const m = measure(query);
      expect(m).toEqual({ depth: 0, aliases: 0, cost: 0 });
      expect(countTokens(query)).toBeLessThan(OPERATION_LIMIT_DEFAULTS.maxTokens);
    }
    expect(measure('{ __typename me { id } }').depth).toBe(2);
  });
});

describe('exceededLimit', () => {
  it('names the first exceeded limit, in the order depth, aliases, cost; 0 turns a check off', () => {
    expect(exceededLimit({ depth: 14, aliases: 40, cost: 1 })).toEqual({ limit: 'depth', actual: 14, max: 12 });
    expect(exceededLimit({ depth: 1, aliases: 31, cost: 1 })).toEqual({ limit: 'aliases', actual: 31, max: 30 });
    expect(exceededLimit({ depth: 1, aliases: 0, cost: 50_001 })).toEqual({ limit: 'cost', actual: 50_001, max: 50_000 });
    expect(exceededLimit({ depth: 12, aliases: 30, cost: 50_000 })).toBeUndefined();
    expect(exceededLimit({ depth: 99, aliases: 0, cost: 0 }, { maxDepth: 0 })).toBeUndefined();
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
