/**
 * Mutation.reconcile: the reconciler (reconcile/) run on demand by an admin,
 * with the service's internal calls and the system as the audited actor.
 */
import { labError } from '@lab/shared';
import { InternalCallError } from '@lab/shared/internal';
import type { RegistryResolvers } from '../../common/resolvers';
import type { RegistryContext } from '../../context';
import { type ReconciliationReport, remaining } from '../../reconcile/report';

const MAX_GRACE_HOURS = 720;

function graceMsOf(graceHours: number | null | undefined): number | undefined {
  if (graceHours === null || graceHours === undefined) return undefined;
  if (!Number.isFinite(graceHours) || graceHours < 0 || graceHours > MAX_GRACE_HOURS) {
    throw labError('BAD_USER_INPUT', `graceHours must be from 0 to ${MAX_GRACE_HOURS}`, { argument: 'graceHours' });
  }
  return Math.round(graceHours * 3600 * 1000);
}

export const reconcileResolvers: RegistryResolvers = {
  Mutation: {
    reconcile: async (_p: unknown, args: { repair?: boolean | null; graceHours?: number | null }, ctx: RegistryContext) => {
      if (ctx.caller.kind !== 'admin') throw labError('FORBIDDEN', 'Only admins may reconcile the stores');
      const graceMs = graceMsOf(args.graceHours);
      if (!ctx.reconciler) throw labError('SERVICE_UNAVAILABLE', 'this registry runs without the other services');
      try {
        return await ctx.reconciler.run({
          repair: args.repair ?? false,
          requestId: ctx.requestId,
          ...(graceMs !== undefined ? { graceMs } : {}),
        });
      } catch (err) {
        if (err instanceof InternalCallError) {
          ctx.log.warn({ err }, 'reconciliation failed: a service did not answer');
          throw labError('SERVICE_UNAVAILABLE', `the stores could not be compared: ${err.publicMessage}`, {
            service: err.service,
          });
        }
        throw err;
      }
    },
  },

  ReconciliationReport: {
    graceHours: (report: ReconciliationReport) => report.graceMs / 3_600_000,
    remaining: (report: ReconciliationReport) => remaining(report),
  },
};
