/** The experiment lifecycle: which status may follow which (also documented in the SDL). */
import { labError } from '@lab/shared';
import type { ExperimentStatus } from '../../generated/prisma/enums';

export const EXPERIMENT_TRANSITIONS: Record<ExperimentStatus, readonly ExperimentStatus[]> = {
  DRAFT: ['RUNNING', 'ARCHIVED'],
  RUNNING: ['COMPLETED', 'FAILED', 'ARCHIVED'],
  COMPLETED: ['ARCHIVED', 'RUNNING'],
  FAILED: ['RUNNING', 'ARCHIVED'],
  ARCHIVED: ['DRAFT'],
};

export function canTransition(from: ExperimentStatus, to: ExperimentStatus): boolean {
  return EXPERIMENT_TRANSITIONS[from].includes(to);
}

/** Throws CONFLICT naming both statuses and the allowed targets when `from → to` is not a legal step. */
export function checkTransition(from: ExperimentStatus, to: ExperimentStatus): void {
  if (from === to || canTransition(from, to)) return;
  const allowed = EXPERIMENT_TRANSITIONS[from];
  throw labError('CONFLICT', `An experiment cannot go from ${from} to ${to}; from ${from} it may go to ${allowed.join(' or ')}`, {
    from,
    to,
    allowed,
  });
}
