/**
 * The production build and the container image, as far as they can be
 * checked without a container engine: `npm run build` compiles src/ alone,
 * the Dockerfile copies only what exists and starts what the build produces,
 * and the compiled service runs from a copy of the package that has only
 * production dependencies installed (no tsx, no TypeScript).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/server.js';

interface Run {
  code: number | null;
  out: string;
}

/** Runs a command to completion; its output (stdout and stderr) is returned, not printed. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, out }));
  });
}

interface Instruction {
  stage: number;
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions (continuation lines joined, comments dropped), each with its stage index. */
function parseDockerfile(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const out: Instruction[] = [];
  let stage = -1;
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') stage++;
    out.push({ stage, keyword, args: m[2].trim() });
  }
  return out;
}

/** COPY's sources and destination, without its --flags. */
function copyParts(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] };
}

const dockerfile = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const stages = dockerfile.filter((i) => i.keyword === 'FROM');
const runtimeStage = stages.length - 1;
const runtime = dockerfile.filter((i) => i.stage === runtimeStage);
const buildStageName = /\bAS\s+(\S+)/i.exec(stages[0]?.args ?? '')?.[1];
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

let work: string;
/** `npm run build`'s output, compiled into a temporary directory (the checkout's dist/ is left alone). */
let distDir: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'lookspan-build-'));
  distDir = path.join(work, 'dist');
  const build = await run('npm', ['run', 'build', '--', '--outDir', distDir, '--tsBuildInfoFile', path.join(work, 'tsbuildinfo')], ROOT);
  expect(build.code, build.out).toBe(0);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('compiles src/ only: dist/main.js and the modules under it, no tests or benches', () => {
    expect(existsSync(path.join(distDir, 'main.js'))).toBe(true);
    expect(existsSync(path.join(distDir, 'receivers', 'otlp', 'proto-root.js'))).toBe(true);
    expect(existsSync(path.join(distDir, 'src'))).toBe(false);
    expect(existsSync(path.join(distDir, 'test'))).toBe(false);
    expect(existsSync(path.join(distDir, 'bench'))).toBe(false);
  });

  it('npm start builds first and runs the compiled entry point with Node', () => {
    expect(pkg.scripts.prestart).toMatch(/tsc -p tsconfig\.build\.json/);
    expect(pkg.scripts.start).toBe('node dist/main.js');
    // The typecheck still covers src, tests and benches.
    expect(pkg.scripts.test).toMatch(/tsc -p tsconfig\.json --noEmit/);
    const tsconfig = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    expect(tsconfig.include).toEqual(expect.arrayContaining(['src', 'test']));
  });

  it('tsx and TypeScript are development dependencies only', () => {
    for (const dev of ['tsx', 'typescript', 'vitest']) {
      expect(pkg.dependencies[dev], dev).toBeUndefined();
      expect(pkg.devDependencies[dev], dev).toBeDefined();
    }
  });
});

describe('Dockerfile', () => {
  it('builds in one node:20-bookworm-slim stage and runs in another', () => {
    expect(stages).toHaveLength(2);
    for (const s of stages) expect(s.args).toMatch(/^node:20-bookworm-slim\b/);
    expect(buildStageName).toBeTruthy();
    const build = dockerfile.filter((i) => i.stage === 0 && i.keyword === 'RUN').map((i) => i.args);
    expect(build).toContain('npm install --no-audit --no-fund');
    expect(build).toContain('npm run build');
  });

  it('installs production dependencies only in the runtime stage', () => {
    const runs = runtime.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r)), runs.join('\n')).toBe(true);
  });

  it('copies only files and directories that exist', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim().replace(/\/$/, ''))
      .filter((l) => l && !l.startsWith('#'));
    const copies = dockerfile.filter((i) => i.keyword === 'COPY');
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const { from, sources } = copyParts(copy.args);
      for (const source of sources) {
        if (from) {
          // From the build stage: its WORKDIR is /app, and dist/ is what `npm run build` produced.
          expect(from).toBe(buildStageName);
          expect(source).toBe('/app/dist');
          expect(statSync(distDir).isDirectory()).toBe(true);
        } else {
          const rel = source.replace(/^\.\//, '').replace(/\/$/, '');
          expect(existsSync(path.join(ROOT, rel)), `COPY ${source}`).toBe(true);
          expect(ignored, `COPY ${source} is excluded by .dockerignore`).not.toContain(rel);
        }
      }
    }
  });

  it('starts `node dist/main.js` as PID 1, non-root, with the data volume, ports and health check', () => {
    const last = (keyword: string) => runtime.filter((i) => i.keyword === keyword).at(-1)?.args;
    expect(JSON.parse(last('ENTRYPOINT') ?? 'null')).toEqual(['node', 'dist/main.js']);
    expect(runtime.some((i) => i.keyword === 'CMD')).toBe(false);
    expect(last('WORKDIR')).toBe('/app');
    expect(existsSync(path.join(distDir, 'main.js'))).toBe(true);
    const user = last('USER') ?? 'root';
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const env = runtime.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/\bLOOKSPAN_DATA_DIR=\/data\b/);
    expect(env).toMatch(/\bLOOKSPAN_HOST=0\.0\.0\.0\b/);
    expect(last('VOLUME')).toBe('/data');
    expect(last('EXPOSE')?.split(/\s+/).sort()).toEqual(['3100', '3317']);
    expect(last('HEALTHCHECK')).toMatch(/\/api\/liveness/);
  });
});

describe('the compiled build with production dependencies only', () => {
  it('starts, answers /api/health and exits 0 on SIGTERM', async () => {
    // The runtime stage's files: package.json, package-lock.json, proto/ from the
    // context, dist/ from the build.
    const app = path.join(work, 'app');
    for (const f of ['package.json', 'package-lock.json']) cpSync(path.join(ROOT, f), path.join(app, f));
    cpSync(path.join(ROOT, 'proto'), path.join(app, 'proto'), { recursive: true });
    cpSync(distDir, path.join(app, 'dist'), { recursive: true });

    // The runtime stage's install (the npm cache makes repeated runs fast).
    const install = await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], app);
    expect(install.code, install.out).toBe(0);
    for (const dev of ['tsx', 'typescript', 'vitest', 'esbuild']) {
      expect(existsSync(path.join(app, 'node_modules', dev)), `node_modules/${dev}`).toBe(false);
    }
    expect(existsSync(path.join(app, 'node_modules', '@duckdb', 'node-api'))).toBe(true);

    const proc = spawn(process.execPath, ['dist/main.js'], {
      cwd: app,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'production',
        LOOKSPAN_HOST: '127.0.0.1',
        LOOKSPAN_HTTP_PORT: '0',
        LOOKSPAN_GRPC_PORT: '0',
        LOOKSPAN_DATA_DIR: path.join(work, 'data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    try {
      const httpUrl = await new Promise<string>((resolve, reject) => {
        const check = () => {
          const m = /Lookspan listening: HTTP (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]);
        };
        proc.stdout.on('data', check);
        proc.stderr.on('data', check);
        proc.on('exit', (code) => reject(new Error(`exited with code ${code} before listening: ${out}`)));
      });
      const res = await fetch(`${httpUrl}/api/health`);
      expect(res.status, out).toBe(200);
      const health = (await res.json()) as { version: string };
      // package.json was found from dist/ (the package root), not from a source tree.
      expect(health.version).toBe(pkg.version);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGTERM');
    }
    expect(await exited, out).toBe(0);
    expect(out).toContain('Lookspan stopped');
  }, 120_000);
});
