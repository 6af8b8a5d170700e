/** The embedded S3 front's refusals, answered as S3 answers them: a status and an XML <Error> with a code and a message. */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export interface S3Refusal {
  status: number;
  code: string;
  message: string;
}

export function refusal(status: number, code: string, message: string): S3Refusal {
  return { status, code, message };
}

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);

/** The XML body S3 sends with an error. */
export function errorXml(refused: S3Refusal, resource: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(refused.code)}</Code><Message>${escapeXml(refused.message)}</Message>` +
    `<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`
  );
}

/**
 * Answers a refusal. The connection is closed after it: the body the client
 * may still be sending is not read (a refused upload costs the server nothing).
 */
export function sendRefusal(res: ServerResponse, refused: S3Refusal, resource: string, head: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const body = head ? '' : errorXml(refused, resource, requestId);
  res.writeHead(refused.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': requestId,
    connection: 'close',
  });
  res.end(body);
}
