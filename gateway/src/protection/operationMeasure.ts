/**
 * What an operation will cost once every fragment spread is expanded, computed
 * without expanding it: each fragment is measured once (memoised, per root
 * cost of a mutation or none) and its measure added at every use, so a
 * document whose fragments each spread the previous one twice is measured in
 * time linear in the document, however many fields it expands to. (The cost
 * of a fragment depends on the size of the connection it is spread in, and
 * linearly: it is kept as `cost + perItem × size`, so one measure serves
 * every connection.)
 *
 * - depth: deepest nesting of fields (`{ me { id } }` is 2); fragments add none.
 * - aliases: aliased fields, once per use.
 * - fields: fields once per use, and each fragment spread and inline fragment
 *   as one more (a chain of fragments wrapping one field is work too).
 * - directives: directives on fields, spreads, inline fragments and the
 *   operation, once per use (`@include` repeated on a field counts each time).
 * - cost: Apollo Router's static estimate (demand control): a field returning
 *   an object, interface or union costs 1, a scalar or enum 0, a root mutation
 *   field `mutationCost`; a list multiplies its items' cost by its size, the
 *   field's `first`/`last`/`limit` argument (literal, variable or schema
 *   default); a Relay connection's size applies to its `edges` and `nodes`;
 *   any other list counts `defaultListSize` items.
 *
 * Introspection (`__schema`, `__type`) adds no depth or cost: it runs in the
 * gateway, not in a subgraph, and graphql-js' MaxIntrospectionDepthRule stops
 * recursive introspection. Its fields are counted.
 *
 * Counts are doubles: a count past 2^53 is approximate, one past 1.8e308 is
 * Infinity. Fragment cycles (refused by validation) count nothing.
 */
import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export interface OperationMeasure {
  depth: number;
  aliases: number;
  fields: number;
  directives: number;
  cost: number;
}

export interface MeasureOptions {
  /** Items assumed for a list no argument sizes. */
  defaultListSize: number;
  /** Arguments that give a list's (or a connection's) size. */
  sizeArguments: readonly string[];
  /** Cost of each root mutation field. */
  mutationCost: number;
}

/** A measure whose cost is `cost + perItem × size` of the enclosing connection. */
interface SizedMeasure extends OperationMeasure {
  perItem: number;
}

const nothing = (): SizedMeasure => ({ depth: 0, aliases: 0, fields: 0, directives: 0, cost: 0, perItem: 0 });

/** Adds a fragment's measure (spread or inline: one selection more) to `total`. */
function add(total: SizedMeasure, m: SizedMeasure, directives: number): void {
  total.depth = Math.max(total.depth, m.depth);
  total.aliases += m.aliases;
  total.fields += m.fields + 1;
  total.directives += m.directives + directives;
  total.cost += m.cost;
  total.perItem += m.perItem;
}
const countOf = (directives: readonly DirectiveNode[] | undefined) => directives?.length ?? 0;

/**
 * Depth, aliases, fields, directives and estimated cost of one operation,
 * fragments expanded. `onVariable` hears each variable read (a size argument
 * given by a variable), with its value: the measure depends on the variables
 * through those reads only.
 */
export function measureExpanded(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  options: MeasureOptions,
  onVariable?: (name: string, value: unknown) => void,
): OperationMeasure {
  const sizeArguments = new Set(options.sizeArguments);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const variableDefaults = new Map<string, ValueNode>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) variableDefaults.set(definition.variable.name.value, definition.defaultValue);
  }
  /** A fragment's measure, per root cost (none, or a mutation's). */
  const memo = new Map<string, SizedMeasure>();

  const intValue = (node: ValueNode | undefined): number | undefined => {
    if (!node) return undefined;
    if (node.kind === Kind.INT) return Number(node.value);
    if (node.kind === Kind.VARIABLE) {
      const value = variables?.[node.name.value];
      onVariable?.(node.name.value, value);
      if (typeof value === 'number') return value;
      if (value === undefined) return intValue(variableDefaults.get(node.name.value));
    }
    return undefined;
  };

  /** The size a field's arguments give it, if any. */
  const sizeOf = (node: FieldNode, field: GraphQLField<unknown, unknown>): number | undefined => {
    for (const arg of field.args) {
      if (!sizeArguments.has(arg.name)) continue;
      const given = intValue(node.arguments?.find((a) => a.name.value === arg.name)?.value);
      const size = given ?? (typeof arg.defaultValue === 'number' ? arg.defaultValue : undefined);
      if (size !== undefined && Number.isFinite(size) && size >= 0) return size;
    }
    return undefined;
  };

  const fieldOf = (parent: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined =>
    parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;

  /**
   * The measure of a selection set whose cost is `cost + perItem × size`, where
   * size is that of the enclosing connection field (its `edges` and `nodes`
   * lists take it); so a fragment is measured once, whatever connection it is
   * spread in. `rootCost` is the base cost of root fields.
   */
  const selectionSet = (set: SelectionSetNode, parent: GraphQLNamedType | undefined, rootCost?: number): SizedMeasure => {
    const total = nothing();
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        addField(total, selection, parent, rootCost);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        add(total, selectionSet(selection.selectionSet, type, rootCost), countOf(selection.directives));
      } else {
        const name = selection.name.value;
        const key = `${name}:${rootCost ?? ''}`;
        let measured = memo.get(key);
        if (!measured) {
          const fragment = fragments.get(name);
          measured = nothing();
          memo.set(key, measured); // a cycle (refused by validation) counts nothing
          if (fragment) {
            const inner = selectionSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), rootCost);
            Object.assign(measured, inner, { directives: inner.directives + countOf(fragment.directives) });
          }
        }
        add(total, measured, countOf(selection.directives));
      }
    }
    return total;
  };

  /** Adds a field and what it selects to `total` (no object per field: documents hold thousands). */
  const addField = (total: SizedMeasure, node: FieldNode, parent: GraphQLNamedType | undefined, rootCost?: number) => {
    total.fields++;
    if (node.alias) total.aliases++;
    total.directives += countOf(node.directives);
    if (!node.selectionSet) {
      total.depth = Math.max(total.depth, 1);
      return;
    }
    const name = node.name.value;
    const definition = fieldOf(parent, name);
    const type = definition && getNullableType(definition.type);
    const namedType = type && getNamedType(type);
    const inner = selectionSet(node.selectionSet, namedType);
    total.aliases += inner.aliases;
    total.fields += inner.fields;
    total.directives += inner.directives;
    if (name === '__schema' || name === '__type') return;
    total.depth = Math.max(total.depth, 1 + inner.depth);
    if (!namedType || !definition) return;
    const size = sizeOf(node, definition);
    const list = isListType(type);
    // A connection field's size reaches its edges and nodes; a list's items start afresh.
    const innerCost = inner.cost + inner.perItem * (list ? options.defaultListSize : (size ?? options.defaultListSize));
    const itemCost = (isCompositeType(namedType) ? (rootCost ?? 1) : 0) + innerCost;
    if (!list) total.cost += itemCost;
    else if (size !== undefined) total.cost += size * itemCost;
    else if (name === 'edges' || name === 'nodes') total.perItem += itemCost;
    else total.cost += options.defaultListSize * itemCost;
  };

  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  const { perItem, ...measured } = selectionSet(
    operation.selectionSet,
    root ?? undefined,
    operation.operation === 'mutation' ? options.mutationCost : undefined,
  );
  const variableDirectives = (operation.variableDefinitions ?? []).reduce((n, v) => n + countOf(v.directives), 0);
  return {
    ...measured,
    directives: measured.directives + countOf(operation.directives) + variableDirectives,
    cost: measured.cost + perItem * options.defaultListSize,
  };
}
