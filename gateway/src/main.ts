/** Process entry of the gateway: `tsx gateway/src/main.ts`. */
import { createLogger, loadConfigOrExit, notifyReady, runService } from '@lab/shared';
import { startGateway } from './server';

const config = loadConfigOrExit();
const log = createLogger('gateway', config);

runService(
  log,
  async () => {
    const running = await startGateway({ config, log }, config.ports.gateway, config.host);
    notifyReady('gateway', running.url);
    return { stop: running.close };
  },
  { stopTimeoutMs: config.stopTimeoutMs },
);
