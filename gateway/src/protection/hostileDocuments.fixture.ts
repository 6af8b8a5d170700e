/**
 * Test-only: generated documents of about a kilobyte or a few that pass a
 * naive per-fragment measure but expand to exponential work, or make
 * graphql-js validation quadratic, against the stand-in schema of
 * standInGateway.fixture.ts (User, users(first), search(filter: JSON),
 * Subscription.userChanged). Each names the limit that must refuse it.
 */
import type { LimitName } from './operationChecks';

export interface HostileDocument {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /** The limit the default configuration refuses it with. */
  limit: LimitName;
}

const times = (n: number, item: (i: number) => string, separator = ' ') =>
  Array.from({ length: n }, (_, i) => item(i)).join(separator);

/** Fragments F0..F(levels-1) on `type`, each spreading the next `body(next)`, the last holding `leaf`. */
export function doublingFragments(
  levels: number,
  leaf = 'id name',
  body = (next: string) => `${next} ${next}`,
  type = 'User',
): string {
  return times(levels, (i) => `fragment F${i} on ${type} { ${i + 1 < levels ? body(`...F${i + 1}`) : leaf} }`);
}

const nested = (levels: number, open: string, inner: string) => `${open.repeat(levels)} ${inner} ${'} '.repeat(levels)}`;

export function hostileDocuments(): HostileDocument[] {
  return [
    ...[20, 29, 40].map((levels) => ({
      name: `fragments each spreading the previous one twice, ${levels} levels`,
      query: `{ me { ...F0 } } ${doublingFragments(levels)}`,
      limit: 'fields' as const,
    })),
    {
      name: 'doubling fragments with an alias at each level',
      query: `{ me { ...F0 } } ${doublingFragments(30, 'id', (next) => `a: id ${next} ${next}`)}`,
      limit: 'aliases',
    },
    {
      name: 'spreads inside aliased lists',
      query: `{ ${times(10, (i) => `l${i}: users(first: 100) { edges { node { ...F0 } } }`)} } ${doublingFragments(14)}`,
      limit: 'fields',
    },
    {
      name: 'aliased lists of lists',
      query: `{ ${times(10, (i) => `l${i}: users(first: 100) { edges { node { friends(first: 100) { edges { node { id } } } } } }`)} }`,
      limit: 'cost',
    },
    {
      name: 'inline fragments repeated in one selection',
      query: `{ me { ${times(600, () => '... on User { id name }')} } }`,
      limit: 'overlaps',
    },
    {
      name: 'inline fragments doubling through fragments',
      query: `{ me { ...F0 } } ${doublingFragments(24, 'id', (next) => `... on User { ${next} } ... on User { ${next} }`)}`,
      limit: 'fields',
    },
    {
      name: 'a chain of nested inline fragments spread a thousand times',
      query: `{ me { ...F0 } } ${doublingFragments(10, nested(300, '... on User { ', 'id'))}`,
      limit: 'fields',
    },
    {
      name: '@include repeated 700 times on a field',
      query: `{ me { id ${'@include(if: true) '.repeat(700)} } }`,
      limit: 'directives',
    },
    {
      name: '2,000 different directives on a field',
      query: `{ me { id ${times(2000, (i) => `@d${i}`)} } }`,
      limit: 'directives',
    },
    {
      name: 'directives multiplied through fragments',
      query: `{ me { ...F0 } } ${doublingFragments(6, 'id @include(if: true) @skip(if: false)')}`,
      limit: 'directives',
    },
    {
      name: 'the same field a thousand times',
      query: `{ ${'me { id } '.repeat(1000)} }`,
      limit: 'overlaps',
    },
    {
      name: '500 fragments spread side by side',
      query: `{ me { ${times(500, (i) => `...F${i}`)} } } ${times(500, (i) => `fragment F${i} on User { id }`)}`,
      limit: 'overlaps',
    },
    {
      name: 'a subscription with doubling fragments',
      query: `subscription { userChanged { ...F0 } } ${doublingFragments(29)}`,
      limit: 'fields',
    },
    {
      name: 'fields nested 41 deep',
      query: `{ me { ${'friends { edges { node { '.repeat(13)} id ${'} } } '.repeat(13)} } }`,
      limit: 'depth',
    },
    {
      name: 'a JSON literal nested 40 deep',
      query: `{ search(filter: ${'{ a: '.repeat(40)}1${' }'.repeat(40)}) { id } }`,
      limit: 'valueDepth',
    },
  ];
}
