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
import { optionalString, requiredString, toMlflowRunInfo } from './mapping';
import { answerError, type MlflowHandlers, type MlflowRoutesOptions, sessionOf } from './requests';
import { getRun } from './runs';
import type { MlflowSession } from './session';

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

/** Reads a stream as consecutive slices of given sizes, each a stream of its own: no more than one chunk is held. */
export class Slicer {
  private readonly chunks: AsyncIterator<Buffer>;
  private carry: Buffer | undefined;
  constructor(source: AsyncIterable<Buffer>) {
    this.chunks = source[Symbol.asyncIterator]();
  }
  slice(size: number): ReadableStream<Uint8Array> {
    let left = size;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (left === 0) return controller.close();
        let chunk = this.carry;
        this.carry = undefined;
        if (!chunk) {
          const next = await this.chunks.next();
          if (next.done) return controller.error(invalid('The body is shorter than its Content-Length'));
          chunk = next.value;
        }
        if (chunk.length > left) {
          this.carry = chunk.subarray(left);
          chunk = chunk.subarray(0, left);
        }
        left -= chunk.length;
        controller.enqueue(chunk);
        if (left === 0) controller.close();
      },
    });
  }
}

interface UploadPlan {
  uploadId: string;
  method: string;
  url: string | null;
  headers: { name: string; value: string }[];
  partCount: number | null;
  parts: { partNumber: number; sizeBytes: number; url: string }[];
}

/** PUTs one slice of the body to a presigned URL; its ETag. */
async function putSlice(url: string, headers: Record<string, string>, body: ReadableStream, size: number): Promise<string> {
  const put = await fetch(url, {
    method: 'PUT',
    headers: { ...headers, 'content-length': String(size) },
    body,
    duplex: 'half',
  } as RequestInit);
  await put.arrayBuffer().catch(() => undefined);
  if (!put.ok) throw new MlflowError('TEMPORARILY_UNAVAILABLE', `The object store answered ${put.status}; retry`, 1);
  return put.headers.get('etag') ?? '';
}

/**
 * Uploads the request body as a file of the run: one presigned PUT up to the
 * multipart threshold, else part after part, each part's bytes streamed from
 * the request as they arrive; completed with completeUpload, aborted on failure.
 */
async function upload(session: MlflowSession, req: Request, runId: string, name: string): Promise<void> {
  if (!name) throw invalid('An artifact upload needs a file path after artifacts/');
  const size = Number(req.headers['content-length']);
  if (!req.headers['content-length'] || !Number.isSafeInteger(size) || size < 0)
    throw invalid('An artifact upload needs a Content-Length');
  const contentType = req.headers['content-type'] ?? 'application/octet-stream';
  const { requestUpload: plan } = await session.gql<{ requestUpload: UploadPlan }>(
    'mutation MlflowUpload($input: RequestUploadInput!) { requestUpload(input: $input) { uploadId method url headers { name value } partCount parts { partNumber sizeBytes url } } }',
    { input: { ownerKind: 'RUN', ownerId: runId, name, sizeBytes: size, contentType, overwrite: true } },
  );
  const body = new Slicer(req);
  try {
    if (plan.method === 'SINGLE' && plan.url) {
      const headers = Object.fromEntries(plan.headers.map((h) => [h.name, h.value]));
      await putSlice(plan.url, headers, body.slice(size), size);
      await session.gql('mutation MlflowComplete($id: ID!) { completeUpload(uploadId: $id) { id } }', { id: plan.uploadId });
      return;
    }
    const completed: { partNumber: number; etag: string }[] = [];
    let urls = plan.parts;
    for (let part = 1; part <= (plan.partCount ?? 0); part++) {
      let target = urls.find((u) => u.partNumber === part);
      if (!target) {
        const more = await session.gql<{ uploadPartUrls: UploadPlan['parts'] }>(
          'mutation MlflowPartUrls($id: ID!, $first: Int!) { uploadPartUrls(uploadId: $id, firstPart: $first, count: 100) { partNumber sizeBytes url } }',
          { id: plan.uploadId, first: part },
        );
        urls = more.uploadPartUrls;
        target = urls.find((u) => u.partNumber === part);
        if (!target) throw new MlflowError('INTERNAL_ERROR', `No upload URL for part ${part}`);
      }
      completed.push({ partNumber: part, etag: await putSlice(target.url, {}, body.slice(target.sizeBytes), target.sizeBytes) });
    }
    await session.gql(
      'mutation MlflowCompleteParts($id: ID!, $parts: [CompletedPartInput!]) { completeUpload(uploadId: $id, parts: $parts) { id } }',
      {
        id: plan.uploadId,
        parts: completed,
      },
    );
  } catch (err) {
    await session
      .gql('mutation MlflowAbort($id: ID!) { abortUpload(uploadId: $id) }', { id: plan.uploadId })
      .catch(() => undefined);
    throw err;
  }
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

/** GET artifacts/list of the REST API: a folder of a run's artifacts, paths from the run's artifact root. */
export const artifactHandlers: MlflowHandlers = {
  'artifacts/list': {
    method: 'GET',
    handler: async (params, session) => {
      const run = await getRun(session, requiredString(params, 'run_id', 'run_uuid'));
      const folder = (optionalString(params, 'path') ?? '').replace(/^\/+|\/+$/g, '');
      const files = childrenOf(await outputsOf(session, run.id), folder).map((f) => ({
        ...f,
        path: folder ? `${folder}/${f.path}` : f.path,
      }));
      return { root_uri: toMlflowRunInfo(run).artifact_uri, files };
    },
  },
};

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
