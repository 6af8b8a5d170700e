/**
 * Errors met before Apollo is: a body too large, not JSON or not in the
 * encoding it names (express), and requests Node's HTTP parser refuses
 * (headers too large, malformed): answered as a GraphQL error response with a
 * registered code (and the request id, where express assigned one).
 */
import type http from 'node:http';
import { ERROR_CODES, type ErrorCode } from '@lab/shared';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { scopeOf } from '../observability/requestId';

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
    // Anything else body-parser calls the client's fault, such as a body that does not inflate as its Content-Encoding says.
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return send(
        res,
        'BAD_USER_INPUT',
        'Request body cannot be read: it is not in the Content-Encoding it names, or was cut short',
      );
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

/**
 * Requests Node's HTTP parser refuses before express sees them: headers (the
 * URL of a GET included) over the server's limit answer 431, anything else
 * malformed 400, each with a GraphQL error body instead of Node's empty one.
 */
export function answerClientErrors(server: http.Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return;
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const message = tooLarge
      ? 'Request headers are too large (a GET carries its query in the URL: send a large query by POST)'
      : 'Malformed HTTP request';
    const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] });
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
