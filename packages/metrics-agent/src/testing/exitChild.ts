// Child process of the exit-flush tests: logs points, then ends the way argv[3] says, without calling flush.
//   node --import tsx exitChild.ts <baseUrl> beforeExit|SIGTERM|SIGINT <points> [exitFlushTimeoutMs]
import { createMetricsAgent } from '../index';

const [baseUrl = '', mode = 'beforeExit', count = '10', exitFlushTimeoutMs = '10000'] = process.argv.slice(2);
const agent = createMetricsAgent({
  baseUrl,
  apiKey: 'test-key',
  runId: '00000000-0000-4000-8000-000000000001',
  flushIntervalMs: 60_000,
  exitFlushTimeoutMs: Number(exitFlushTimeoutMs),
});
for (let step = 0; step < Number(count); step++) agent.log('loss', 1 / (step + 1), step);

if (mode === 'SIGTERM' || mode === 'SIGINT') {
  setInterval(() => {}, 1000); // a process that would run forever but for the signal
  process.kill(process.pid, mode);
}
// beforeExit: nothing keeps the event loop alive; the process ends on its own.
