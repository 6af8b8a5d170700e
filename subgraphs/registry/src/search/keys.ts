/**
 * Keys of the filter language: `params.<name>`, `tags.<name>`, and the run
 * attributes, also written MLflow's way (`attributes.status`, `run_name`).
 */
import { RUN_ATTRIBUTES, type RunAttribute } from './ast';

const PREFIXES: Record<string, 'param' | 'tag' | 'attribute' | 'metric'> = {
  params: 'param',
  param: 'param',
  parameters: 'param',
  parameter: 'param',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attribute',
  attribute: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  metrics: 'metric',
  metric: 'metric',
};

const ATTRIBUTE_ALIASES: Record<string, RunAttribute> = {
  ...Object.fromEntries(RUN_ATTRIBUTES.map((a) => [a, a])),
  run_name: 'name',
  run_id: 'id',
};

/** Words that end a name written without quotes (`params.learning rate IS NULL`). */
export const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'LIKE', 'ILIKE']);

export const KEY_EXPECTED = `a key: params.<name>, tags.<name> or an attribute (${RUN_ATTRIBUTES.join(', ')})`;

export type KeyWord =
  /** `params.lr`, `tags.team` (name empty when a quoted name follows: `params."learning rate"`). */
  | { kind: 'param' | 'tag'; name: string }
  | { kind: 'attribute'; name: RunAttribute }
  /** Why the word is not a key. */
  | { kind: 'invalid'; message: string; expected: string };

/** What a key word (a word token, unquoted) names. */
export function readKeyWord(word: string): KeyWord {
  const dot = word.indexOf('.');
  const lower = word.toLowerCase();
  if (dot < 0) {
    const attribute = ATTRIBUTE_ALIASES[lower];
    if (attribute) return { kind: 'attribute', name: attribute };
    const prefix = PREFIXES[lower];
    if (prefix === 'param' || prefix === 'tag') {
      return { kind: 'invalid', message: `'${word}' needs a name: ${lower}.<name>`, expected: `${lower}.<name>` };
    }
    return { kind: 'invalid', message: `unknown key '${word}'`, expected: KEY_EXPECTED };
  }
  const prefix = PREFIXES[lower.slice(0, dot)];
  const rest = word.slice(dot + 1);
  if (prefix === 'param' || prefix === 'tag') return { kind: prefix, name: rest };
  if (prefix === 'attribute') {
    const attribute = ATTRIBUTE_ALIASES[rest.toLowerCase()];
    if (attribute) return { kind: 'attribute', name: attribute };
    return {
      kind: 'invalid',
      message: `unknown attribute '${rest}'`,
      expected: `an attribute: ${RUN_ATTRIBUTES.join(', ')}`,
    };
  }
  if (prefix === 'metric') {
    return {
      kind: 'invalid',
      message: `metrics cannot be searched here (they live in the metrics store); search on params, tags or attributes`,
      expected: KEY_EXPECTED,
    };
  }
  return { kind: 'invalid', message: `unknown key '${word}'`, expected: KEY_EXPECTED };
}
