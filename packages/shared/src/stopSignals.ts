/**
 * What a stop signal means, for the services (runService) and for `npm start`: the first one starts a
 * graceful stop; the same stop arriving again within REPEAT_WINDOW_MS is ignored (a terminal's Ctrl-C
 * reaches every process of its group, and npm and tsx forward it to their child as well); a signal after
 * that window is a deliberate second Ctrl-C and means "stop now".
 */

export const REPEAT_WINDOW_MS = 1000;

/** stop: begin the graceful stop; repeat: the same stop again, ignore it; again: a deliberate second signal. */
export type SignalVerdict = 'stop' | 'repeat' | 'again';

export class StopSignals {
  private firstAt: number | undefined;

  constructor(
    private readonly windowMs = REPEAT_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get stopping(): boolean {
    return this.firstAt !== undefined;
  }

  receive(): SignalVerdict {
    const now = this.now();
    if (this.firstAt === undefined) {
      this.firstAt = now;
      return 'stop';
    }
    return now - this.firstAt < this.windowMs ? 'repeat' : 'again';
  }
}
