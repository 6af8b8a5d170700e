/**
 * Why POST /v1/metrics stops before the end of its stream: a registered error
 * code and the JSON answered with it. Line framing (ndjsonLines.ts), chunk
 * preparation (ndjsonChunk.ts) and the stop cutoff throw it; the route
 * (ndjsonRoute.ts) answers the code's HTTP status with the body and
 * `accepted`, the rows of the chunks stored before.
 */
import type { ErrorCode } from '@lab/shared';

/** The answer's JSON, `accepted` aside: the code and message first, then any details (line errors, a reason). */
export interface RejectionBody {
  code: ErrorCode;
  message: string;
  [detail: string]: unknown;
}

export class IngestRejection extends Error {
  constructor(readonly body: RejectionBody) {
    super(body.message);
  }
}
