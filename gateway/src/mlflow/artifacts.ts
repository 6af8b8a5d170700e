/**
 * MLflow's artifact proxy routes (mlflow-artifacts), over a run's outputs in
 * S3 through the artifacts subgraph's presigned URLs: the gateway streams
 * the bytes between the client and S3, never holding a whole file.
 *   PUT  /api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>   upload (requestUpload, PUT, completeUpload)
 *   GET  /api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>   download (downloadUrl)
 *   GET  /api/2.0/mlflow-artifacts/artifacts?path=<experiment>/<run>/artifacts[/<dir>]  list (Run.outputs)
 * A run's artifact_uri is mlflow-artifacts:/<experiment>/<run>/artifacts.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, type Router } from 'express';
import { invalid, MlflowError, notFound } from './errors';
import type { MlflowRoutesOptions } from './index';
import { answerError, sessionOf } from './index';
import type { MlflowSession } from './session';

/** Files above this go to S3 in parts, which this proxy does not stream: send them with GraphQL's requestUpload. */
const ARTIFACT_PATH = /^([^/]+)\/([^/]+)\/artifacts(?:\/(.*))?$/;

export function parseArtifactPath(path: string): { experimentId: string; runId: string; name: string } {
  const m = ARTIFACT_PATH.exec(path.replace(/^\/+/, ''));
  if (!m) throw invalid(`Artifact paths are <experiment id>/<run id>/artifacts/<path> (got '${path}')`);
  return { experimentId: m[1] ?? '', runId: m[2] ?? '', name: (m[3] ?? '').replace(/\/+$/, '') };
}

interface OutputFile {
  id: string;
  name: string;
  sizeBytes: number;
}

async function outputsOf(session: MlflowSession, runId: string): Promise<OutputFile[]> {
  const files: OutputFile[] = [];
  let after: string | undefined;
  for (;;) {
    const found = await session.gql<{
      run: { outputs: { edges: { node: OutputFile }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } | null };
    }>(
      'query MlflowOutputs($id: ID!, $after: String) { run(id: $id) { outputs(first: 1000, after: $after) { edges { node { id name sizeBytes } } pageInfo { hasNextPage endCursor } } } }',
      { id: runId, after },
    );
    const page = found.run.outputs;
    if (!page) throw notFound(`Run '${runId}' not found`);
    files.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return files;
    after = page.pageInfo.endCursor;
  }
}

async function upload(session: MlflowSession, req: Request, runId: string, name: string): Promise<void> {
  if (!name) throw invalid('An artifact upload needs a file path after artifacts/');
  const size = Number(req.headers['content-length']);
  if (!Number.isSafeInteger(size) || size < 0) throw invalid('An artifact upload needs a Content-Length');
  const contentType = req.headers['content-type'] ?? 'application/octet-stream';
  const { requestUpload: plan } = await session.gql<{
    requestUpload: { uploadId: string; method: string; url: string | null; headers: { name: string; value: string }[] };
  }>(
    'mutation MlflowUpload($input: RequestUploadInput!) { requestUpload(input: $input) { uploadId method url headers { name value } } }',
    { input: { ownerKind: 'RUN', ownerId: runId, name, sizeBytes: size, contentType, overwrite: true } },
  );
  if (plan.method !== 'SINGLE' || !plan.url) {
    await session.gql('mutation MlflowAbort($id: ID!) { abortUpload(uploadId: $id) }', { id: plan.uploadId });
    throw invalid(`Files of ${size} bytes go to S3 in parts: upload them with GraphQL's requestUpload (docs/artifacts.md)`);
  }
  const headers: Record<string, string> = { 'content-length': String(size) };
  for (const h of plan.headers) headers[h.name] = h.value;
  const put = await fetch(plan.url, {
    method: 'PUT',
    headers,
    body: Readable.toWeb(req) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  if (!put.ok) {
    session.log.warn({ status: put.status }, 'artifact PUT to S3 failed');
    throw new MlflowError('TEMPORARILY_UNAVAILABLE', `The object store answered ${put.status}; retry`, 1);
  }
  await session.gql('mutation MlflowComplete($id: ID!) { completeUpload(uploadId: $id) { id } }', { id: plan.uploadId });
}

async function download(session: MlflowSession, res: Response, runId: string, name: string): Promise<void> {
  const file = (await outputsOf(session, runId)).find((f) => f.name === name);
  if (!file) throw notFound(`No artifact '${name}' in run ${runId}`);
  const found = await session.gql<{ artifact: { downloadUrl: string } }>(
    'query MlflowDownload($id: ID!) { artifact(id: $id) { downloadUrl } }',
    {
      id: file.id,
    },
  );
  const answer = await fetch(found.artifact.downloadUrl);
  if (!answer.ok || !answer.body)
    throw new MlflowError('TEMPORARILY_UNAVAILABLE', `The object store answered ${answer.status}; retry`, 1);
  res.status(200);
  res.setHeader('content-type', 'application/octet-stream');
  const length = answer.headers.get('content-length');
  if (length) res.setHeader('content-length', length);
  await pipeline(Readable.fromWeb(answer.body as import('node:stream/web').ReadableStream), res);
}

/** The direct children of a folder of the run's outputs, as MLflow lists them (names relative to the folder). */
export function childrenOf(files: { name: string; sizeBytes: number }[], folder: string) {
  const prefix = folder ? `${folder}/` : '';
  const dirs = new Set<string>();
  const out: { path: string; is_dir: boolean; file_size?: number }[] = [];
  for (const f of files) {
    if (!f.name.startsWith(prefix)) continue;
    const rest = f.name.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) out.push({ path: rest, is_dir: false, file_size: f.sizeBytes });
    else dirs.add(rest.slice(0, slash));
  }
  for (const d of dirs) out.push({ path: d, is_dir: true });
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

export function artifactRoutes(options: MlflowRoutesOptions): Router {
  const router = express.Router();
  router.get('/artifacts', async (req, res) => {
    try {
      const session = await sessionOf(options, req, res);
      const path = typeof req.query.path === 'string' ? req.query.path : '';
      const { runId, name } = parseArtifactPath(path);
      res.json({ files: childrenOf(await outputsOf(session, runId), name) });
    } catch (err) {
      answerError(res, err);
    }
  });
  router.all('/artifacts/*path', async (req, res) => {
    try {
      const session = await sessionOf(options, req, res);
      const { runId, name } = parseArtifactPath(decodeURIComponent(req.path.slice('/artifacts/'.length)));
      if (req.method === 'PUT') {
        await upload(session, req, runId, name);
        res.json({});
      } else if (req.method === 'GET') {
        await download(session, res, runId, name);
      } else {
        throw new MlflowError('ENDPOINT_NOT_FOUND', `${req.method} is not served on artifacts (PUT uploads, GET downloads)`);
      }
    } catch (err) {
      req.resume();
      answerError(res, err);
    }
  });
  return router;
}
