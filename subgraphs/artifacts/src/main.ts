/** Process entry of the artifacts subgraph (started by `npm start` through @lab/stack). */
import { createLogger, loadConfigOrExit, notifyReady, runService } from '@lab/shared';
import { startArtifacts } from './service';

const config = loadConfigOrExit();
const log = createLogger('artifacts', config);

runService(
  log,
  async () => {
    const running = await startArtifacts(config, log);
    notifyReady('artifacts', running.url);
    return running;
  },
  { stopTimeoutMs: config.stopTimeoutMs },
);
