/**
 * AWS Signature Version 4 checking for the embedded S3 server: the
 * Authorization-header form and the presigned-URL (query) form, as S3 checks
 * them. The expected signature is recomputed with AWS's own signer
 * (@smithy/signature-v4: canonical request, string to sign, signing key) and
 * compared in constant time. The answer says how the body is signed, for the
 * front to check it (s3Payload.ts).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { refusal, type S3Refusal } from './s3Errors';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The parts of a request a signature covers. */
export interface SignableRequest {
  method: string;
  /** The path as sent (percent-encoded), without the query. */
  rawPath: string;
  /** The query parameters, decoded. */
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
}

/** How the body is signed (the x-amz-content-sha256 value). */
export type PayloadSigning =
  | { kind: 'unsigned' }
  | { kind: 'sha256'; hex: string }
  | { kind: 'chunked'; signed: boolean; trailer: boolean };

/** A request whose signature holds. */
export interface Signed {
  form: 'header' | 'query';
  payload: PayloadSigning;
  /** For signed chunks: the seed signature, the date and scope they chain from, and a signer of strings. */
  seedSignature: string;
  longDate: string;
  scope: string;
  signString(text: string): Promise<string>;
}

export const EMPTY_SHA256 = createHash('sha256').digest('hex');
/** S3 refuses a header-signed request more than 15 minutes away from its clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** A presigned URL lives at most a week. */
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const AUTH_QUERY_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders'];

/** SHA-256 and HMAC-SHA256 in the shape AWS's signer takes. */
class NodeSha256 {
  private hash;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  private fresh() {
    if (this.secret === undefined) return createHash('sha256');
    const key =
      typeof this.secret === 'string'
        ? this.secret
        : ArrayBuffer.isView(this.secret)
          ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : Buffer.from(this.secret);
    return createHmac('sha256', key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(
      typeof data === 'string'
        ? data
        : ArrayBuffer.isView(data)
          ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
          : Buffer.from(data),
    );
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/** AWS's signer, with the two steps it keeps to itself (canonical request, string to sign) opened to this module. */
class Recomputer extends SignatureV4 {
  constructor(credentials: S3Credentials) {
    // uriEscapePath false: S3 takes the path once encoded, as sent.
    super({ credentials, region: 'us-east-1', service: 's3', sha256: NodeSha256, uriEscapePath: false, applyChecksum: false });
  }
  async expectedSignature(
    request: { method: string; path: string; query: Record<string, string | string[]> },
    canonicalHeaders: Record<string, string>,
    payloadHash: string,
    signingDate: Date,
    region: string,
    scope: string,
  ): Promise<string> {
    const http = { ...request, protocol: 'http:', hostname: canonicalHeaders.host ?? '', headers: canonicalHeaders };
    const canonical = this.createCanonicalRequest(http, canonicalHeaders, payloadHash);
    const { longDate } = this.formatDate(signingDate);
    const stringToSign = await this.createStringToSign(longDate, scope, canonical, ALGORITHM);
    return this.sign(stringToSign, { signingDate, signingRegion: region, signingService: 's3' });
  }
}

const escapeUri = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The canonical URI as S3 makes it: the path decoded, then encoded the way S3 and its SDKs encode it, slashes kept. */
function canonicalPath(rawPath: string): string {
  return escapeUri(decodeURIComponent(rawPath)).replace(/%2F/g, '/');
}

/** `20130524T000000Z` to a Date; undefined when it is not one. */
function parseLongDate(text: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

const sameHex = (a: string, b: string) =>
  /^[0-9a-f]{64}$/.test(a) && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function payloadSigning(value: string): PayloadSigning | S3Refusal {
  if (value === 'UNSIGNED-PAYLOAD') return { kind: 'unsigned' };
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { kind: 'sha256', hex: value.toLowerCase() };
  if (value === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') return { kind: 'chunked', signed: false, trailer: true };
  if (value === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD') return { kind: 'chunked', signed: true, trailer: false };
  if (value === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER') return { kind: 'chunked', signed: true, trailer: true };
  return refusal(
    400,
    'InvalidArgument',
    'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] or a SHA-256.',
  );
}

interface Credential {
  accessKeyId: string;
  shortDate: string;
  region: string;
  scope: string;
}

/** `AKID/20130524/us-east-1/s3/aws4_request` */
function parseCredential(text: string): Credential | undefined {
  const parts = text.split('/');
  if (parts.length !== 5 || parts[3] !== 's3' || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1] ?? '')) return undefined;
  const [accessKeyId, shortDate, region] = parts as [string, string, string];
  if (accessKeyId === '' || region === '') return undefined;
  return { accessKeyId, shortDate, region, scope: parts.slice(1).join('/') };
}

interface AuthFields {
  form: 'header' | 'query';
  credential: Credential;
  signedHeaders: string[];
  signature: string;
  date: Date;
  payload: string;
}

const malformedHeader = (why: string) =>
  refusal(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; ${why}.`);
const malformedQuery = (why: string) => refusal(400, 'AuthorizationQueryParametersError', why);

function headerAuth(request: SignableRequest, authorization: string, now: number): AuthFields | S3Refusal {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) {
    return refusal(
      400,
      'InvalidRequest',
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    );
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credentialText = fields.get('Credential');
  const signedHeadersText = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credentialText || !signedHeadersText || !signature) {
    return malformedHeader('it requires three components: Credential, SignedHeaders, and Signature');
  }
  const credential = parseCredential(credentialText);
  if (!credential) return malformedHeader('the Credential is not AKID/yyyyMMdd/region/s3/aws4_request');
  const dateText = headerValue(request.headers, 'x-amz-date');
  const date = parseLongDate(dateText);
  if (!date) return refusal(403, 'AccessDenied', 'AWS authentication requires a valid x-amz-date header.');
  if (Math.abs(now - date.getTime()) > MAX_SKEW_MS) {
    return refusal(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  }
  const payload = headerValue(request.headers, 'x-amz-content-sha256');
  if (!payload) return refusal(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  const signedHeaders = signedHeadersText.split(';');
  if (!signedHeaders.includes('x-amz-date')) return refusal(403, 'AccessDenied', 'x-amz-date must be signed.');
  return { form: 'header', credential, signedHeaders, signature, date, payload };
}

function queryAuth(request: SignableRequest, now: number): AuthFields | S3Refusal {
  const one = (name: string) => {
    const value = request.query[name];
    return Array.isArray(value) ? undefined : value;
  };
  if (one('X-Amz-Algorithm') !== ALGORITHM) return malformedQuery('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const [credentialText, dateText, expiresText, signedHeadersText] = AUTH_QUERY_PARAMS.slice(1).map(one);
  const signature = one('X-Amz-Signature');
  if (!credentialText || !dateText || !expiresText || !signedHeadersText || !signature) {
    return malformedQuery(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const credential = parseCredential(credentialText);
  if (!credential) return malformedQuery('X-Amz-Credential is not AKID/yyyyMMdd/region/s3/aws4_request.');
  const date = parseLongDate(dateText);
  if (!date) return malformedQuery("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (!/^\d{1,6}$/.test(expiresText) || Number(expiresText) < 1 || Number(expiresText) > MAX_EXPIRES_SECONDS) {
    return malformedQuery('X-Amz-Expires must be a number of seconds from 1 to 604800 (a week).');
  }
  if (now > date.getTime() + Number(expiresText) * 1000) return refusal(403, 'AccessDenied', 'Request has expired');
  if (date.getTime() - now > MAX_SKEW_MS) return refusal(403, 'AccessDenied', 'Request is not valid yet');
  const payload = headerValue(request.headers, 'x-amz-content-sha256') ?? one('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  return { form: 'query', credential, signedHeaders: signedHeadersText.split(';'), signature, date, payload };
}

/**
 * Checks a request's SigV4 signature against `credentials` at time `now`.
 * Answers how its body is signed, or the refusal S3 would answer.
 */
export async function verifySignature(
  request: SignableRequest,
  credentials: S3Credentials,
  now = Date.now(),
): Promise<Signed | S3Refusal> {
  const authorization = headerValue(request.headers, 'authorization');
  const presigned = 'X-Amz-Algorithm' in request.query || 'X-Amz-Signature' in request.query;
  if (authorization !== undefined && presigned) {
    return refusal(
      400,
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified',
    );
  }
  if ('Signature' in request.query || 'AWSAccessKeyId' in request.query) {
    return refusal(
      400,
      'InvalidRequest',
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    );
  }
  if (authorization === undefined && !presigned) return refusal(403, 'AccessDenied', 'Access Denied');
  const auth = authorization !== undefined ? headerAuth(request, authorization, now) : queryAuth(request, now);
  if ('status' in auth) return auth;
  const { credential, signedHeaders, date } = auth;

  const payload = payloadSigning(auth.payload);
  if ('status' in payload) return payload;
  if (credential.accessKeyId !== credentials.accessKeyId) {
    return refusal(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  }
  const longDate = date.toISOString().replace(/[-:]|\.\d{3}/g, '');
  if (credential.shortDate !== longDate.slice(0, 8)) {
    return refusal(403, 'SignatureDoesNotMatch', 'The credential date does not match the request date.');
  }
  const sorted = [...signedHeaders].sort();
  if (
    !signedHeaders.includes('host') ||
    signedHeaders.some(
      (name, i) => name !== sorted[i] || name === '' || name !== name.toLowerCase() || signedHeaders.indexOf(name) !== i,
    )
  ) {
    return refusal(403, 'SignatureDoesNotMatch', 'SignedHeaders must name host and be lowercase, sorted and distinct.');
  }
  // As S3: every x-amz-* header sent must be signed (so none can be added to a signed request).
  const unsigned = Object.keys(request.headers).filter((name) => name.startsWith('x-amz-') && !signedHeaders.includes(name));
  if (unsigned.length > 0) {
    return refusal(
      403,
      'AccessDenied',
      `There were headers present in the request which were not signed: ${unsigned.sort().join(', ')}`,
    );
  }
  const canonicalHeaders: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value === undefined)
      return refusal(403, 'SignatureDoesNotMatch', `The signed header ${name} is missing from the request.`);
    canonicalHeaders[name] = value
      .replace(/[\r\n]/g, ' ')
      .replace(/[ \t]+/g, ' ')
      .trim();
  }
  let path: string;
  try {
    path = canonicalPath(request.rawPath);
  } catch {
    return refusal(400, 'InvalidURI', 'Could not parse the specified URI.');
  }
  const query =
    auth.form === 'query'
      ? Object.fromEntries(Object.entries(request.query).filter(([name]) => name !== 'X-Amz-Signature'))
      : request.query;
  const recomputer = new Recomputer(credentials);
  const expected = await recomputer.expectedSignature(
    { method: request.method, path, query },
    canonicalHeaders,
    auth.payload,
    date,
    credential.region,
    credential.scope,
  );
  if (!sameHex(auth.signature, expected)) {
    return refusal(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  return {
    form: auth.form,
    payload,
    seedSignature: expected,
    longDate,
    scope: credential.scope,
    signString: (text) => recomputer.sign(text, { signingDate: date, signingRegion: credential.region, signingService: 's3' }),
  };
}
