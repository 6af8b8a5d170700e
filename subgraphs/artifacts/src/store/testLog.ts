/** A logger for tests that keeps what was logged. */
import type { Logger } from '@lab/shared';

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

export function recordingLogger(): { log: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (fields: Record<string, unknown>, message = '') =>
      entries.push({ level, fields, message });
  const log = { info: at('info'), warn: at('warn'), error: at('error'), debug: () => {} };
  return { log: log as unknown as Logger, entries };
}
