/** Process entry of the metrics subgraph (started by `npm start` through @lab/stack). */
import { createLogger, loadConfigOrExit, notifyReady, runService } from '@lab/shared';
import { startMetrics } from './service';

const config = loadConfigOrExit();
const log = createLogger('metrics', config);

runService(
  log,
  async () => {
    const running = await startMetrics(config, log);
    notifyReady('metrics', running.url);
    return running;
  },
  { stopTimeoutMs: config.stopTimeoutMs },
);
