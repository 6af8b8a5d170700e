/**
 * What a saga is made of: its kind, the steps that run forward, and the
 * compensation steps that undo them when a step fails for good. Each step is
 * idempotent: the orchestrator runs a step again after a crash or a lost
 * answer, and a second run must change nothing.
 */
import { type Logger, publicReason, type WithPublicMessage } from '@lab/shared';
import { InternalCallError } from '@lab/shared/internal';
import { GraphQLError } from 'graphql';
import type { RegistryStore } from '../store/registryStore';
import type { Saga } from '../store/sagasStore';
import type { StoreServices } from './storeServices';

export interface StepContext<I, S> {
  saga: Saga;
  input: I;
  /** What earlier steps recorded. */
  state: Partial<S>;
  /** The registry store acting as the saga's starter (its audit events name them and their request). */
  store: RegistryStore;
  services: StoreServices;
  log: Logger;
}

export interface SagaStep<I, S> {
  name: string;
  /** Does the step; what it returns is merged into the saga's state. */
  run(ctx: StepContext<I, S>): Promise<Partial<S> | undefined>;
}

export interface SagaDefinition<I = Record<string, unknown>, S = Record<string, unknown>> {
  kind: string;
  steps: SagaStep<I, S>[];
  /**
   * Run in order when a step fails for good. Empty: the saga only goes
   * forward (every failure is retried; the reconciler reports one that stays stuck).
   */
  compensation: SagaStep<I, S>[];
}

/**
 * A failure no retry can fix (a verification that failed, input that became
 * invalid): compensate. Its message is written for clients (Operation.error).
 */
export class PermanentStepError extends Error implements WithPublicMessage {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentStepError';
  }

  get publicMessage(): string {
    return this.message;
  }
}

const PERMANENT_CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'FORBIDDEN']);

/** Whether retrying cannot help: a PermanentStepError, a refused internal call, or a coded refusal. */
export function isPermanent(err: unknown): boolean {
  if (err instanceof PermanentStepError) return true;
  if (err instanceof InternalCallError) return !err.transient;
  if (err instanceof GraphQLError) return PERMANENT_CODES.has(String(err.extensions.code));
  return false;
}

/** The whole message, for the log (routes, addresses and driver messages included). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Why a step failed, as Operation.error and Operation.result show it: what
 * failed in the platform's words, never an address, route or driver message
 * (those are in the registry's log, under the saga id).
 */
export function publicStepError(err: unknown): string {
  return publicReason(err, 'an unexpected failure; the registry log has the details under the operation id');
}
