/** What a stop signal means: the first stops gracefully, its echo within a second is ignored, a later one is deliberate. */
import { describe, expect, it } from 'vitest';
import { REPEAT_WINDOW_MS, StopSignals } from './stopSignals';

describe('StopSignals', () => {
  it('starts a stop on the first signal', () => {
    const signals = new StopSignals();
    expect(signals.stopping).toBe(false);
    expect(signals.receive()).toBe('stop');
    expect(signals.stopping).toBe(true);
  });

  it('ignores the same Ctrl-C arriving again from the process group and the forwarding parents', () => {
    let now = 1_000_000;
    const signals = new StopSignals(REPEAT_WINDOW_MS, () => now);
    signals.receive();
    now += 3;
    expect(signals.receive()).toBe('repeat');
    now += 200;
    expect(signals.receive()).toBe('repeat');
  });

  it('honours a deliberate second Ctrl-C once the window has passed', () => {
    let now = 1_000_000;
    const signals = new StopSignals(REPEAT_WINDOW_MS, () => now);
    signals.receive();
    now += REPEAT_WINDOW_MS;
    expect(signals.receive()).toBe('again');
  });
});
