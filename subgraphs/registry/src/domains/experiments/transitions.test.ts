import { describe, expect, it } from 'vitest';
import { canTransition, checkRunTransition, checkTransition, EXPERIMENT_TRANSITIONS } from './transitions';

describe('experiment status transitions', () => {
  it('allows exactly the documented steps', () => {
    expect(EXPERIMENT_TRANSITIONS).toEqual({
      DRAFT: ['RUNNING', 'ARCHIVED'],
      RUNNING: ['COMPLETED', 'FAILED', 'ARCHIVED'],
      COMPLETED: ['ARCHIVED', 'RUNNING'],
      FAILED: ['RUNNING', 'ARCHIVED'],
      ARCHIVED: ['DRAFT'],
    });
    expect(canTransition('DRAFT', 'COMPLETED')).toBe(false);
    expect(canTransition('ARCHIVED', 'RUNNING')).toBe(false);
  });

  it('treats staying put as no change', () => {
    expect(() => checkTransition('RUNNING', 'RUNNING')).not.toThrow();
  });

  it('refuses an illegal step with CONFLICT naming from, to and the allowed targets', () => {
    try {
      checkTransition('DRAFT', 'COMPLETED');
      expect.unreachable();
    } catch (err) {
      const e = err as { message: string; extensions: Record<string, unknown> };
      expect(e.extensions.code).toBe('CONFLICT');
      expect(e.message).toBe('An experiment cannot go from DRAFT to COMPLETED; from DRAFT it may go to RUNNING or ARCHIVED');
      expect(e.extensions).toMatchObject({ from: 'DRAFT', to: 'COMPLETED', allowed: ['RUNNING', 'ARCHIVED'] });
    }
  });
});

describe('run status transitions', () => {
  it('finishes a RUNNING run, resumes a finished one, and refuses one finished status to another', () => {
    expect(() => checkRunTransition('RUNNING', 'KILLED')).not.toThrow();
    expect(() => checkRunTransition('FAILED', 'RUNNING')).not.toThrow();
    expect(() => checkRunTransition('COMPLETED', 'COMPLETED')).not.toThrow();
    expect(() => checkRunTransition('COMPLETED', 'FAILED')).toThrow(
      'A run cannot go from COMPLETED to FAILED; from COMPLETED it may go to RUNNING',
    );
  });
});
