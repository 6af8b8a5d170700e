/**
 * Process exit hooks shared by every live agent: one `beforeExit` listener and one SIGINT/SIGTERM listener
 * for the whole process, installed while at least one agent with exit handling is open.
 *
 * - `beforeExit` (the event loop ran dry): every agent with buffered points flushes (bounded by its
 *   exitFlushTimeoutMs); the process then exits as it would have.
 * - SIGINT/SIGTERM: every agent flushes (bounded), then, if no other listener for that signal exists, our
 *   listeners are removed and the signal is re-raised, so the process dies of it exactly as without the agent
 *   (exit status 128+n). If the program has its own listener, the signal is not re-raised: that listener
 *   decides. A second signal during the flush re-raises at once.
 */
export interface ExitParticipant {
  buffered(): number;
  exitFlush(): Promise<void>;
}

const participants = new Set<ExitParticipant>();
const signals = ['SIGINT', 'SIGTERM'] as const;
let flushingForSignal = false;

function onBeforeExit(): void {
  for (const participant of participants) {
    if (participant.buffered() > 0) void participant.exitFlush();
  }
}

function onSignal(signal: NodeJS.Signals): void {
  if (flushingForSignal) {
    reraise(signal);
    return;
  }
  flushingForSignal = true;
  void Promise.allSettled([...participants].map((p) => p.exitFlush())).then(() => {
    flushingForSignal = false;
    const others = process.listeners(signal).filter((listener) => listener !== onSignal);
    if (others.length === 0) reraise(signal);
  });
}

function reraise(signal: NodeJS.Signals): void {
  uninstall();
  process.kill(process.pid, signal);
}

function install(): void {
  process.on('beforeExit', onBeforeExit);
  for (const signal of signals) process.on(signal, onSignal);
}

function uninstall(): void {
  process.off('beforeExit', onBeforeExit);
  for (const signal of signals) process.off(signal, onSignal);
}

export function registerExitParticipant(participant: ExitParticipant): void {
  if (participants.size === 0) install();
  participants.add(participant);
}

export function unregisterExitParticipant(participant: ExitParticipant): void {
  if (!participants.delete(participant)) return;
  if (participants.size === 0) uninstall();
}
