/**
 * Errors express meets before Apollo does (a body too large or not JSON):
 * answered as a GraphQL error response with a registered code and the request id.
 */
import { ERROR_CODES, type ErrorCode } from '@lab/shared';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { scopeOf } from './requestId';

function send(res: Parameters<RequestHandler>[1], code: ErrorCode, message: string): void {
  const { requestId } = scopeOf(res);
  res.status(ERROR_CODES[code].httpStatus).json({ errors: [{ message, extensions: { code, requestId } }] });
}

export function bodyErrors(limitBytes: number): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const type = (err as { type?: unknown }).type;
    if (type === 'entity.too.large') return send(res, 'PAYLOAD_TOO_LARGE', `Request body is larger than ${limitBytes} bytes`);
    if (type === 'entity.parse.failed') return send(res, 'BAD_USER_INPUT', 'Request body is not valid JSON');
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      return send(res, 'BAD_USER_INPUT', 'Unsupported request body encoding');
    }
    scopeOf(res).log.error({ err }, 'internal error');
    send(res, 'INTERNAL', `Internal error (request id ${scopeOf(res).requestId})`);
  };
}

/**
 * Apollo's express integration answers a missing req.body with a 500; give it
 * an empty one, so a non-JSON POST meets Apollo's CSRF and request checks instead.
 */
export const ensureBody: RequestHandler = (req, _res, next) => {
  req.body ??= {};
  next();
};
