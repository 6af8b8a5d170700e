import { type Logger, pino } from 'pino';
import type { Config } from './config';

export type { Logger };

/** Paths pino blanks out wherever they appear, so secrets never reach a log. */
export const REDACTED_PATHS = [
  'authorization',
  'password',
  'secret',
  'apiKey',
  'token',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.apiKey',
  '*.token',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-lab-context"]',
  'headers["x-lab-context"]',
];

/** A structured JSON logger (pretty when LOG_FORMAT=pretty) tagged with the service name. */
export function createLogger(service: string, config: Pick<Config, 'logLevel' | 'logFormat'>): Logger {
  return pino({
    name: service,
    level: config.logLevel,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(config.logFormat === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } }
      : {}),
  });
}
