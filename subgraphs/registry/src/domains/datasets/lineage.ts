/**
 * Lineage reads across runs (experiments domain) and the catalog: which
 * dataset versions a run read (run_inputs, written by startRun and
 * updateRun), which model versions a run produced, which runs read a dataset
 * version. Only what the caller may read is listed; every hop is batched
 * through DataLoaders.
 */
import type { RegistryResolvers } from '../../common/resolvers';
import type { RegistryContext } from '../../context';
import type { DatasetVersion } from '../../store/datasetsStore';
import type { ModelVersion } from '../../store/modelsStore';
import { canRead } from '../catalog/catalog';

export const lineageSdl = /* GraphQL */ `
  extend type Run {
    "The dataset versions this run read (that the caller may see)."
    inputs: [DatasetVersion!]!
    "The model versions registered with this run as their source."
    producedModelVersions: [ModelVersion!]!
  }

  extend type ModelVersion {
    "The run that produced this version; null when unknown or deleted."
    sourceRun: Run
  }

  extend type DatasetVersion {
    "The runs that read this version (that the caller may see), oldest first."
    readByRuns: [Run!]!
  }
`;

function present<T>(value: T | null | undefined | Error): value is T {
  return value !== null && value !== undefined && !(value instanceof Error);
}

export const lineageResolvers: RegistryResolvers = {
  Run: {
    inputs: async (run: { id: string }, _a: unknown, ctx: RegistryContext) => {
      const rows = await ctx.loaders.runInputsByRun.load(run.id);
      const visible = [];
      for (const row of rows) if (await canRead(ctx, row.datasetProjectId)) visible.push(row.datasetVersionId);
      return (await ctx.loaders.datasetVersions.loadMany(visible)).filter(present<DatasetVersion>);
    },
    producedModelVersions: (run: { id: string }, _a: unknown, ctx: RegistryContext) =>
      ctx.loaders.modelVersionsBySourceRun.load(run.id),
  },
  ModelVersion: {
    sourceRun: async (version: ModelVersion, _a: unknown, ctx: RegistryContext) => {
      if (!version.sourceRunId) return null;
      const run = await ctx.loaders.runs.load(version.sourceRunId);
      return run && (await canRead(ctx, run.projectId)) ? run : null;
    },
  },
  DatasetVersion: {
    readByRuns: async (version: DatasetVersion, _a: unknown, ctx: RegistryContext) => {
      const rows = await ctx.loaders.runInputsByDatasetVersion.load(version.id);
      const visible = [];
      for (const row of rows) if (await canRead(ctx, row.runProjectId)) visible.push(row.runId);
      return (await ctx.loaders.runs.loadMany(visible)).filter(present);
    },
  },
};
