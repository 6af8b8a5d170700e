/**
 * The app's routes, one table: a page is a component in its feature folder
 * (features/<name>/) added here with its path. Paths are the app's own; the
 * gateway serves index.html for any of them (never for /graphql, /v1/, /api/,
 * /health, ...), so a reload or a shared link opens the same page.
 */
import { type ComponentType, lazy } from 'react';
import { preloadRun } from '../features/run/runData';
import type { LabClient } from './graphqlClient';

/**
 * A page loaded on first visit (its own chunk): the first page drawn runs only its own code, and uPlot,
 * the Markdown renderer and the catalog pages load when a page needs them.
 */
function page<M>(load: () => Promise<M>, name: keyof M): LazyPage {
  let loading: Promise<M> | undefined;
  const preload = () => {
    loading ??= load();
    return loading;
  };
  return Object.assign(
    lazy(async () => ({ default: (await preload())[name] as ComponentType })),
    { preload },
  );
}

type LazyPage = ComponentType & { preload(): Promise<unknown> };

const ProjectsPage = page(() => import('../features/projects/ProjectsPage'), 'ProjectsPage');
const ProjectPage = page(() => import('../features/projects/ProjectPage'), 'ProjectPage');
const ExperimentRunsPage = page(() => import('../features/runs/ExperimentRunsPage'), 'ExperimentRunsPage');
const RunPage = page(() => import('../features/run/RunPage'), 'RunPage');
const ComparePage = page(() => import('../features/compare/ComparePage'), 'ComparePage');
const ModelsPage = page(() => import('../features/models/ModelsPage'), 'ModelsPage');
const ModelPage = page(() => import('../features/models/ModelPage'), 'ModelPage');
const DatasetsPage = page(() => import('../features/datasets/DatasetsPage'), 'DatasetsPage');
const DatasetPage = page(() => import('../features/datasets/DatasetPage'), 'DatasetPage');
const PromptsPage = page(() => import('../features/prompts/PromptsPage'), 'PromptsPage');
const PromptPage = page(() => import('../features/prompts/PromptPage'), 'PromptPage');
const AuditLogPage = page(() => import('../features/audit/AuditLogPage'), 'AuditLogPage');

export interface AppRoute {
  path: string;
  component: LazyPage;
  /** Shown in the header's navigation when set. */
  nav?: string;
  /** Starts the page's first queries when the app opens at this route (with the page's chunk, not after it). */
  preloadData?(client: LabClient, params: Record<string, string>): void;
}

export const ROUTES: AppRoute[] = [
  { path: '/', component: ProjectsPage, nav: 'Projects' },
  { path: '/projects/:projectId', component: ProjectPage },
  { path: '/experiments/:experimentId', component: ExperimentRunsPage },
  { path: '/runs/:runId', component: RunPage, preloadData: (client, { runId }) => runId && preloadRun(client, runId) },
  { path: '/compare', component: ComparePage },
  { path: '/models', component: ModelsPage, nav: 'Models' },
  { path: '/models/:modelId', component: ModelPage },
  { path: '/datasets', component: DatasetsPage, nav: 'Datasets' },
  { path: '/datasets/:datasetId', component: DatasetPage },
  { path: '/prompts', component: PromptsPage, nav: 'Prompts' },
  { path: '/prompts/:promptId', component: PromptPage },
  { path: '/audit', component: AuditLogPage, nav: 'Audit log' },
];

/** Starts loading the page of `pathname` (called as the app starts, so its chunk loads while the shell does). */
export function preloadPageOf(pathname: string): void {
  void routeOf(pathname)
    ?.component.preload()
    .catch(() => {});
}

/** Starts the first queries of the page at `pathname`, when its route has preloadData. */
export function preloadDataOf(pathname: string, client: LabClient): void {
  const route = routeOf(pathname);
  if (!route?.preloadData) return;
  const names = [...route.path.matchAll(/:([^/]+)/g)].map((m) => m[1] as string);
  const values = pathname.split('/').filter((_, i) => route.path.split('/')[i]?.startsWith(':'));
  route.preloadData(client, Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(values[i] ?? '')])));
}

/** The route whose path matches `pathname` (`:name` segments match one segment). */
export function routeOf(pathname: string): AppRoute | undefined {
  return ROUTES.find((r) => new RegExp(`^${r.path.replace(/:[^/]+/g, '[^/]+')}/?$`).test(pathname));
}
