/**
 * The one signed client for calls between services. Every request is a POST of
 * JSON signed with the internal secret (`x-lab-context`) for the caller it
 * names and the document it carries, bounded by a timeout. On it:
 *  - `post`: any signed POST (the audit relay, API usage, the internal routes of internalApi.ts through
 *    callInternal in internalCalls.ts), answering status and text;
 *  - `graphql`: one GraphQL operation on a subgraph (ownership checks, API-key checks), answering its parsed body.
 * A call that gets no answer (unreachable, timed out) throws a ServiceUnreachableError;
 * `serviceUnavailable` words it as the platform's SERVICE_UNAVAILABLE error.
 */
import type { GraphQLError } from 'graphql';
import { type Caller, signedJsonHeaders } from '../callerContext';
import { labError } from '../errors';

/** Default bound of one call, in milliseconds. */
export const DEFAULT_CALL_TIMEOUT_MS = 5_000;

export interface ServiceClientOptions {
  internalSecret: string;
  /** Default 5 s; each call may set its own. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface SignedCall {
  /** Whom the call acts for: the service itself, or the end user it serves. */
  caller: Caller;
  requestId: string;
  timeoutMs?: number;
}

/** No answer came: the service is unreachable or did not answer in time. */
export class ServiceUnreachableError extends Error {
  constructor(
    readonly timedOut: boolean,
    /** The network error's code (ECONNREFUSED, ...), when there is one. */
    readonly networkCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(timedOut ? 'timed out' : 'unreachable', options);
    this.name = 'ServiceUnreachableError';
  }
}

/** SERVICE_UNAVAILABLE for a client: `Cannot <task>: <reason>`, naming the service in extensions. */
export function serviceUnavailable(service: string, task: string, reason: string): GraphQLError {
  return labError('SERVICE_UNAVAILABLE', `Cannot ${task}: ${reason}`, { service });
}

export interface GraphQLAnswer<TData = Record<string, unknown>> {
  data?: TData | null;
  errors?: { message?: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

export interface ServiceClient {
  post(url: string, body: unknown, call: SignedCall & { document: string }): Promise<{ status: number; text: string }>;
  graphql<TData = Record<string, unknown>>(
    url: string,
    query: string,
    variables: Record<string, unknown>,
    call: SignedCall,
  ): Promise<{ status: number; body: GraphQLAnswer<TData> | undefined }>;
}

export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const doFetch = options.fetch ?? fetch;

  async function send(url: string, text: string, document: string, call: SignedCall): Promise<Response> {
    try {
      return await doFetch(url, {
        method: 'POST',
        headers: signedJsonHeaders(options.internalSecret, { requestId: call.requestId, caller: call.caller, query: document }),
        body: text,
        signal: AbortSignal.timeout(call.timeoutMs ?? options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS),
      });
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
      throw new ServiceUnreachableError(timedOut, typeof code === 'string' ? code : undefined, { cause: err });
    }
  }

  async function graphql<TData>(url: string, query: string, variables: Record<string, unknown>, call: SignedCall) {
    const response = await send(url, JSON.stringify({ query, variables }), query, call);
    let body: GraphQLAnswer<TData> | undefined;
    try {
      body = (await response.json()) as GraphQLAnswer<TData>;
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  }

  return {
    async post(url, body, call) {
      const response = await send(url, typeof body === 'string' ? body : JSON.stringify(body), call.document, call);
      return { status: response.status, text: await response.text().catch(() => '') };
    },
    graphql,
  };
}
