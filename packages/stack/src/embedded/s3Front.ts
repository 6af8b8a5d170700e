/**
 * The embedded S3 server's front: the HTTP server clients reach, in the same
 * process as s3rver, which has no port of its own. Every request must carry a
 * valid AWS SigV4 signature made with the server's key pair (Authorization
 * header or presigned URL; CORS preflights aside, as on S3), and name only a
 * valid bucket, key, upload id and part number; anything else is refused the
 * way S3 refuses it (XML error, 400 or 403) and never reaches s3rver. Bodies:
 * UNSIGNED-PAYLOAD streams straight through; a body signed by its SHA-256 or
 * by chunk signatures (aws-chunked, decoded here) is held whole and checked
 * first, so a tampered body is never stored.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import type { Logger } from '@lab/shared';
import { AwsChunkedDecoder, BadChunkedBody } from './s3Chunked';
import { refusal, type S3Refusal, sendRefusal } from './s3Errors';
import { BadS3Name, checkBucket, checkCopySource, checkKey, checkPartNumber, checkUploadId, decodeComponent } from './s3Keys';
import { EMPTY_SHA256, type S3Credentials, type Signed, verifySignature } from './s3Signature';
import { BodyTooLarge, type SpooledBody, spool } from './s3Spool';

export interface S3FrontOptions {
  credentials: S3Credentials;
  /** s3rver's request handler (its Koa callback). */
  forward: (req: IncomingMessage, res: ServerResponse) => void;
  /** A private folder for bodies held while they are checked. */
  spoolDir: string;
  log?: Logger | undefined;
}

/** S3's largest single PUT. */
const MAX_BODY_BYTES = 5 * 1024 ** 3;
/** Characters a request target may hold as sent (RFC 3986); anything else is percent-encoded by S3 clients. */
const TARGET_CHARS = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/;
/** The Host s3rver sees: an address, so it never takes a bucket from the Host header. */
const FORWARDED_HOST = '127.0.0.1';

interface Target {
  rawPath: string;
  query: Record<string, string | string[]>;
}

/** The path and decoded query of a request target; refuses what no S3 client sends. */
function parseTarget(url: string): Target {
  if (!TARGET_CHARS.test(url)) throw new BadS3Name('InvalidURI', 'Could not parse the specified URI.');
  const mark = url.indexOf('?');
  const rawPath = mark < 0 ? url : url.slice(0, mark);
  const query: Record<string, string | string[]> = {};
  for (const pair of mark < 0 ? [] : url.slice(mark + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
    const value = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    const seen = query[name];
    query[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return { rawPath, query };
}

/** Checks the names a request acts on: bucket, key, upload id, part number, copy source. */
function checkNames(target: Target, headers: IncomingHttpHeaders): void {
  const path = target.rawPath.slice(1);
  if (path === '') return;
  const slash = path.indexOf('/');
  checkBucket(decodeComponent(slash < 0 ? path : path.slice(0, slash)));
  const key = slash < 0 ? '' : decodeComponent(path.slice(slash + 1));
  if (key !== '') checkKey(key);
  for (const [name, check] of [
    ['uploadId', checkUploadId],
    ['partNumber', checkPartNumber],
  ] as const) {
    const value = target.query[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) throw new BadS3Name('InvalidArgument', `${name} is given more than once.`);
    check(value);
  }
  const copySource = headers['x-amz-copy-source'];
  if (copySource !== undefined) checkCopySource(copySource as string);
}

/** The request s3rver handles: the same one with `body` as its body and `headers` as its headers. */
function withBody(req: IncomingMessage, body: Readable, headers: IncomingHttpHeaders): IncomingMessage {
  return Object.assign(body, {
    method: req.method,
    url: req.url,
    headers,
    rawHeaders: [],
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
    complete: true,
    trailers: {},
    rawTrailers: [],
  }) as unknown as IncomingMessage;
}

const mismatch = () =>
  refusal(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");

/** Whether the request has a body to read. */
const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

export function createS3Front(options: S3FrontOptions): Server {
  const { credentials, forward, spoolDir, log } = options;

  /** Tells a client waiting on `Expect: 100-continue` to send its body (only once the request is accepted). */
  const readyForBody = (req: IncomingMessage, res: ServerResponse) => {
    if (String(req.headers.expect ?? '').toLowerCase() === '100-continue') res.writeContinue();
  };

  /** Holds a signed body whole, checks it, then hands s3rver the request with it. */
  async function forwardChecked(req: IncomingMessage, res: ServerResponse, signed: Signed, headers: IncomingHttpHeaders) {
    const payload = signed.payload;
    let body: AsyncIterable<Buffer> = req;
    if (payload.kind === 'chunked') {
      const decodedLength = String(req.headers['x-amz-decoded-content-length'] ?? '');
      if (!/^\d{1,13}$/.test(decodedLength)) {
        return sendRefusal(
          res,
          refusal(411, 'MissingContentLength', 'x-amz-decoded-content-length is required with aws-chunked bodies.'),
          req.url ?? '',
          false,
        );
      }
      const decoder = new AwsChunkedDecoder({
        decodedLength: Number(decodedLength),
        trailer: payload.trailer,
        signing: payload.signed ? signed : undefined,
      });
      pipeline(req, decoder, () => {});
      body = decoder;
      const encodings = String(headers['content-encoding'] ?? '')
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '' && e !== 'aws-chunked');
      if (encodings.length > 0) headers['content-encoding'] = encodings.join(',');
      else delete headers['content-encoding'];
      for (const name of ['transfer-encoding', 'x-amz-decoded-content-length', 'x-amz-trailer']) delete headers[name];
    }
    readyForBody(req, res);
    const spooled: SpooledBody = await spool(body, spoolDir, MAX_BODY_BYTES);
    res.once('close', () => spooled.dispose());
    if (payload.kind === 'sha256' && spooled.sha256 !== payload.hex) return sendRefusal(res, mismatch(), req.url ?? '', false);
    headers['content-length'] = String(spooled.size);
    headers['x-amz-content-sha256'] = spooled.sha256;
    forward(withBody(req, spooled.open(), headers), res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    const refuse = (refused: S3Refusal) => {
      log?.debug({ method: req.method, path: req.url?.split('?')[0], code: refused.code }, 'embedded S3 refused a request');
      sendRefusal(res, refused, req.url?.split('?')[0] ?? '', head);
    };
    let target: Target;
    try {
      target = parseTarget(req.url ?? '');
      // CORS preflights carry no signature on S3 either; s3rver answers them from the bucket's CORS rules.
      if (req.method === 'OPTIONS') checkNames(target, req.headers);
    } catch (err) {
      if (err instanceof BadS3Name) return refuse(refusal(400, err.code, err.message));
      throw err;
    }
    const headers: IncomingHttpHeaders = { ...req.headers, host: FORWARDED_HOST };
    if (req.method === 'OPTIONS') {
      req.headers = headers;
      return forward(req, res);
    }
    const signed = await verifySignature(
      { method: req.method ?? 'GET', rawPath: target.rawPath, query: target.query, headers: req.headers },
      credentials,
    );
    if ('status' in signed) return refuse(signed);
    try {
      checkNames(target, req.headers);
    } catch (err) {
      if (err instanceof BadS3Name) return refuse(refusal(400, err.code, err.message));
      throw err;
    }
    const payload = signed.payload;
    if (payload.kind === 'unsigned' || !hasBody(req)) {
      if (payload.kind === 'sha256' && payload.hex !== EMPTY_SHA256) return refuse(mismatch());
      if (payload.kind === 'chunked') return refuse(refusal(400, 'IncompleteBody', 'An aws-chunked request has no body.'));
      readyForBody(req, res);
      req.headers = headers;
      return forward(req, res);
    }
    try {
      await forwardChecked(req, res, signed, headers);
    } catch (err) {
      if (err instanceof BadChunkedBody || err instanceof BodyTooLarge) return refuse(err.refusal);
      throw err;
    }
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (req.destroyed || res.destroyed) return; // the client went away mid-request
      log?.error({ err, method: req.method, path: req.url?.split('?')[0] }, 'embedded S3 front failed');
      sendRefusal(
        res,
        refusal(500, 'InternalError', 'We encountered an internal error. Please try again.'),
        '',
        req.method === 'HEAD',
      );
    });
  };
  // With a checkContinue listener Node does not answer 100 Continue itself: the request is checked first.
  return http.createServer(onRequest).on('checkContinue', onRequest);
}
