import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { tempDir } from './support/app.js';
import { freePort, sendSigned } from './support/service.js';

/**
 * The deployment kit (Dockerfile, compose.yaml) against the service it deploys. The image
 * cannot be built in CI (no registry for base images), so this reads what a user relies on
 * and runs the runtime stage's own CMD and HEALTHCHECK against the built service.
 */

interface Stage {
  name: string;
  lines: string[];
}

/** The Dockerfile's stages, with continuation lines joined and comments dropped. */
function dockerStages(): Stage[] {
  const text = readFileSync('Dockerfile', 'utf8').replace(/\\\n\s*/g, ' ');
  const stages: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ name: from[1] ?? String(stages.length), lines: [] });
    else if (stages.length) stages[stages.length - 1].lines.push(line);
  }
  return stages;
}

const instruction = (stage: Stage, name: string) =>
  stage.lines
    .filter((line) => line.toUpperCase().startsWith(`${name} `))
    .map((line) => line.slice(name.length + 1));

/** The exec form `["node", "dist/main.js"]` of CMD/HEALTHCHECK CMD as an argument list. */
function execForm(text: string): string[] {
  const json = text.slice(text.indexOf('['));
  const args = JSON.parse(json) as unknown;
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string'))
    throw new Error(`not exec form: ${text}`);
  return args;
}

/** ENV lines (`A=1 B=2`) of a stage as a map. */
function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of instruction(stage, 'ENV')) {
    for (const [, key, value] of line.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[key] = value;
  }
  return env;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every environment variable the service reads: `env.X` in src/, `${X}` in config/*.yaml. */
function variablesTheServiceReads(): Set<string> {
  // NODE_OPTIONS is read by node itself, for the service, before it starts.
  const names = new Set<string>(['NODE_OPTIONS']);
  for (const file of sourceFiles('src')) {
    const text = readFileSync(file, 'utf8');
    for (const [, name] of text.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) names.add(name);
    for (const [, name] of text.matchAll(/\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]/g)) names.add(name);
  }
  for (const file of readdirSync('config').filter((name) => name.endsWith('.yaml'))) {
    const text = readFileSync(join('config', file), 'utf8');
    for (const [, name] of text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)) names.add(name);
  }
  return names;
}

interface ComposeService {
  build?: unknown;
  image?: string;
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
  volumes?: string[];
}

const compose = parse(readFileSync('compose.yaml', 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const stages = dockerStages();
const runtime = stages[stages.length - 1];

describe('Dockerfile', () => {
  it('runs the built service as a non-root user, never building at start', () => {
    const users = instruction(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
    const cmd = instruction(runtime, 'CMD');
    expect(cmd).toHaveLength(1);
    expect(execForm(cmd[0])).toEqual(['node', 'dist/main.js']);
    expect(instruction(runtime, 'ENTRYPOINT')).toEqual([]);
    // No compiler, no sources and no `npm start` (scripts/build-if-needed.mjs) in the runtime stage.
    expect(runtime.lines.join('\n')).not.toMatch(/npm (run build|start)|tsc|COPY\s+(\S+\s+)*src\b/);
  });

  it('ships production dependencies only, and dist/ built in the image', () => {
    const copies = instruction(runtime, 'COPY');
    const from = (target: string) => {
      const copy = copies.find((line) => line.includes(target));
      expect(copy).toBeDefined();
      const stage = stages.find((s) => s.name === /--from=(\S+)/.exec(copy!)?.[1]);
      expect(stage).toBeDefined();
      return instruction(stage!, 'RUN').join('\n');
    };
    // node_modules comes from a stage that installed with --omit=dev, and no other install.
    const deps = from('node_modules');
    expect(deps).toMatch(/npm ci\b[^\n&]*--omit=dev/);
    expect(deps.match(/npm (ci|install)\b/g)).toHaveLength(1);
    expect(from('dist')).toMatch(/npm run build/);
    // The service reads config/default.yaml from its working folder.
    expect(copies.some((line) => /^(--\S+\s+)*config\s/.test(line))).toBe(true);
  });

  it('sets only variables the service reads, and exposes the port it listens on', () => {
    const env = stageEnv(runtime);
    const read = variablesTheServiceReads();
    for (const name of Object.keys(env)) expect({ name, read: read.has(name) }).toEqual({ name, read: true });
    expect(env.APP_ENV).toBe('production');
    expect(instruction(runtime, 'EXPOSE')).toEqual([env.PORT]);
    expect(instruction(runtime, 'STOPSIGNAL')).toEqual(['SIGTERM']);
  });

  it('keeps the build context free of local state: .dockerignore leaves out node_modules, dist, data and .env', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', 'data', '.env', '.git']) expect(ignored).toContain(entry);
  });

  describe('the runtime CMD and HEALTHCHECK against the built service', () => {
    const dataDir = tempDir();
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    it('is healthy once started, takes a signed event, and exits 0 on its STOPSIGNAL', async () => {
      const port = await freePort();
      const key = 'deploy_kit_key_0001';
      const env = {
        PATH: process.env.PATH,
        ...stageEnv(runtime),
        PORT: String(port),
        DATA_DIR: dataDir,
        WHIPPY_SIGNING_KEYS: key,
        ADMIN_TOKEN: 'deploy-kit-admin-token',
        LOG_LEVEL: 'warn',
      };
      const check = execForm(instruction(runtime, 'HEALTHCHECK')[0]);
      expect(check.join(' ')).toContain('/health/live');
      const healthcheck = () => spawnSync(check[0], check.slice(1), { env, timeout: 10_000 }).status;

      const [command, ...args] = execForm(instruction(runtime, 'CMD')[0]);
      const child = spawn(command === 'node' ? process.execPath : command, args, { env, stdio: 'pipe' });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        let healthy = false;
        for (let i = 0; i < 100 && !healthy && child.exitCode === null; i++) {
          healthy = healthcheck() === 0;
          if (!healthy) await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect({ healthy, output }).toEqual({ healthy: true, output: expect.any(String) });

        expect((await sendSigned(`http://127.0.0.1:${port}`, key)).status).toBe(200);

        child.kill(instruction(runtime, 'STOPSIGNAL')[0] as NodeJS.Signals);
        expect(await exited).toBe(0);
        expect(healthcheck()).not.toBe(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  });
});

describe('compose.yaml', () => {
  const built = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);
  const replicas = (role: string) =>
    built
      .filter(([, service]) => service.environment?.ROLE === role)
      .reduce((sum, [, service]) => sum + (service.deploy?.replicas ?? 1), 0);

  it('runs two API and two worker processes of the image, each with its ROLE', () => {
    expect(replicas('api')).toBe(2);
    expect(replicas('worker')).toBe(2);
    for (const [, service] of built) expect(['api', 'worker']).toContain(service.environment?.ROLE);
  });

  it('points every process at PostgreSQL and Redis in production, with the secrets required', () => {
    for (const [name, service] of built) {
      const env = service.environment ?? {};
      expect({ name, APP_ENV: env.APP_ENV }).toEqual({ name, APP_ENV: 'production' });
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
      expect(env.REDIS_URL).toBe('redis://redis:6379');
      // `${VAR:?message}`: compose refuses to start without the secret instead of running without it.
      expect(env.WHIPPY_SIGNING_KEYS).toMatch(/^\$\{WHIPPY_SIGNING_KEYS:\?/);
      expect(env.ADMIN_TOKEN).toMatch(/^\$\{ADMIN_TOKEN:\?/);
    }
  });

  it('sets only variables the service reads', () => {
    const read = variablesTheServiceReads();
    const set = new Set(built.flatMap(([, service]) => Object.keys(service.environment ?? {})));
    const unread = [...set].filter((name) => !read.has(name));
    expect(unread).toEqual([]);
    expect([...set]).toEqual(expect.arrayContaining(['ROLE', 'REDIS_URL', 'DATABASE_URL']));
  });

  it('starts the service only once PostgreSQL and Redis answer their health checks', () => {
    for (const [, service] of built) {
      expect(service.depends_on?.postgres?.condition).toBe('service_healthy');
      expect(service.depends_on?.redis?.condition).toBe('service_healthy');
    }
    expect(compose.services.postgres.healthcheck?.test?.join(' ')).toContain('pg_isready');
    expect(compose.services.redis.healthcheck?.test?.join(' ')).toContain('ping');
  });

  it('mounts only files that exist in the kit', () => {
    const mounts = Object.values(compose.services).flatMap((service) => service.volumes ?? []);
    for (const source of mounts
      .map((volume) => volume.split(':')[0])
      .filter((source) => source.startsWith('.'))) {
      expect({ source, exists: existsSync(source) }).toEqual({ source, exists: true });
    }
  });
});
