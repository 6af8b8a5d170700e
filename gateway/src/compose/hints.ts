/**
 * Which composition hints "matter". Every hint fails `npm run compose`, the
 * compose test and `--check` unless its code is on this allow-list, with the
 * reason it is harmless. In particular every INCONSISTENT_* hint (a shared
 * type, field, argument, enum, description or directive that differs between
 * subgraphs) is a failure: the public contract must mean the same thing in
 * every subgraph that defines it.
 */
import type { CompositionSuccess } from '@apollo/composition';

type CompositionHint = CompositionSuccess['hints'][number];

export const ALLOWED_HINTS: Readonly<Record<string, string>> = {
  OVERRIDDEN_FIELD_CAN_BE_REMOVED: 'progress report of an intentional @override migration',
  OVERRIDE_DIRECTIVE_CAN_BE_REMOVED: 'progress report of an intentional @override migration',
  OVERRIDE_MIGRATION_IN_PROGRESS: 'progress report of an intentional progressive @override',
  DIRECTIVE_COMPOSITION_INFO: 'informs that a custom directive was composed as declared with @composeDirective',
};

export interface HintReport {
  code: string;
  level: string;
  message: string;
  /** True when the hint is on the allow-list. */
  allowed: boolean;
}

export function hintMatters(code: string): boolean {
  return !Object.hasOwn(ALLOWED_HINTS, code);
}

export function reportHint(hint: CompositionHint): HintReport {
  const { code, level } = hint.definition;
  return { code, level: level.name, message: hint.message, allowed: !hintMatters(code) };
}
