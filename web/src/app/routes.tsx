/**
 * The app's routes, one table: a page is a component in its feature folder
 * (features/<name>/) added here with its path. Paths are the app's own; the
 * gateway serves index.html for any of them (never for /graphql, /v1/, /api/,
 * /health, ...), so a reload or a shared link opens the same page.
 */
import type { ComponentType } from 'react';
import { ProjectPage } from '../features/projects/ProjectPage';
import { ProjectsPage } from '../features/projects/ProjectsPage';
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
];

/** Links the pages build, in one place. */
export const paths = {
  projects: () => '/',
  project: (id: string) => `/projects/${encodeURIComponent(id)}`,
  experiment: (id: string) => `/experiments/${encodeURIComponent(id)}`,
  run: (id: string) => `/runs/${encodeURIComponent(id)}`,
  compare: (runIds: string[]) => `/compare?runs=${runIds.map(encodeURIComponent).join(',')}`,
};
