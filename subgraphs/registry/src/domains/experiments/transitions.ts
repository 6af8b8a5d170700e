/** The experiment and run lifecycles: which status may follow which (also documented in the SDL). */
import { labError } from '@lab/shared';
import type { ExperimentStatus, RunStatus } from '../../generated/prisma/enums';

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

/**
 * A run is finished once (COMPLETED, FAILED or KILLED) and may be resumed
 * (back to RUNNING, its endTime cleared) to be finished again; one finished
 * status never turns into another directly.
 */
export const RUN_TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  RUNNING: ['COMPLETED', 'FAILED', 'KILLED'],
  COMPLETED: ['RUNNING'],
  FAILED: ['RUNNING'],
  KILLED: ['RUNNING'],
};

/** Throws CONFLICT naming both statuses and the allowed targets when `from → to` is not a legal step of a run. */
export function checkRunTransition(from: RunStatus, to: RunStatus): void {
  if (from === to || RUN_TRANSITIONS[from].includes(to)) return;
  const allowed = RUN_TRANSITIONS[from];
  throw labError('CONFLICT', `A run cannot go from ${from} to ${to}; from ${from} it may go to ${allowed.join(' or ')}`, {
    from,
    to,
    allowed,
  });
}
