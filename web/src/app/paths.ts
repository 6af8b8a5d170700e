/** Links the pages build, in one place (the routes that answer them are in routes.tsx). */
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
