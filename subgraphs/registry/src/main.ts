/** Process entry of the registry subgraph (started by `npm start` through @lab/stack). */
import { createLogger, loadConfigOrExit, notifyReady, runService } from '@lab/shared';
import { startRegistry } from './service';

const config = loadConfigOrExit();
const log = createLogger('registry', config);

runService(
  log,
  async () => {
    const running = await startRegistry(config, log);
    notifyReady('registry', running.url);
    return running;
  },
  { stopTimeoutMs: config.stopTimeoutMs },
);
