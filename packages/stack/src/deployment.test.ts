/**
 * The Docker deployment as a user relies on it: docker-compose.yml gives every service a healthcheck
 * (the platform's own on their /health) and starts each once what it needs is healthy; secrets and
 * local data never enter the image (.dockerignore) nor the repository (.gitignore).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const LAB_SERVICES = { registry: 4001, metrics: 4002, artifacts: 4003, gateway: 4000 } as const;

/** Each service of docker-compose.yml with the lines of its block (two-space indentation, as written). */
function composeServices(text: string): Map<string, string[]> {
  const services = new Map<string, string[]>();
  let inServices = false;
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) {
      inServices = line.startsWith('services:');
      current = undefined;
      continue;
    }
    if (!inServices) continue;
    const name = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line)?.[1];
    if (name) {
      current = [];
      services.set(name, current);
    } else if (current && line.trim() && !line.trim().startsWith('#')) current.push(line);
  }
  return services;
}

/** The lines nested under `key:` (at four spaces) of a service block. */
function section(lines: string[], key: string): string[] {
  const start = lines.findIndex((l) => l.startsWith(`    ${key}:`));
  if (start < 0) return [];
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => !l.startsWith('      '));
  return [lines[start] as string, ...(end < 0 ? rest : rest.slice(0, end))];
}

/** A .dockerignore pattern as a regular expression: a double star spans directories, a star or ? stays within one name. */
function globToRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += '.+^$(){}|[]\\'.includes(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${source}$`);
}

/** Whether Docker leaves `file` out of the build context: the last matching pattern wins; a directory's match covers its files. */
function dockerIgnores(patterns: string[], file: string): boolean {
  const parts = file.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const regex = globToRegex((negate ? raw.slice(1) : raw).replace(/^\/|\/$/g, ''));
    if (candidates.some((c) => regex.test(c))) ignored = !negate;
  }
  return ignored;
}

const patternsOf = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

describe('docker-compose.yml', () => {
  const services = composeServices(read('docker-compose.yml'));

  it('gives every service a healthcheck', () => {
    expect([...services.keys()]).toEqual(expect.arrayContaining(Object.keys(LAB_SERVICES)));
    for (const [name, lines] of services) {
      expect(
        section(lines, 'healthcheck').some((l) => /^\s+test:/.test(l)),
        `${name} has no healthcheck test`,
      ).toBe(true);
    }
  });

  it('checks each platform service on its own /health with node, which the image has (it has no curl)', () => {
    for (const [name, port] of Object.entries(LAB_SERVICES)) {
      const test = section(services.get(name) ?? [], 'healthcheck').join('\n');
      expect(test, name).toContain('"node", "-e"');
      expect(test, name).toContain(`fetch('http://127.0.0.1:${port}/health')`);
      expect(test, name).toMatch(/process\.exit\(r\.ok \? 0 : 1\)/);
    }
  });

  it('starts each service once what it needs is healthy', () => {
    const needs: Record<string, string[]> = {
      registry: ['postgres'],
      metrics: ['clickhouse'],
      artifacts: ['s3'],
      gateway: ['registry', 'metrics', 'artifacts'],
    };
    for (const [name, dependencies] of Object.entries(needs)) {
      const dependsOn = section(services.get(name) ?? [], 'depends_on').join('\n');
      for (const dependency of dependencies) {
        expect(dependsOn, `${name} → ${dependency}`).toMatch(new RegExp(`${dependency}: \\{ condition: service_healthy \\}`));
      }
    }
  });

  it('runs no embedded store in a container, and lets a stop drain before Docker kills it', () => {
    const text = read('docker-compose.yml');
    expect(text).toMatch(/LAB_EMBEDDED_STORES: "false"/);
    const bound = Number(/LAB_STOP_TIMEOUT_SECONDS: "(\d+)"/.exec(text)?.[1]);
    const grace = Number(/stop_grace_period: (\d+)s/.exec(text)?.[1]);
    expect(grace).toBeGreaterThan(bound);
  });
});

interface ComposeService {
  image?: string;
  build?: unknown;
  profiles?: string[];
  healthcheck?: { test?: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  environment?: Record<string, unknown>;
}

describe('docker-compose.yml as YAML', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
  };
  const services = Object.entries(compose.services);
  const inProfile = (profile: string) => services.filter(([, s]) => s.profiles?.includes(profile)).map(([name]) => name);

  it('pins every image to a version (no latest), builds the platform from the Dockerfile on Node 22', () => {
    for (const [name, service] of services) {
      if (service.build !== undefined) continue;
      expect(service.image, name).toMatch(/^[\w./-]+:\d[\w.-]*$/);
    }
    expect(read('Dockerfile')).toMatch(/^FROM node:22-/m);
    expect(read('docker-compose.yml')).not.toMatch(/minio/i);
  });

  it('gives every service, merged, a healthcheck, and names only services and volumes that exist', () => {
    for (const [name, service] of services) {
      expect(service.healthcheck?.test, `${name} has no healthcheck`).toBeDefined();
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(compose.services[dependency], `${name} → ${dependency}`).toBeDefined();
        expect(condition).toBe('service_healthy');
        // A service outside a profile never waits on one inside it (plain `docker compose up` would not start it).
        if (!service.profiles) expect(compose.services[dependency]?.profiles, `${name} → ${dependency}`).toBeUndefined();
      }
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] as string;
        if (source.startsWith('./')) expect(existsSync(path.join(ROOT, source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: ${source}`).toHaveProperty(source);
      }
    }
  });

  it('runs a second instance of every service, Redis and a load balancer in the replicas profile', () => {
    expect(inProfile('replicas').sort()).toEqual(['artifacts-2', 'gateway-2', 'lb', 'metrics-2', 'redis', 'registry-2']);
    for (const name of Object.keys(LAB_SERVICES)) {
      expect(compose.services[`${name}-2`]?.environment, name).toEqual(compose.services[name]?.environment);
    }
    const env = Object.fromEntries(
      read('deploy/replicas.env')
        .split('\n')
        .filter((l) => /^\w+=/.test(l))
        .map((l) => l.split('=') as [string, string]),
    );
    expect(env).toMatchObject({ LAB_REDIS_URL: 'redis://redis:6379', LAB_METRICS_URL: 'http://lb:4002/graphql' });
    expect(read('docker-compose.yml')).toMatch(/LAB_REDIS_URL: \$\{LAB_REDIS_URL:-\}/);
  });

  it('balances both instances of each service, upgrading WebSockets', () => {
    const nginx = read('deploy/nginx/nginx.conf');
    for (const [name, port] of Object.entries(LAB_SERVICES)) {
      expect(nginx, name).toMatch(new RegExp(`server ${name}:${port} [^;]*;\\s+server ${name}-2:${port} `));
    }
    expect(nginx).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(nginx).toContain('proxy_set_header Connection $connection_upgrade;');
    expect(nginx).toContain('proxy_http_version 1.1;');
  });

  it('runs ClickHouse Keeper and one shard of two replicas for the cluster the metrics DDL targets', () => {
    expect(inProfile('clickhouse-cluster').sort()).toEqual(['clickhouse-1', 'clickhouse-2', 'keeper']);
    const cluster = read('deploy/clickhouse/cluster.xml');
    expect(cluster).toMatch(/<remote_servers>\s*<lab>\s*<shard>/);
    expect(cluster.match(/<replica>/g)).toHaveLength(2);
    expect(read('deploy/clickhouse-cluster.env')).toMatch(/^CLICKHOUSE_CLUSTER=lab$/m);
    const replicas = [1, 2].map((i) => /<replica>([^<]+)<\/replica>/.exec(read(`deploy/clickhouse/macros-${i}.xml`))?.[1]);
    expect(replicas).toEqual(['clickhouse-1', 'clickhouse-2']);
  });
});

describe('.dockerignore', () => {
  const patterns = patternsOf(read('.dockerignore'));

  it('keeps secrets and local data out of the image', () => {
    for (const file of [
      '.env',
      '.env.local',
      '.env.production',
      'gateway/.env',
      'subgraphs/metrics/.env.test',
      '.data/admin-api-key',
      '.data/postgres/PG_VERSION',
      'node_modules/zod/package.json',
      'packages/shared/node_modules/x/index.js',
      'test-results/graphiql.png',
      '.git/config',
      'npm-debug.log',
    ]) {
      expect(dockerIgnores(patterns, file), file).toBe(true);
    }
  });

  it('keeps what the image builds and runs', () => {
    for (const file of [
      'package.json',
      'package-lock.json',
      'gateway/src/main.ts',
      'subgraphs/registry/src/main.ts',
      'prisma/schema.prisma',
      'schema/supergraph.graphql',
      'scripts/postinstall.mjs',
    ]) {
      expect(dockerIgnores(patterns, file), file).toBe(false);
    }
  });
});

describe('.gitignore', () => {
  it('keeps .env files out of the repository', () => {
    const patterns = patternsOf(read('.gitignore'));
    // A pattern without a slash applies at every depth in git.
    expect(patterns).toEqual(expect.arrayContaining(['.env', '.env.*']));
  });
});
