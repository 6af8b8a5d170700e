/**
 * Keys of the filter language: `params.<name>`, `tags.<name>`,
 * `config.<dotted path>`, `metrics.<name>` and the run attributes, also
 * written MLflow's way (`attributes.status`, `run_name`).
 */
import { RUN_ATTRIBUTES, type RunAttribute } from './ast';

const PREFIXES: Record<string, 'param' | 'tag' | 'attribute' | 'metric' | 'config'> = {
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
  config: 'config',
};

const ATTRIBUTE_ALIASES: Record<string, RunAttribute> = {
  ...Object.fromEntries(RUN_ATTRIBUTES.map((a) => [a, a])),
  run_name: 'name',
  run_id: 'id',
};

/** Words that end a name written without quotes (`params.learning rate IS NULL`). */
export const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'LIKE', 'ILIKE']);

export const KEY_EXPECTED = `a key: params.<name>, tags.<name>, config.<path>, metrics.<name> (or min(metrics.<name>), max(...)) or an attribute (${RUN_ATTRIBUTES.join(', ')})`;

export type KeyWord =
  /** `params.lr`, `tags.team`, `metrics.loss` (name empty when a quoted name follows: `params."learning rate"`). */
  | { kind: 'param' | 'tag' | 'metric'; name: string }
  | { kind: 'attribute'; name: RunAttribute }
  /** `config.optimizer.lr`; `quotedNext` when the word ends with a dot and a quoted last segment follows. */
  | { kind: 'config'; path: string[]; quotedNext: boolean }
  /** Why the word is not a key. */
  | { kind: 'invalid'; message: string; expected: string };

function configPath(word: string, rest: string): KeyWord {
  const quotedNext = rest === '' || rest.endsWith('.');
  const path = rest === '' ? [] : (quotedNext ? rest.slice(0, -1) : rest).split('.');
  if (path.some((segment) => segment === '')) {
    return { kind: 'invalid', message: `'${word}' has an empty path segment`, expected: 'config.<name>.<name>…' };
  }
  return { kind: 'config', path, quotedNext };
}

/** What a key word (a word token, unquoted) names. */
export function readKeyWord(word: string): KeyWord {
  const dot = word.indexOf('.');
  const lower = word.toLowerCase();
  if (dot < 0) {
    const attribute = ATTRIBUTE_ALIASES[lower];
    if (attribute) return { kind: 'attribute', name: attribute };
    const prefix = PREFIXES[lower];
    if (prefix === 'param' || prefix === 'tag' || prefix === 'metric') {
      return { kind: 'invalid', message: `'${word}' needs a name: ${lower}.<name>`, expected: `${lower}.<name>` };
    }
    if (prefix === 'config') {
      return { kind: 'invalid', message: `'${word}' needs a path: config.<name>.<name>…`, expected: 'config.<path>' };
    }
    return { kind: 'invalid', message: `unknown key '${word}'`, expected: KEY_EXPECTED };
  }
  const prefix = PREFIXES[lower.slice(0, dot)];
  const rest = word.slice(dot + 1);
  if (prefix === 'param' || prefix === 'tag' || prefix === 'metric') return { kind: prefix, name: rest };
  if (prefix === 'config') return configPath(word, rest);
  if (prefix === 'attribute') {
    const attribute = ATTRIBUTE_ALIASES[rest.toLowerCase()];
    if (attribute) return { kind: 'attribute', name: attribute };
    return {
      kind: 'invalid',
      message: `unknown attribute '${rest}'`,
      expected: `an attribute: ${RUN_ATTRIBUTES.join(', ')}`,
    };
  }
  return { kind: 'invalid', message: `unknown key '${word}'`, expected: KEY_EXPECTED };
}
