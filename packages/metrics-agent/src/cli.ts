#!/usr/bin/env tsx
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createMetricsAgent } from './agent';
import type { MetricsAgentError } from './errors';

const usage = `Usage: lab-metrics ship [file.jsonl|-] --url <baseUrl> [--api-key <key>] [--run-id <id>] [--batch-size N]

Streams metric points, one JSON object per line, to POST <baseUrl>/v1/metrics:
  {"runId":"<uuid>","name":"loss","value":0.42,"step":10,"timestamp":"<ISO-8601>","tags":{"k":"v"}}
runId may be omitted when --run-id is given; timestamp defaults to now; tags are optional.
Reads standard input when the file is "-" or absent. Memory stays bounded: reading waits while the
agent's buffer is full.

Options:
  --url <baseUrl>     the platform's address, e.g. http://localhost:4000
  --api-key <key>     API key (default: the LAB_API_KEY environment variable)
  --run-id <id>       run of lines that name none
  --batch-size <N>    points per request (default 5000)
  -h, --help          this text

Exit status: 0 when every line was valid and delivered, 1 otherwise, 2 on a usage error.
`;

function fail(message: string): never {
  process.stderr.write(`lab-metrics: ${message}\n\n${usage}`);
  process.exit(2);
}

interface LinePoint {
  runId?: unknown;
  name?: unknown;
  value?: unknown;
  step?: unknown;
  timestamp?: unknown;
  tags?: unknown;
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (error) {
    fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const [command, file = '-', ...extra] = positionals;
  if (command !== 'ship') fail(command === undefined ? 'missing command' : `unknown command ${JSON.stringify(command)}`);
  if (extra.length > 0) fail(`unexpected arguments: ${extra.join(' ')}`);
  if (!values.url) fail('--url is required');
  const apiKey = values['api-key'] ?? process.env.LAB_API_KEY;
  if (!apiKey) fail('--api-key or the LAB_API_KEY environment variable is required');
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && (!Number.isSafeInteger(batchSize) || batchSize < 1)) {
    fail('--batch-size must be a positive integer');
  }

  let dropped = 0;
  const agent = createMetricsAgent({
    baseUrl: values.url,
    apiKey,
    runId: values['run-id'],
    batchSize,
    onError: (error: MetricsAgentError) => {
      dropped++;
      process.stderr.write(`lab-metrics: ${error.message}\n`);
    },
  });

  const input = file === '-' ? process.stdin : createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let read = 0;
  let invalid = 0;
  let lineNumber = 0;
  try {
    for await (const text of lines) {
      lineNumber++;
      if (text.trim() === '') continue;
      read++;
      let point: LinePoint;
      try {
        point = JSON.parse(text) as LinePoint;
        if (typeof point !== 'object' || point === null || Array.isArray(point)) throw new TypeError('not a JSON object');
      } catch (error) {
        invalid++;
        process.stderr.write(`lab-metrics: line ${lineNumber}: ${(error as Error).message}\n`);
        continue;
      }
      try {
        await agent.logAsync(point.name as string, point.value as number, point.step as number, {
          runId: point.runId as string | undefined,
          timestamp: point.timestamp as string | undefined,
          tags: point.tags as Record<string, string> | undefined,
        });
      } catch (error) {
        if (!(error instanceof TypeError)) throw error;
        invalid++;
        process.stderr.write(`lab-metrics: line ${lineNumber}: ${error.message}\n`);
      }
    }
  } catch (error) {
    process.stderr.write(`lab-metrics: reading ${file === '-' ? 'standard input' : file}: ${(error as Error).message}\n`);
    await agent.close().catch(() => {});
    return 1;
  }
  await agent.close().catch(() => {}); // failures were counted by onError
  const stats = agent.stats();
  process.stdout.write(
    `lab-metrics: ${stats.sent} points sent, ${read} lines read, ${invalid} invalid, ` +
      `${stats.failedBatches} batches dropped, ${stats.retries} retries\n`,
  );
  return invalid > 0 || dropped > 0 || stats.failedBatches > 0 ? 1 : 0;
}

function parseCli(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      'run-id': { type: 'string' },
      'batch-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`lab-metrics: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
