/**
 * How a service process tells the launcher it is up: over the IPC channel when
 * it was spawned with one (by `npm start` or the test kit), always in the log.
 */
export interface ReadyMessage {
  type: 'ready';
  service: string;
  /** Base URL the service listens on, e.g. http://127.0.0.1:4001 */
  url: string;
}

export function notifyReady(service: string, url: string): void {
  const message: ReadyMessage = { type: 'ready', service, url };
  process.send?.(message);
}

export function isReadyMessage(value: unknown): value is ReadyMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'ready';
}
