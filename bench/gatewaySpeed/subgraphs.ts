/**
 * The four subgraphs of the public graphql-gateways-benchmark workload
 * (accounts, inventory, products, reviews), with its static data, as small
 * as possible so the gateway, not the subgraphs, is what the load measures:
 * each is @apollo/subgraph's schema executed by graphql-js behind node:http,
 * parsing and validating each distinct document once.
 *
 * The original subgraphs are Federation 1 SDL (`extend type`); these are the
 * same types in Federation 2 SDL, composing to the same supergraph. One
 * difference: the original inventory ignores the `price`/`weight` its
 * `@requires` receives and answers shippingEstimate null; this one computes
 * it from them (the gateway's work is the same either way).
 *
 * They ignore the gateway's signed caller header: this is a benchmark of the
 * gateway, and the bench's stock gateway sends none.
 *
 * Each keeps Node's default keep-alive timeout (5 s), as most servers do
 * (BENCH_SUBGRAPH_KEEPALIVE_MS sets another).
 *
 * Run as a process of its own (`node --import tsx subgraphs.ts`): it prints
 * one JSON line `{ "accounts": url, ..., "sink": url }` once all four listen;
 * the sink answers every request 204 (the gateway's API usage records go there).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap';
import { type DocumentNode, execute, type GraphQLSchema, parse, validate } from 'graphql';

const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@provides", "@shareable"])';

interface User {
  id: string;
  name?: string;
  username?: string;
  birthday?: number;
}
interface Product {
  upc: string;
  name?: string;
  price?: number | null;
  weight?: number | null;
}
interface Review {
  id: string;
  body: string;
  product: { upc: string };
}

const USERS: User[] = [
  { id: '1', name: 'Uri Goldshtein', username: 'urigo', birthday: 1234567890 },
  { id: '2', name: 'Dotan Simha', username: 'dotansimha', birthday: 1234567890 },
  { id: '3', name: 'Kamil Kisiela', username: 'kamilkisiela', birthday: 1234567890 },
  { id: '4', name: 'Arda Tanrikulu', username: 'ardatan', birthday: 1234567890 },
  { id: '5', name: 'Gil Gardosh', username: 'gilgardosh', birthday: 1234567890 },
  { id: '6', name: 'Laurin Quast', username: 'laurin', birthday: 1234567890 },
];

const PRODUCTS: Required<Product>[] = [
  { upc: '1', name: 'Table', price: 899, weight: 100 },
  { upc: '2', name: 'Couch', price: 1299, weight: 1000 },
  { upc: '3', name: 'Glass', price: 15, weight: 20 },
  { upc: '4', name: 'Chair', price: 499, weight: 100 },
  { upc: '5', name: 'TV', price: 1299, weight: 1000 },
  { upc: '6', name: 'Lamp', price: 6999, weight: 300 },
  { upc: '7', name: 'Grill', price: 3999, weight: 2000 },
  { upc: '8', name: 'Fridge', price: 100000, weight: 6000 },
  { upc: '9', name: 'Sofa', price: 9999, weight: 800 },
];

const IN_STOCK = new Set(['1', '5', '6', '7', '9']);

const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.';
const SED_UT =
  'Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo. Nemo enim ipsam voluptatem quia voluptas sit aspernatur aut odit aut fugi';
const SED_QUIA =
  'sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. Neque porro quisquam est, qui dolorem ipsum quia dolor sit amet, consectetur, adipisci velit, sed quia non numquam eius modi tempora incidunt ut labore et dolore magnam aliquam quaerat voluptatem.';
const UT_ENIM =
  'Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit laboriosam, nisi ut aliquid ex ea commodi consequatur? Quis autem';
const AT_VERO =
  'At vero eos et accusamus et iusto odio dignissimos ducimus qui blanditiis praesentium voluptatum deleniti atque corrupti quos dolores et quas molestias excepturi sint occaecati cupiditate non provident, similique sunt in culpa qui officia deserunt mollitia animi, id est laborum et dolorum fuga. Et harum quidem rerum facilis est et expedita distinctio. Nam libero tempore, cum soluta nobis est eligendi optio cumque nihil impedit quo minus id quod maxime placeat facere possimus, omnis voluptas assumenda est, omnis dolor repellendus. Temporibus autem quibusdam et aut officiis debitis aut rerum necessitatibus saepe eveniet ut et voluptates repudiandae sint et molestiae non recusandae. Itaque earum rerum hic tenetur a sapiente delectus, ut aut reiciendis voluptatibus maiores alias consequatur aut perferendis doloribus asperiores repellat.';

const REVIEWS: Review[] = [
  [LOREM, '1'],
  [SED_UT, '1'],
  [SED_QUIA, '1'],
  [UT_ENIM, '1'],
  [LOREM, '2'],
  [SED_UT, '2'],
  [SED_QUIA, '2'],
  [UT_ENIM, '2'],
  [UT_ENIM, '3'],
  [UT_ENIM, '4'],
  [AT_VERO, '4'],
].map(([body, upc], i) => ({ id: String(i + 1), body: body as string, product: { upc: upc as string } }));

interface SubgraphDefinition {
  typeDefs: string;
  resolvers: GraphQLResolverMap<unknown>;
}

export const SUBGRAPHS: Record<'accounts' | 'inventory' | 'products' | 'reviews', SubgraphDefinition> = {
  accounts: {
    typeDefs: `${LINK}
      type Query { me: User user(id: ID!): User users: [User] }
      type User @key(fields: "id") { id: ID! name: String username: String @shareable birthday: Int }`,
    resolvers: {
      Query: {
        me: () => USERS[0],
        user: (_: unknown, { id }: { id: string }) => USERS.find((u) => u.id === id),
        users: () => USERS,
      },
      User: { __resolveReference: (ref: { id: string }) => USERS.find((u) => u.id === ref.id) },
    },
  },
  inventory: {
    typeDefs: `${LINK}
      type Product @key(fields: "upc") {
        upc: String!
        weight: Int @external
        price: Int @external
        inStock: Boolean
        shippingEstimate: Int @requires(fields: "price weight")
      }`,
    resolvers: {
      Product: {
        __resolveReference: (ref: Product) => ({ ...ref, inStock: IN_STOCK.has(ref.upc) }),
        shippingEstimate: (p: Product) => {
          if (p.price == null) return null;
          if (p.price > 1000) return 0;
          return p.weight == null ? null : Math.floor(p.weight / 2);
        },
      },
    },
  },
  products: {
    typeDefs: `${LINK}
      type Query { topProducts(first: Int = 5): [Product] }
      type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }`,
    resolvers: {
      Query: { topProducts: (_: unknown, { first }: { first?: number }) => PRODUCTS.slice(0, first ?? 5) },
      Product: { __resolveReference: (ref: { upc: string }) => PRODUCTS.find((p) => p.upc === ref.upc) },
    },
  },
  reviews: {
    typeDefs: `${LINK}
      type Review @key(fields: "id") { id: ID! body: String product: Product author: User @provides(fields: "username") }
      type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
      type Product @key(fields: "upc") { upc: String! reviews: [Review] }`,
    resolvers: {
      Review: {
        __resolveReference: (ref: { id: string }) => REVIEWS.find((r) => r.id === ref.id),
        author: () => ({ id: '1', username: 'urigo' }),
      },
      User: {
        __resolveReference: (ref: { id: string }) => ({ id: ref.id, username: 'user' }),
        reviews: () => REVIEWS.slice(0, 2),
      },
      Product: {
        __resolveReference: (ref: { upc: string }) => ({ upc: ref.upc }),
        reviews: (p: { upc: string }) => REVIEWS.filter((r) => r.product.upc === p.upc),
      },
    },
  },
};

export type BenchSubgraphName = keyof typeof SUBGRAPHS;

/** One subgraph on node:http: POST /graphql with a JSON body. */
function serve(schema: GraphQLSchema): http.Server {
  const documents = new Map<string, DocumentNode | readonly Error[]>();
  const prepare = (query: string) => {
    let prepared = documents.get(query);
    if (!prepared) {
      try {
        const document = parse(query);
        const errors = validate(schema, document);
        prepared = errors.length > 0 ? errors : document;
      } catch (err) {
        prepared = [err as Error];
      }
      documents.set(query, prepared);
    }
    return prepared;
  };
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      let status = 200;
      let result: unknown;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          query: string;
          variables?: Record<string, unknown>;
          operationName?: string;
        };
        const prepared = prepare(body.query);
        result = Array.isArray(prepared)
          ? { errors: prepared.map((e) => ({ message: e.message })) }
          : await execute({
              schema,
              document: prepared as DocumentNode,
              variableValues: body.variables,
              operationName: body.operationName,
            });
      } catch (err) {
        status = 400;
        result = { errors: [{ message: (err as Error).message }] };
      }
      const json = JSON.stringify(result);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(json);
    });
  });
}

export function subgraphSchema(name: BenchSubgraphName): GraphQLSchema {
  const { typeDefs, resolvers } = SUBGRAPHS[name];
  return buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers });
}

async function main() {
  const urls: Record<string, string> = {};
  for (const name of Object.keys(SUBGRAPHS) as BenchSubgraphName[]) {
    const server = serve(subgraphSchema(name));
    if (process.env.BENCH_SUBGRAPH_KEEPALIVE_MS) server.keepAliveTimeout = Number(process.env.BENCH_SUBGRAPH_KEEPALIVE_MS);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  }
  const sink = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  urls.sink = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  process.stdout.write(`${JSON.stringify(urls)}\n`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await main();
