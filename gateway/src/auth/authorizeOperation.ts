/**
 * The federation authorization directives, @authenticated and
 * @requiresScopes, read from the supergraph and applied to an operation
 * before it is planned: fields the caller may not see are removed from the
 * document, each with an error on its path, and answered null; the rest of
 * the operation runs as asked (Apollo Router's behaviour). Pure functions of
 * (supergraph, API schema, document, caller): the Apollo Server plugin
 * (useAuthorization.ts) and any other executor (subscriptions) share them.
 *
 * Rules:
 * - A field's requirement is its own directives and those of the type it
 *   returns (a directive on a type guards every field returning it).
 *   Several directives all apply; @requiresScopes(scopes: [[a, b], [c]])
 *   asks for (a and b) or c.
 * - Scopes: `*` grants everything; `admin` implies `write`, and `write`
 *   implies `read` (SCOPE_IMPLICATIONS).
 * - A removed field whose type is non-null cannot be null: its nearest
 *   nullable parent field is answered null instead (GraphQL null bubbling),
 *   the whole `data` when none is nullable; the error stays on the removed
 *   field's path. Paths mark list levels with "@".
 * - A selection emptied by removals keeps a placeholder `__typename` under
 *   PLACEHOLDER, dropped from the answer again.
 */
import { createHash } from 'node:crypto';
import { type Caller, impliedScopes } from '@lab/shared';
import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isTypeDefinitionNode,
  isTypeExtensionNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionNode,
  type SelectionSetNode,
  type SourceLocation,
  valueFromASTUntyped,
} from 'graphql';

/** Scopes a scope brings with it (shared with the registry, which checks the scopes a key may grant). */
export { SCOPE_IMPLICATIONS } from '@lab/shared';

/** Response key of the placeholder kept in a selection that removals emptied. */
export const PLACEHOLDER = '_authorizationPlaceholder';

/** What a field or type asks of the caller: all `scopes` constraints hold, each one alternative of scope sets. */
export interface Requirement {
  authenticated: boolean;
  scopes: string[][][];
}

export interface AuthorizationPolicy {
  /** By `Type.field`. */
  fields: ReadonlyMap<string, Requirement>;
  /** By type name. */
  types: ReadonlyMap<string, Requirement>;
}

export interface Removal {
  /** Path of the removed field (response keys, "@" for each list level). */
  path: string[];
  code: 'FORBIDDEN' | 'UNAUTHENTICATED';
  message: string;
  locations: SourceLocation[] | undefined;
}

export interface AuthorizedOperation {
  /** The operation with the removed fields left out (only its operation, fragments inlined). */
  document: DocumentNode;
  removals: Removal[];
  /** Paths answered null (a removed field, or the nullable parent a non-null one bubbled to). */
  nullPaths: string[][];
  /** Paths of placeholders to drop from the answer. */
  placeholders: string[][];
  /** A removal bubbled to the root: `data` is null and nothing needs to run. */
  dataIsNull: boolean;
  /** Every root field was removed: the answer is known without running anything. */
  nothingToRun: boolean;
  /** Distinguishes this rewrite of the document from others (for plan caches). */
  signature: string;
}

const FEATURES = { authenticated: 'authenticated', requiresScopes: 'requiresScopes' } as const;

/** Reads @authenticated and @requiresScopes (under whatever names the supergraph's @link gives them). */
export function readAuthorizationPolicy(supergraphSdl: string): AuthorizationPolicy {
  const document = parse(supergraphSdl, { noLocation: true });
  const names = { authenticated: '', requiresScopes: '' };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const link of definition.directives ?? []) {
      if (link.name.value !== 'link') continue;
      const args = argsOf(link);
      const url = typeof args.url === 'string' ? args.url : '';
      for (const feature of Object.keys(FEATURES) as (keyof typeof FEATURES)[]) {
        if (url.includes(`/${FEATURES[feature]}/v`)) names[feature] = typeof args.as === 'string' ? args.as : FEATURES[feature];
      }
    }
  }
  const fields = new Map<string, Requirement>();
  const types = new Map<string, Requirement>();
  if (!names.authenticated && !names.requiresScopes) return { fields, types };
  for (const definition of document.definitions) {
    if (!isTypeDefinitionNode(definition) && !isTypeExtensionNode(definition)) continue;
    const typeName = definition.name.value;
    add(types, typeName, requirementOf(definition.directives, names));
    if ('fields' in definition && definition.kind !== Kind.INPUT_OBJECT_TYPE_DEFINITION) {
      for (const field of definition.fields ?? []) {
        if (field.kind === Kind.FIELD_DEFINITION) {
          add(fields, `${typeName}.${field.name.value}`, requirementOf(field.directives, names));
        }
      }
    }
  }
  return { fields, types };
}

function argsOf(directive: DirectiveNode): Record<string, unknown> {
  return Object.fromEntries((directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
}

function requirementOf(
  directives: readonly DirectiveNode[] | undefined,
  names: { authenticated: string; requiresScopes: string },
): Requirement | undefined {
  let requirement: Requirement | undefined;
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (name === names.authenticated) {
      requirement ??= { authenticated: false, scopes: [] };
      requirement.authenticated = true;
    } else if (name === names.requiresScopes) {
      requirement ??= { authenticated: false, scopes: [] };
      const scopes = argsOf(directive).scopes;
      if (Array.isArray(scopes))
        requirement.scopes.push(scopes.map((set) => (Array.isArray(set) ? set.map(String) : [String(set)])));
    }
  }
  return requirement;
}

function add(map: Map<string, Requirement>, key: string, requirement: Requirement | undefined): void {
  if (!requirement) return;
  const known = map.get(key);
  map.set(
    key,
    known
      ? { authenticated: known.authenticated || requirement.authenticated, scopes: [...known.scopes, ...requirement.scopes] }
      : requirement,
  );
}

/** The caller's scopes with their implications; undefined for `*` (everything). */
export function effectiveScopes(caller: Caller | undefined): ReadonlySet<string> | undefined {
  return impliedScopes(caller?.scopes ?? []);
}

/** What the caller lacks for a requirement, as an error; undefined when it is met. */
function refusal(
  coordinate: string,
  requirement: Requirement | undefined,
  caller: Caller | undefined,
  scopes: ReadonlySet<string> | undefined,
): Pick<Removal, 'code' | 'message'> | undefined {
  if (!requirement) return undefined;
  if (!caller && (requirement.authenticated || requirement.scopes.length > 0)) {
    return { code: 'UNAUTHENTICATED', message: `${coordinate} needs an authenticated caller` };
  }
  if (!scopes) return undefined;
  for (const alternatives of requirement.scopes) {
    if (alternatives.some((set) => set.every((scope) => scopes.has(scope)))) continue;
    const wanted = alternatives.map((set) => set.join(' and ')).join(', or ');
    return { code: 'FORBIDDEN', message: `${coordinate} needs the scope ${wanted}; the caller's scopes do not grant it` };
  }
  return undefined;
}

/** A cache key for the caller's rights: operations rewrite identically for equal keys. */
export function rightsKey(caller: Caller | undefined): string {
  if (!caller) return '-';
  const scopes = effectiveScopes(caller);
  return scopes ? [...scopes].sort().join(' ') : '*';
}

/** Whether the policy guards anything at all (when not, no operation needs walking). */
export const policyIsEmpty = (policy: AuthorizationPolicy) => policy.fields.size === 0 && policy.types.size === 0;

/**
 * The operation as the caller may run it, or undefined when nothing is removed
 * (the common case: run the document as it is).
 */
export function authorizeOperation(input: {
  schema: GraphQLSchema;
  policy: AuthorizationPolicy;
  document: DocumentNode;
  operationName?: string | null;
  caller: Caller | undefined;
}): AuthorizedOperation | undefined {
  const { schema, policy, document, caller } = input;
  const operation = getOperationAST(document, input.operationName ?? undefined);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return undefined;
  const scopes = effectiveScopes(caller);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  const removals = new Map<string, Removal>();
  const nullPaths = new Map<string, string[]>();
  const placeholders = new Map<string, string[]>();
  const remember = (map: Map<string, string[]>, path: string[]) => map.set(path.join('\u0000'), path);

  /** The selection set as allowed; `failed` when a non-null field in it had to go (its parent must be null). */
  function walk(set: SelectionSetNode, parent: GraphQLCompositeType, path: string[]): { set: SelectionSetNode; failed: boolean } {
    let failed = false;
    const kept: SelectionNode[] = [];
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const result = field(selection, parent, path);
        if (result.failed) failed = true;
        if (result.node) kept.push(result.node);
        continue;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
      if (!fragment) continue;
      const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent;
      if (!condition || !isCompositeType(condition)) continue;
      const inner = walk(fragment.selectionSet, condition, path);
      if (inner.failed) failed = true;
      if (inner.set.selections.length === 0) continue;
      kept.push({
        kind: Kind.INLINE_FRAGMENT,
        ...(fragment.typeCondition ? { typeCondition: fragment.typeCondition } : {}),
        directives: selection.directives ?? [],
        selectionSet: inner.set,
      });
    }
    return { set: { kind: Kind.SELECTION_SET, selections: kept }, failed };
  }

  function field(node: FieldNode, parent: GraphQLCompositeType, path: string[]): { node?: FieldNode; failed: boolean } {
    const name = node.name.value;
    const definition: GraphQLField<unknown, unknown> | undefined =
      isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    if (!definition) return { node, failed: false }; // __typename, introspection
    const key = node.alias?.value ?? name;
    const fieldPath = [...path, key];
    const named = getNamedType(definition.type);
    const denied =
      refusal(`${parent.name}.${name}`, policy.fields.get(`${parent.name}.${name}`), caller, scopes) ??
      refusal(named.name, policy.types.get(named.name), caller, scopes);
    if (denied) {
      const at = fieldPath.join('\u0000');
      if (!removals.has(at)) removals.set(at, { path: fieldPath, ...denied, locations: locationOf(node) });
      return settle(definition.type, fieldPath);
    }
    if (!node.selectionSet || !isCompositeType(named)) return { node, failed: false };
    const inner = walk(node.selectionSet, named, [...fieldPath, ...listLevels(definition.type)]);
    if (inner.failed) return settle(definition.type, fieldPath);
    let selectionSet = inner.set;
    if (selectionSet.selections.length === 0) {
      remember(placeholders, [...fieldPath, ...listLevels(definition.type), PLACEHOLDER]);
      selectionSet = { kind: Kind.SELECTION_SET, selections: [placeholderField] };
    }
    return { node: { ...node, selectionSet }, failed: false };
  }

  /** A field that cannot be answered: null when its type allows, else its parent fails. */
  function settle(type: GraphQLOutputType, fieldPath: string[]): { failed: boolean } {
    if (isNonNullType(type)) return { failed: true };
    remember(nullPaths, fieldPath);
    return { failed: false };
  }

  const result = walk(operation.selectionSet, root, []);
  if (removals.size === 0) return undefined;
  const rewritten: OperationDefinitionNode = { ...operation, selectionSet: result.set };
  const removed = [...removals.values()];
  return {
    document: { kind: Kind.DOCUMENT, definitions: [rewritten] },
    removals: removed,
    nullPaths: result.failed ? [] : [...nullPaths.values()],
    placeholders: [...placeholders.values()],
    dataIsNull: result.failed,
    nothingToRun: result.failed || result.set.selections.length === 0,
    signature: createHash('sha256')
      .update(removed.map((r) => r.path.join('.')).join('\n'))
      .digest('hex'),
  };
}

const placeholderField: FieldNode = {
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: PLACEHOLDER },
  name: { kind: Kind.NAME, value: '__typename' },
};

/** "@" for each list level of a type. */
function listLevels(type: GraphQLOutputType): string[] {
  const levels: string[] = [];
  let current: GraphQLOutputType = type;
  for (;;) {
    if (isNonNullType(current)) current = current.ofType;
    else if (isListType(current)) {
      levels.push('@');
      current = current.ofType;
    } else return levels;
  }
}

function locationOf(node: FieldNode): SourceLocation[] | undefined {
  const loc = node.loc;
  if (!loc) return undefined;
  const before = loc.source.body.slice(0, loc.start).split(/\r\n|[\n\r]/g);
  return [{ line: before.length, column: (before.at(-1)?.length ?? 0) + 1 }];
}

/** Visits each object at `path` ("@" walks into lists) and calls `fn` with it and the last key. */
export function atPath(value: unknown, path: string[], fn: (parent: Record<string, unknown>, key: string) => void, i = 0): void {
  if (value === null || value === undefined || i >= path.length) return;
  const segment = path[i] as string;
  if (segment === '@') {
    if (Array.isArray(value)) for (const item of value) atPath(item, path, fn, i + 1);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return;
  const object = value as Record<string, unknown>;
  if (i === path.length - 1) fn(object, segment);
  else atPath(object[segment], path, fn, i + 1);
}

/** The answer with the removed fields null (or data null) and the placeholders dropped; mutates `data`. */
export function completeAnswer(
  authorized: AuthorizedOperation,
  data: Record<string, unknown> | null | undefined,
): Record<string, unknown> | null | undefined {
  if (authorized.dataIsNull) return null;
  if (data === null || data === undefined) return data;
  for (const path of authorized.placeholders) atPath(data, path, (parent, key) => delete parent[key]);
  for (const path of authorized.nullPaths) atPath(data, path, (parent, key) => (parent[key] = null));
  return data;
}
