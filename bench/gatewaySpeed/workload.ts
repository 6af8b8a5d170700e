/**
 * What the gateway-speed benchmark sends, and the load driver that checks
 * every answer.
 *
 * - HEAVY_QUERY: the public benchmark's heavy nested query (about 87 KB of
 *   JSON per answer), the same request from every connection.
 * - MIX: sixteen requests of varied selections and arguments (the heavy
 *   query, top products of 1 to 9 with inventory and reviews, each user by
 *   id with reviews and products, lighter lists, literal and variable
 *   arguments), as a lab's callers send them; each connection is its own
 *   caller (its own API key) and walks the mix from its own starting point.
 *
 * drive() runs autocannon and compares each answer's body with the verified
 * body of that request (the stock gateway's answer, checked to hold no
 * errors and to be what our gateway answers too): any difference counts as a
 * partial answer.
 */
import autocannon from 'autocannon';
import { type LoadResult, percentile } from '../harness';

const FRAGMENTS = `fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }`;

export const HEAVY_QUERY = `${FRAGMENTS}
query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
      }
    }
  }
  topProducts {
    ...Product
    reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
  }
}`;

const TOP_PRODUCTS = `query TopProducts($first: Int) {
  topProducts(first: $first) {
    upc name price weight inStock shippingEstimate
    reviews { id body author { id username reviews { id product { upc name } } } }
  }
}`;
const USER = `query User($id: ID!) {
  user(id: $id) {
    id name username birthday
    reviews { id body product { upc name price inStock reviews { id author { id name } } } }
  }
}`;

/** The mix's request bodies (JSON). */
export const MIX: readonly string[] = [
  { query: HEAVY_QUERY },
  ...[1, 3, 5, 9].map((first) => ({ query: TOP_PRODUCTS, variables: { first } })),
  ...['1', '2', '3', '4', '5', '6'].map((id) => ({ query: USER, variables: { id } })),
  { query: '{ users { id username reviews { body product { name shippingEstimate } } } }' },
  { query: '{ me { id name reviews { id product { upc inStock weight } } } }' },
  { query: '{ topProducts(first: 7) { name inStock } }' },
  { query: '{ topProducts(first: 2) { upc reviews { body author { name } } } }' },
  { query: `${FRAGMENTS}\nquery Users { users { ...User reviews { ...Review product { ...Product } } } }` },
].map((body) => JSON.stringify(body));

export interface DriveOptions {
  url: string;
  /** The request bodies connections walk through, and each one's verified answer body. */
  bodies: readonly string[];
  expected: readonly string[];
  /** The API key of connection i: `${apiKey}.${i % callers}`. */
  apiKey: string;
  callers: number;
  connections: number;
  durationSeconds: number;
}

export interface DriveResult extends LoadResult {
  latenciesMs: number[];
  /** Answers that were not byte for byte the verified body of their request. */
  partial: number;
  /** The first partial answer, for the error message. */
  firstPartial?: string;
}

export async function drive(options: DriveOptions): Promise<DriveResult> {
  const { bodies, expected } = options;
  const times: number[] = [];
  let partial = 0;
  let firstPartial: string | undefined;
  let clients = 0;
  interface Walk {
    client?: number;
    step?: number;
    sent?: number;
  }
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        timeout: 60,
        requests: [
          {
            method: 'POST',
            setupRequest: (req, context: Walk) => {
              if (context.client === undefined) {
                context.client = clients++;
                context.step = 0;
              }
              const step = context.step ?? 0;
              context.step = step + 1;
              const index = (context.client * 7 + step) % bodies.length;
              context.sent = index;
              return {
                ...req,
                headers: {
                  'content-type': 'application/json',
                  authorization: `Bearer ${options.apiKey}.${context.client % options.callers}`,
                },
                body: bodies[index],
              };
            },
            onResponse: (status, body, context: Walk) => {
              if (status !== 200 || body !== expected[context.sent ?? -1]) {
                partial++;
                firstPartial ??= `HTTP ${status}: ${body.slice(0, 300)}`;
              }
            },
          },
        ],
      },
      (err, done) => (err ? reject(err) : resolve(done)),
    );
    instance.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  });
  times.sort((a, b) => a - b);
  return {
    requestsPerSecond: times.length / options.durationSeconds,
    p50Ms: percentile(times, 0.5),
    p95Ms: percentile(times, 0.95),
    p99Ms: percentile(times, 0.99),
    latenciesMs: times,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    partial,
    firstPartial,
  };
}
