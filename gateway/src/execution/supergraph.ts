/** The committed supergraph the gateway serves (schema/supergraph.graphql, written by `npm run compose`). */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SCHEMA_DIR, SUPERGRAPH_FILE } from '../compose/files';

export const SUPERGRAPH_PATH = path.join(SCHEMA_DIR, SUPERGRAPH_FILE);

export async function readSupergraph(file: string = SUPERGRAPH_PATH): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${path.relative(process.cwd(), file)} does not exist: run npm run compose`);
    }
    throw err;
  }
}
