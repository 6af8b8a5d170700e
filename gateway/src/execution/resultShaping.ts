/**
 * The client's answer cut from what the subgraphs returned, compiled once per
 * operation: the same rules as Apollo Gateway's result shaping (fields in the
 * order the operation asks them, aliases, `__typename`, type conditions,
 * @skip/@include, null propagation to the nearest nullable field, a leaf value
 * of the wrong type answered null with an error), with everything that does
 * not depend on the data worked out before the first request: response names,
 * field types, which types a fragment applies to, where skip/include read
 * their condition. Apollo's version looks all of that up again for every
 * object of every answer.
 *
 * compileShaping() answers undefined for what it does not shape (introspection
 * fields, an alias no plain object can hold); planExecution.ts then leaves the
 * request to Apollo's executor.
 */
import { ERRORS } from '@apollo/federation-internals';
import {
  type DirectiveNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  GraphQLEnumType,
  type GraphQLError,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLOutputType,
  GraphQLScalarType,
  type GraphQLSchema,
  GraphQLUnionType,
  isCompositeType,
  isInterfaceType,
  isUnionType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

type ResponsePath = (string | number)[];
type Data = Record<string, unknown>;

/** A skip or include condition: a literal, or the variable it reads. */
type Condition = boolean | string;

interface FieldStep {
  kind: 'field';
  responseName: string;
  skip: Condition | undefined;
  include: Condition | undefined;
  /** Undefined for `__typename`. */
  type: GraphQLOutputType | undefined;
  selection: Step[] | undefined;
}

interface FragmentStep {
  kind: 'fragment';
  skip: Condition | undefined;
  include: Condition | undefined;
  /** The type condition, and the names of the types it applies to (itself, its members, its implementations). */
  condition: { type: GraphQLCompositeType; accepts: Set<string> } | undefined;
  selection: Step[];
}

type Step = FieldStep | FragmentStep;

export interface Shaping {
  /** The answer's data and the errors met shaping it; throws where Apollo's shaping asserts. */
  shape(input: Data, variables: Record<string, unknown> | undefined): { data: Data | null; errors: GraphQLError[] };
}

const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);
const BUILT_IN_SCALARS = new Set(['Int', 'Float', 'String', 'Boolean', 'ID']);
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
const hasOwn = (object: object, key: string) => Object.hasOwn(object, key);

// Plain instanceof while shaping: graphql-js' is*Type functions do more than that outside production mode.
const objectType = (type: unknown): type is GraphQLObjectType => type instanceof GraphQLObjectType;
const composite = (type: unknown): type is GraphQLCompositeType =>
  type instanceof GraphQLObjectType || type instanceof GraphQLInterfaceType || type instanceof GraphQLUnionType;
const scalar = (type: unknown): type is GraphQLScalarType => type instanceof GraphQLScalarType;
const enumType = (type: unknown): type is GraphQLEnumType => type instanceof GraphQLEnumType;

class Unsupported extends Error {}

/** The shaping of one operation over the API schema, or undefined where Apollo's executor should do it. */
export function compileShaping(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): Shaping | undefined {
  const root = schema.getRootType(operation.operation);
  if (!root) return undefined;
  const compiledFragments = new Map<string, Step[]>();

  const conditionOf = (directives: readonly DirectiveNode[] | undefined, name: string): Condition | undefined => {
    const directive = directives?.find((d) => d.name.value === name);
    const value = directive?.arguments?.find((a) => a.name.value === 'if')?.value;
    if (!value) return undefined;
    if (value.kind === Kind.BOOLEAN) return value.value;
    if (value.kind === Kind.VARIABLE) return value.name.value;
    throw new Unsupported();
  };

  const accepting = (type: GraphQLCompositeType) => {
    const names = new Set([type.name]);
    if (isUnionType(type)) for (const member of type.getTypes()) names.add(member.name);
    if (isInterfaceType(type)) {
      const { objects, interfaces } = schema.getImplementations(type);
      for (const t of [...objects, ...interfaces]) names.add(t.name);
    }
    return { type, accepts: names };
  };

  const compile = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): Step[] =>
    selectionSet.selections.map((selection): Step => {
      const skip = conditionOf(selection.directives, 'skip');
      const include = conditionOf(selection.directives, 'include');
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const responseName = selection.alias?.value ?? name;
        if (INTROSPECTION_FIELDS.has(name) || responseName === '__proto__') throw new Unsupported();
        if (name === '__typename') return { kind: 'field', responseName, skip, include, type: undefined, selection: undefined };
        if (isUnionType(parent)) throw new Unsupported();
        const field = parent.getFields()[name];
        if (!field) throw new Unsupported();
        let named: GraphQLOutputType = field.type;
        while (named instanceof GraphQLNonNull || named instanceof GraphQLList) named = named.ofType;
        const selection_ = selection.selectionSet && isCompositeType(named) ? compile(selection.selectionSet, named) : undefined;
        return { kind: 'field', responseName, skip, include, type: field.type, selection: selection_ };
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeCondition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : undefined;
        if (selection.typeCondition && !isCompositeType(typeCondition)) throw new Unsupported();
        const condition = typeCondition ? accepting(typeCondition as GraphQLCompositeType) : undefined;
        return {
          kind: 'fragment',
          skip,
          include,
          condition,
          selection: compile(selection.selectionSet, (typeCondition as GraphQLCompositeType | undefined) ?? parent),
        };
      }
      const definition = fragments.get(selection.name.value);
      const typeCondition = definition && schema.getType(definition.typeCondition.name.value);
      if (!definition || !isCompositeType(typeCondition)) throw new Unsupported();
      let compiled = compiledFragments.get(definition.name.value);
      if (!compiled) {
        compiled = [];
        compiledFragments.set(definition.name.value, compiled);
        compiled.push(...compile(definition.selectionSet, typeCondition));
      }
      return { kind: 'fragment', skip, include, condition: accepting(typeCondition), selection: compiled };
    });

  let steps: Step[];
  try {
    steps = compile(operation.selectionSet, root);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  const defaults = conditionDefaults(operation);

  return {
    shape(input, variables) {
      const state = new ShapingState(schema, { ...defaults, ...variables });
      const data: Data = {};
      const bubbled = state.applySelection(input, steps, data, root, []);
      return { data: bubbled ? null : data, errors: state.errors };
    },
  };
}

/** The defaults of the variables a condition (@skip, @include) may read: booleans, or null. */
export function conditionDefaults(operation: OperationDefinitionNode): Record<string, boolean | null> {
  const defaults: Record<string, boolean | null> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const value = definition.defaultValue;
    if (value?.kind === Kind.BOOLEAN) defaults[definition.variable.name.value] = value.value;
    else if (value?.kind === Kind.NULL) defaults[definition.variable.name.value] = null;
  }
  return defaults;
}

/** One answer being shaped: its variables, its errors, and what the last value update reported. */
class ShapingState {
  readonly errors: GraphQLError[] = [];
  /** The last update turned a non-null position null: the enclosing object must be null too. */
  private invalid = false;
  /** The last update recorded an error (so a null it caused is not reported again). */
  private hasErrors = false;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly variables: Record<string, unknown>,
  ) {}

  private holds(condition: Condition): boolean {
    if (typeof condition === 'boolean') return condition;
    const value = this.variables[condition];
    if (typeof value !== 'boolean') throw new Error(`Unexpected value ${value} for variable $${condition} of @skip or @include`);
    return value;
  }

  private skipped(step: Step): boolean {
    return (step.skip !== undefined && this.holds(step.skip)) || (step.include !== undefined && !this.holds(step.include));
  }

  /** Fills `output` from `input` by the steps; true when a null must bubble up to the enclosing field. */
  applySelection(input: Data, steps: Step[], output: Data, parentType: GraphQLCompositeType, path: ResponsePath): boolean {
    for (const step of steps) {
      if ((step.skip !== undefined || step.include !== undefined) && this.skipped(step)) continue;
      if (step.kind === 'fragment') {
        const typename = input.__typename;
        if (typename && typeof typename !== 'string') throw new Error(`Got unexpected value for __typename: ${typename}`);
        const { condition } = step;
        if (condition && !condition.accepts.has(typename ? (typename as string) : parentType.name)) continue;
        if (this.applySelection(input, step.selection, output, condition?.type ?? parentType, path)) return true;
        continue;
      }
      const name = step.responseName;
      const outputValue = hasOwn(output, name) ? output[name] : undefined;
      let inputValue = hasOwn(input, name) ? (input[name] ?? null) : null;
      if (step.type === undefined) {
        if (outputValue === undefined) {
          if (inputValue === null && name !== '__typename') inputValue = input.__typename ?? null;
          const type = typeof inputValue === 'string' ? (this.schema.getType(inputValue) ?? parentType) : parentType;
          if (!objectType(type)) return true;
          output[name] = type.name;
        }
        continue;
      }
      path.push(name);
      const updated = this.update(outputValue, step.type, inputValue, step.selection, path, parentType);
      output[name] = updated;
      path.pop();
      if (this.invalid) return true;
    }
    return false;
  }

  private done(value: unknown, invalid: boolean, hasErrors: boolean): unknown {
    this.invalid = invalid;
    this.hasErrors = hasErrors;
    return value;
  }

  private update(
    outputValue: unknown,
    type: GraphQLOutputType,
    inputValue: unknown,
    selection: Step[] | undefined,
    path: ResponsePath,
    parentType: GraphQLCompositeType,
  ): unknown {
    if (outputValue === null || (outputValue !== undefined && !selection)) return this.done(outputValue, false, false);
    if (type instanceof GraphQLNonNull) {
      const updated = this.update(outputValue, type.ofType, inputValue, selection, path, parentType);
      if (updated !== null) return this.done(updated, false, false);
      if (!this.hasErrors) {
        this.errors.push(
          ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${describe(path, type.ofType, parentType)}.`, {
            path: [...path],
          }),
        );
      }
      return this.done(null, true, true);
    }
    if (inputValue === null) return this.done(null, false, false);
    if (type instanceof GraphQLList) {
      if (!Array.isArray(inputValue))
        throw new Error(`Invalid non-list value ${inputValue} returned by subgraph for list type ${type}`);
      if (outputValue !== undefined && !Array.isArray(outputValue)) {
        throw new Error(`Invalid non-list value ${outputValue} returned by subgraph for list type ${type}`);
      }
      const outputs = outputValue as unknown[] | undefined;
      if (outputs && outputs.length !== inputValue.length) {
        throw new Error(`[${inputValue}].length (${inputValue.length}) !== [${outputs}].length (${outputs.length})`);
      }
      const updated = new Array<unknown>(inputValue.length);
      let nullify = false;
      let hasErrors = false;
      for (let i = 0; i < inputValue.length; i++) {
        path.push(i);
        updated[i] = this.update(outputs?.[i], type.ofType, inputValue[i], selection, path, parentType);
        path.pop();
        nullify ||= this.invalid;
        hasErrors ||= this.hasErrors;
      }
      return this.done(nullify ? null : updated, false, hasErrors);
    }
    if (composite(type)) {
      if (!selection) throw new Error(`Invalid empty selection set for composite type ${type}`);
      if (typeof inputValue !== 'object') {
        throw new Error(`Invalid non-object value ${inputValue} returned by subgraph for composite type ${type}`);
      }
      const input = inputValue as Data;
      const typename = input.__typename;
      if (typename !== undefined && typeof typename !== 'string') {
        throw new Error(`Invalid non-string value ${typename} for __typename at ${path}`);
      }
      let objectType: GraphQLCompositeType = type;
      if (typename) {
        const named = this.schema.getType(typename);
        if (!named || !composite(named)) {
          this.errors.push(
            ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${describe(path, type, parentType)}.`, {
              path: [...path],
            }),
          );
          return this.done(null, false, true);
        }
        objectType = named;
      }
      const output = (outputValue ?? {}) as Data;
      const bubbled = this.applySelection(input, selection, output, objectType, path);
      return this.done(bubbled ? null : output, false, bubbled);
    }
    const valid = validLeaf(inputValue, type);
    if (!valid) {
      this.errors.push(
        ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describe(path, type, parentType)}.`, { path: [...path] }),
      );
    }
    return this.done(valid ? inputValue : null, false, !valid);
  }
}

/** Where a value sits, for an error message: `field Type.name` or `array element of type T at index i`. */
function describe(path: ResponsePath, type: GraphQLOutputType, parentType: GraphQLCompositeType | GraphQLObjectType): string {
  const element = path[path.length - 1];
  return typeof element === 'string' ? `field ${parentType}.${element}` : `array element of type ${type} at index ${element}`;
}

/** Whether a subgraph's leaf value is one of its type (any value for a custom scalar). */
function validLeaf(value: unknown, type: GraphQLOutputType): boolean {
  const named = type as { name?: string };
  if (scalar(type) && !BUILT_IN_SCALARS.has(type.name)) return true;
  if (typeof value === 'boolean') return named.name === 'Boolean' && scalar(type);
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (!scalar(type)) return false;
    if (type.name === 'Int' || type.name === 'ID') return INTEGER.test(String(value));
    return type.name === 'Float';
  }
  if (typeof value === 'string') {
    if (enumType(type)) return type.getValue(value) !== undefined;
    return !(scalar(type) && (type.name === 'Boolean' || type.name === 'Int' || type.name === 'Float'));
  }
  return false;
}
