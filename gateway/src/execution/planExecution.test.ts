/**
 * The gateway's plan execution answers exactly what Apollo Gateway's executor
 * answers, byte for byte, errors included: both run the same operations
 * against the same two subgraphs (real HTTP servers), including answers a
 * subgraph should never give (a null where the schema promises a value, an
 * unknown enum value, an unknown __typename) and subgraph errors inside
 * entity fetches.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger } from '@lab/shared';
import { execute, GraphQLError, parse } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../context';
import { createGatewayExecutor, type GatewayExecutor } from './gatewayExecutor';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])';

const PRODUCTS = [
  { id: '1', name: 'Table', price: 899, kind: 'FURNITURE' },
  { id: '2', name: 'Couch', price: 1299, kind: 'FURNITURE' },
  { id: '3', name: 'Kite', price: 15, kind: 'TOY' },
];
const GIFTS = [{ id: 'g1', name: 'Socks', wrapped: true }];

const SUBGRAPHS = {
  products: {
    typeDefs: `${LINK}
      enum Kind { FURNITURE TOY }
      interface Item { id: ID! name: String }
      type Product implements Item @key(fields: "id") { id: ID! name: String price: Int kind: Kind label: String! }
      type Gift implements Item { id: ID! name: String wrapped: Boolean }
      union Thing = Product | Gift
      type Query { products(first: Int): [Product] product(id: ID!): Product items: [Item!]! things: [Thing] }
      type Mutation { rename(id: ID!, name: String!): Product }`,
    resolvers: {
      Query: {
        products: (_: unknown, { first }: { first?: number }) => PRODUCTS.slice(0, first ?? PRODUCTS.length),
        product: (_: unknown, { id }: { id: string }) => PRODUCTS.find((p) => p.id === id),
        items: () => [...PRODUCTS, ...GIFTS],
        things: () => [PRODUCTS[0], GIFTS[0], null],
      },
      Mutation: {
        rename: (_: unknown, { id, name }: { id: string; name: string }) => ({ ...PRODUCTS.find((p) => p.id === id), name }),
      },
      Item: { __resolveType: (item: { wrapped?: boolean }) => (item.wrapped === undefined ? 'Product' : 'Gift') },
      Thing: { __resolveType: (item: { wrapped?: boolean }) => (item.wrapped === undefined ? 'Product' : 'Gift') },
      Product: {
        __resolveReference: (ref: { id: string }) => PRODUCTS.find((p) => p.id === ref.id),
        label: (p: { name: string }) => p.name.toUpperCase(),
      },
    },
  },
  reviews: {
    typeDefs: `${LINK}
      type Product @key(fields: "id") { id: ID! reviews(min: Int = 0): [Review!] topReview: Review }
      type Review { id: ID! body: String! stars: Int }`,
    resolvers: {
      Product: {
        __resolveReference: (ref: { id: string }) => ref,
        reviews: (p: { id: string }, { min }: { min: number }) => {
          if (p.id === '2') throw new GraphQLError('reviews are down for 2', { extensions: { code: 'REVIEWS_DOWN' } });
          return [1, 2, 3]
            .filter((s) => s >= min)
            .map((stars) => ({ id: `${p.id}-${stars}`, body: `review ${stars} of ${p.id}`, stars }));
        },
        topReview: (p: { id: string }) => (p.id === '3' ? null : { id: `${p.id}-top`, body: 'best', stars: 3 }),
      },
    },
  },
};

/** Rewrites a subgraph's answer before it is sent, for answers a subgraph should never give. */
let tamper: ((service: string, answer: { data?: Record<string, unknown> }) => void) | undefined;
const servers: http.Server[] = [];
const urls: Record<string, string> = {};

async function serve(name: keyof typeof SUBGRAPHS): Promise<void> {
  const { typeDefs, resolvers } = SUBGRAPHS[name];
  const schema = buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers: resolvers as never });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const { query, variables } = JSON.parse(Buffer.concat(chunks).toString()) as {
        query: string;
        variables?: Record<string, unknown>;
      };
      const answer = (await execute({ schema, document: parse(query), variableValues: variables })) as {
        data?: Record<string, unknown>;
      };
      tamper?.(name, answer);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

let ours: { apollo: ApolloServer<GatewayContext>; executor: GatewayExecutor };
let apollos: { apollo: ApolloServer<GatewayContext>; executor: GatewayExecutor };

async function gateway(planExecution: boolean) {
  const result = composeServices(
    Object.entries(SUBGRAPHS).map(([name, { typeDefs }]) => ({ name, typeDefs: parse(typeDefs), url: urls[name] })),
  );
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('; '));
  const log = createLogger('plan-execution-test', { logLevel: 'silent', logFormat: 'json' });
  const executor = createGatewayExecutor({
    supergraphSdl: result.supergraphSdl,
    subgraphUrls: urls,
    secret: 's'.repeat(32),
    log,
    dedupe: false,
    planExecution,
  });
  const apollo = new ApolloServer<GatewayContext>({ gateway: executor.gateway, includeStacktraceInErrorResponses: false });
  await apollo.start();
  return { apollo, executor };
}

beforeAll(async () => {
  await serve('products');
  await serve('reviews');
  ours = await gateway(true);
  apollos = await gateway(false);
});

afterAll(async () => {
  for (const g of [ours, apollos]) {
    await g?.apollo.stop();
    g?.executor.close();
  }
  for (const s of servers) s.close();
});

beforeEach(() => {
  tamper = undefined;
});

const log = createLogger('plan-execution-test', { logLevel: 'silent', logFormat: 'json' });
const contextValue = (): GatewayContext => ({ requestId: 'r1', caller: { id: 'u1', kind: 'user', scopes: ['*'] }, log });

async function answer(g: typeof ours, query: string, variables?: Record<string, unknown>): Promise<string> {
  const response = await g.apollo.executeOperation({ query, variables }, { contextValue: contextValue() });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return JSON.stringify(response.body.singleResult);
}

/**
 * Both executors' answers, which must be the same text; `by` says which executor ours used: its own
 * plan execution, or Apollo's for what it leaves.
 */
async function both(query: string, variables?: Record<string, unknown>, by: 'here' | 'byApollo' = 'here') {
  const executed = ours.executor.planExecution?.executed ?? { here: 0, byApollo: 0 };
  const before = executed[by];
  const [mine, theirs] = [await answer(ours, query, variables), await answer(apollos, query, variables)];
  expect(mine).toBe(theirs);
  expect(executed[by]).toBe(before + 1);
  return JSON.parse(mine) as Record<string, unknown>;
}

describe('plan execution answers as Apollo Gateway does', () => {
  it('entity fetches across subgraphs, aliases, a field asked twice, arguments with defaults', async () => {
    const result = await both(
      `query($first: Int) {
      products(first: $first) { id name cheap: price reviews { stars } reviews { body } best: reviews(min: 3) { id } topReview { body } }
      one: product(id: "3") { label kind topReview { id } }
    }`,
      { first: 2 },
    );
    expect(result.errors).toBeDefined(); // product 2's reviews fail in the reviews subgraph
    expect(JSON.stringify(result)).toContain('"path":["products",1,"reviews"]');
  });

  it('interfaces, unions, inline and named fragments, __typename under aliases', async () => {
    const result = await both(`fragment P on Product { price kind reviews { stars } }
      query {
        items { __typename id ... on Product { ...P name } ... on Gift { wrapped what: __typename } }
        things { t: __typename ... on Item { name } ...P ... on Gift { id } }
      }`);
    // Product 2's reviews fail, wherever they are asked.
    expect(JSON.stringify(result.errors)).toContain('"path":["items",1,"reviews"]');
    expect(JSON.stringify(result.data)).toContain('"wrapped":true,"what":"Gift"');
  });

  it('@skip and @include by literal, by variable and by a variable default', async () => {
    for (const variables of [{}, { yes: false }, { yes: true, no: true }]) {
      await both(
        `query($yes: Boolean = true, $no: Boolean = false) {
          products { id name @include(if: $yes) price @skip(if: $no) kind @skip(if: true) ... @include(if: $no) { label } reviews { stars } }
        }`,
        variables,
      );
      // A condition on a field of another subgraph makes a conditional plan.
      await both('query($yes: Boolean = true) { products { id reviews @include(if: $yes) { stars } } }', variables);
      await both('query($no: Boolean = false) { products { id topReview @skip(if: $no) { stars } } }', variables);
    }
  });

  it('a null where the schema promises a value nulls the nearest nullable field, with the error Apollo reports', async () => {
    tamper = (service, answer) => {
      const products = answer.data?.products as { label?: unknown }[] | undefined;
      if (service === 'products' && products?.[1]) products[1].label = null;
    };
    const result = await both('{ products { id label } }');
    expect(JSON.stringify(result)).toContain('Cannot return null for non-nullable field Product.label.');
  });

  it('a leaf value of the wrong type, an unknown __typename', async () => {
    tamper = (service, answer) => {
      const products = answer.data?.products as Record<string, unknown>[] | undefined;
      if (service !== 'products' || !products) return;
      products[0] = { ...products[0], kind: 'SPACESHIP', price: 'cheap' };
      products[2] = { ...products[2], __typename: 'Spaceship' };
    };
    const result = await both('{ products { __typename id kind price } }');
    expect(JSON.stringify(result)).toContain('Invalid value found for field Product.kind.');
  });

  it('an entity answer of the wrong length, a subgraph answering no data', async () => {
    tamper = (service, answer) => {
      if (service === 'reviews' && answer.data) (answer.data._entities as unknown[]).pop();
    };
    await both('{ products { id topReview { stars } } }');
    tamper = (service, answer) => {
      if (service === 'reviews') answer.data = undefined;
    };
    await both('{ products { id topReview { stars } } }');
  });

  it('variables of the wrong type, a mutation, introspection (left to Apollo)', async () => {
    await both('query($first: Int) { products(first: $first) { id } }', { first: 'two' });
    await both('mutation { rename(id: "1", name: "Desk") { id name reviews { stars } } }');
    await both('{ __schema { queryType { name } } products { id } }', undefined, 'byApollo');
    // The planner renames a field whose alias collides in one subgraph operation, and renames it back after.
    await both('{ items { ... on Product { kind } ... on Gift { kind: __typename } } }', undefined, 'byApollo');
  });
});
