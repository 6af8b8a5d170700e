/**
 * The app's routes, one table: a page is a component in its feature folder
 * (features/<name>/) added here with its path. Paths are the app's own; the
 * gateway serves index.html for any of them (never for /graphql, /v1/, /api/,
 * /health, ...), so a reload or a shared link opens the same page.
 */
import type { ComponentType } from 'react';
import { AuditLogPage } from '../features/audit/AuditLogPage';
import { ComparePage } from '../features/compare/ComparePage';
import { DatasetPage } from '../features/datasets/DatasetPage';
import { DatasetsPage } from '../features/datasets/DatasetsPage';
import { ModelPage } from '../features/models/ModelPage';
import { ModelsPage } from '../features/models/ModelsPage';
import { ProjectPage } from '../features/projects/ProjectPage';
import { ProjectsPage } from '../features/projects/ProjectsPage';
import { PromptPage } from '../features/prompts/PromptPage';
import { PromptsPage } from '../features/prompts/PromptsPage';
import { RunPage } from '../features/run/RunPage';
import { ExperimentRunsPage } from '../features/runs/ExperimentRunsPage';

export interface AppRoute {
  path: string;
  component: ComponentType;
  /** Shown in the header's navigation when set. */
  nav?: string;
}

export const ROUTES: AppRoute[] = [
  { path: '/', component: ProjectsPage, nav: 'Projects' },
  { path: '/projects/:projectId', component: ProjectPage },
  { path: '/experiments/:experimentId', component: ExperimentRunsPage },
  { path: '/runs/:runId', component: RunPage },
  { path: '/compare', component: ComparePage },
  { path: '/models', component: ModelsPage, nav: 'Models' },
  { path: '/models/:modelId', component: ModelPage },
  { path: '/datasets', component: DatasetsPage, nav: 'Datasets' },
  { path: '/datasets/:datasetId', component: DatasetPage },
  { path: '/prompts', component: PromptsPage, nav: 'Prompts' },
  { path: '/prompts/:promptId', component: PromptPage },
  { path: '/audit', component: AuditLogPage, nav: 'Audit log' },
];

/** Links the pages build, in one place. */
export const paths = {
  projects: () => '/',
  project: (id: string) => `/projects/${encodeURIComponent(id)}`,
  experiment: (id: string) => `/experiments/${encodeURIComponent(id)}`,
  run: (id: string) => `/runs/${encodeURIComponent(id)}`,
  compare: (runIds: string[]) => `/compare?runs=${runIds.map(encodeURIComponent).join(',')}`,
  models: () => '/models',
  model: (id: string) => `/models/${encodeURIComponent(id)}`,
  datasets: () => '/datasets',
  dataset: (id: string) => `/datasets/${encodeURIComponent(id)}`,
  prompts: () => '/prompts',
  prompt: (id: string) => `/prompts/${encodeURIComponent(id)}`,
  audit: () => '/audit',
};
