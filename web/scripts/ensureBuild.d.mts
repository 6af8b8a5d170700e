/** Types of ensureBuild.mjs (plain JS, run by the root postinstall before any TypeScript tool exists). */
export function sourceHash(): string;
export function ensureWebBuild(options?: { log?: (line: string) => void }): boolean;
