/**
 * The platform as an importer sees it: its public GraphQL API and
 * `POST /v1/metrics` on the gateway's address, with an API key, and the
 * presigned URLs `requestUpload` hands out. Requests answered 429, 502, 503,
 * 504 or not at all are retried (with the same Idempotency-Key for points);
 * any other failure is a PlatformError with the platform's code and message.
 */
import { open } from 'node:fs/promises';

const RETRIES = 6;
const RETRYABLE = new Set([429, 502, 503, 504]);

export class PlatformError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** What `POST /v1/metrics` answered. */
export type IngestAnswer =
  | { ok: true; accepted: number }
  | { ok: false; accepted: number; errors: { line: number; reason: string }[]; errorCount: number };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function backoffMs(attempt: number, retryAfter: string | null): number {
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds) && seconds > 0) return Math.min(seconds * 1000, 30_000);
  return Math.min(200 * 2 ** attempt, 10_000);
}

export class PlatformClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  /** fetch with retries on 429/5xx gateway answers and on no answer. */
  private async send(url: string, init: RequestInit): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, init);
      } catch (err) {
        if (attempt >= RETRIES) {
          throw new PlatformError(
            `${new URL(url).origin} is unreachable: ${(err as Error).message} (is the platform running?)`,
            'UNREACHABLE',
          );
        }
        await sleep(backoffMs(attempt, null));
        continue;
      }
      if (!RETRYABLE.has(response.status) || attempt >= RETRIES) return response;
      await response.arrayBuffer().catch(() => undefined);
      await sleep(backoffMs(attempt, response.headers.get('retry-after')));
    }
  }

  /** One GraphQL operation; its data, or a PlatformError of its first error. */
  async gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await this.send(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.apiKey}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json().catch(() => ({}))) as {
      data?: T | null;
      errors?: { message: string; extensions?: { code?: string; field?: string } }[];
    };
    const error = body.errors?.[0];
    if (error) throw new PlatformError(error.message, error.extensions?.code ?? 'ERROR', error.extensions?.field);
    if (!response.ok || !body.data) throw new PlatformError(`the gateway answered ${response.status}`, 'INTERNAL');
    return body.data;
  }

  /** One NDJSON body of points with its Idempotency-Key. A 400 is an answer (its errors say which lines and why). */
  async postPoints(body: string, idempotencyKey: string): Promise<IngestAnswer> {
    const response = await this.send(`${this.baseUrl}/v1/metrics`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        authorization: `Bearer ${this.apiKey}`,
        'idempotency-key': idempotencyKey,
      },
      body,
    });
    const answer = (await response.json().catch(() => ({}))) as {
      accepted?: number;
      errors?: { line: number; reason: string }[];
      errorCount?: number;
      code?: string;
      message?: string;
    };
    if (response.status === 200) return { ok: true, accepted: answer.accepted ?? 0 };
    if (response.status === 400 && answer.errors) {
      return {
        ok: false,
        accepted: answer.accepted ?? 0,
        errors: answer.errors,
        errorCount: answer.errorCount ?? answer.errors.length,
      };
    }
    throw new PlatformError(
      `POST /v1/metrics answered ${response.status}: ${answer.message ?? answer.errors?.[0]?.reason ?? 'no reason given'}`,
      answer.code ?? 'ERROR',
    );
  }

  /** PUTs bytes to a presigned URL with the headers the plan lists; the answer's ETag. */
  async put(url: string, headers: Record<string, string>, body: Uint8Array<ArrayBuffer>): Promise<string> {
    const response = await this.send(url, { method: 'PUT', headers, body });
    if (!response.ok) {
      throw new PlatformError(
        `uploading to S3 answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
        'UPLOAD_FAILED',
      );
    }
    await response.arrayBuffer();
    return response.headers.get('etag') ?? '';
  }
}

/** Bytes [start, start + length) of a file. */
export async function readSlice(file: string, start: number, length: number): Promise<Uint8Array<ArrayBuffer>> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, start + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return read === length ? buffer : buffer.subarray(0, read);
  } finally {
    await handle.close();
  }
}
