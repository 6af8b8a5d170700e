/** Whether the real servers a test file needs are installed here (Debian packages), and what to do when not. */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Whether `program` is an executable on the PATH. */
export function installed(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(path.join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * 'run' when every program is installed, or why the tests are skipped (the missing programs and `install`, the
 * command that installs them). In CI a missing program is an error: CI needs `purpose`.
 */
export function programsRequirement(programs: readonly string[], install: string, purpose: string): 'run' | string {
  const missing = programs.filter((p) => !installed(p));
  if (missing.length === 0) return 'run';
  const why = `${missing.join(', ')} not installed (${install})`;
  if (process.env.CI === 'true') throw new Error(`CI needs ${purpose}: ${why}`);
  return why;
}
