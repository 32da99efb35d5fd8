// Static checks of the production-like stack in docker-compose.yml: no Docker engine needed.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTE_CLI_TYPE, SEARCH_ATTRIBUTES } from '../../core/journey-contract';
import { WORKER_PROCESS_ENV } from '../../workers/process-env';

const REPO_ROOT = path.resolve(__dirname, '../..');
const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');

type DependsOn = string[] | Record<string, { condition?: string }>;
type Environment = string[] | Record<string, string | number | boolean | null>;

interface Service {
  image?: string;
  build?: string | { context?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  depends_on?: DependsOn;
  environment?: Environment;
  healthcheck?: { test?: string | string[] };
  ports?: (string | number | { target?: number; published?: string | number })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// Compose resolves `<<` merge keys; the yaml package does so only when asked.
function loadCompose(): ComposeFile {
  return parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
}

function dependencies(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? [];
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, spec]) => [name, spec?.condition]));
}

function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => {
      const i = entry.indexOf('=');
      return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value ?? '')]));
}

function argv(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean);
}

function buildContext(service: Service): string | undefined {
  return typeof service.build === 'string' ? service.build : service.build?.context;
}

describe('docker-compose.yml', () => {
  let compose: ComposeFile;
  let services: Record<string, Service>;

  beforeAll(() => {
    compose = loadCompose();
    services = compose.services;
  });

  it('when the file is parsed as YAML, then it yields a services mapping', () => {
    expect(() => loadCompose()).not.toThrow();
    expect(compose).toEqual(expect.objectContaining({ services: expect.any(Object) }));
  });

  it('when the stack is listed, then Temporal, its database, setup and UI, MongoDB, the API and the worker are all there', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'mongo', 'postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'worker'].sort(),
    );
  });

  it('when third-party images are pulled, then each is pinned to a version, Temporal to a 1.2x release', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.image === undefined) continue;
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/^[^:]+:[0-9][^:]*$/) });
    }
    expect(services.temporal.image).toMatch(/^temporalio\/auto-setup:1\.2\d\.\d+$/);
    expect(services.temporal.environment).toEqual(expect.objectContaining({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' }));
  });

  it.each([
    ['api', 'dist/api/server.js', 'api/server.ts'],
    ['worker', 'dist/workers/main.js', 'workers/main.ts'],
  ])('when %s starts, then it is built from the repo root and runs node %s', (name, entry, source) => {
    const service = services[name];
    expect(buildContext(service)).toBe('.');
    expect(argv(service.command)).toEqual(['node', entry]);
    // tsc emits <source>.ts to dist/<source>.js, so the entry point must have a source file.
    expect(existsSync(path.join(REPO_ROOT, source))).toBe(true);
  });

  it('when a service depends on another, then that service exists and its condition can be met', () => {
    const conditions = ['service_started', 'service_healthy', 'service_completed_successfully'];
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, condition] of Object.entries(dependencies(service))) {
        expect({ name, dependency, exists: dependency in services }).toEqual({ name, dependency, exists: true });
        if (condition === undefined) continue;
        expect(conditions).toContain(condition);
        if (condition === 'service_healthy') {
          expect({ dependency, healthcheck: services[dependency].healthcheck !== undefined }).toEqual({ dependency, healthcheck: true });
        }
      }
    }
  });

  it('when api and worker start, then Temporal is healthy, the search attributes are registered and MongoDB is healthy', () => {
    for (const name of ['api', 'worker']) {
      expect(dependencies(services[name])).toEqual({
        temporal: 'service_healthy',
        'temporal-setup': 'service_completed_successfully',
        mongo: 'service_healthy',
      });
    }
  });

  it("when Temporal is set up, then every one of Cairn's search attributes is registered with its type", () => {
    const setup = services['temporal-setup'];
    const script = [...argv(setup.entrypoint), ...(Array.isArray(setup.command) ? setup.command : [setup.command ?? ''])].join('\n');
    expect(setup.image).toMatch(/^temporalio\/admin-tools:/);
    expect(script).toMatch(/temporal operator search-attribute create\b[^\n]*--type "\$\$type"/);
    expect(script).toMatch(/--address temporal:7233/);
    expect(script).toMatch(/already exists/);
    for (const key of SEARCH_ATTRIBUTES) expect(script).toContain(`${key.name}:${SEARCH_ATTRIBUTE_CLI_TYPE[key.type]}`);
  });

  it.each(['api', 'worker'])('when %s starts, then it gets the Temporal address and the MongoDB replica-set URI', (name) => {
    const env = environment(services[name]);
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.MONGODB_URI).toBe('mongodb://mongo:27017/cairn?replicaSet=rs0');
    expect(env.SMTP_URL).toMatch(/^\$\{SMTP_URL:\?/);
    expect(env.EMAIL_FROM).toBeDefined();
  });

  it('when the API starts, then API keys are required, and the worker is not given them', () => {
    expect(environment(services.api).CAIRN_API_KEYS).toMatch(/^\$\{CAIRN_API_KEYS:\?/);
    expect(environment(services.worker).CAIRN_API_KEYS).toBeUndefined();
  });

  it('when the worker starts, then its heaps and malloc arenas are bounded as workers/process-env.ts says', () => {
    expect(environment(services.worker)).toEqual(expect.objectContaining(WORKER_PROCESS_ENV));
  });

  it('when MongoDB starts, then it runs as replica set rs0 and its healthcheck initiates the set', () => {
    const mongo = services.mongo;
    expect(mongo.image).toMatch(/^mongo:7(\.|$)/);
    expect(argv(mongo.command)).toEqual(expect.arrayContaining(['--replSet', 'rs0', '--bind_ip_all']));
    expect(argv(mongo.healthcheck?.test).join(' ')).toMatch(/mongosh[\s\S]*rs\.initiate\(/);
  });

  it('when ports are published, then the API is on 3000 and the Temporal UI on 8233', () => {
    expect(services.api.ports).toContain('3000:3000');
    expect(services['temporal-ui'].ports).toContain('8233:8080');
    expect(environment(services['temporal-ui']).TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('when a service mounts a named volume, then the volume is declared', () => {
    const declared = Object.keys(compose.volumes ?? {});
    expect(declared.sort()).toEqual(['mongo-data', 'postgres-data']);
    for (const service of Object.values(services)) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
        if (source && !/^[./~]/.test(source)) expect(declared).toContain(source);
      }
    }
  });
});
