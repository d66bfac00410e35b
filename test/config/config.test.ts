/**
 * Configuration: defaults < YAML file (with ${env:VAR}) < environment <
 * explicit overrides; invalid values are refused with the field named, and
 * the real entry point exits non-zero on them.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type LoadOptions } from '../../src/config/index.js';
import { ROOT } from '../helpers/server.js';

let dir: string;
let n = 0;

async function yamlFile(text: string): Promise<string> {
  const file = path.join(dir, `config-${++n}.yaml`);
  await writeFile(file, text);
  return file;
}

/** The ConfigError thrown by loadConfig, or a failure when it loads. */
function configError(opts: LoadOptions): ConfigError {
  try {
    loadConfig(opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(opts)}`);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lookspan-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('defaults', () => {
  it('an empty environment gives the documented defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.server).toEqual({ host: '127.0.0.1', httpPort: 3100, grpcPort: 3317, shutdownTimeoutSeconds: 10 });
    expect(c.storage.dataDir).toBe('./data');
    expect(c.limits.maxBodyBytes).toBe(16 * 1024 * 1024);
    expect(c.limits.grpcMaxReceiveBytes).toBe(16 * 1024 * 1024);
    expect(c.limits.maxDecompressedBytes).toBeGreaterThanOrEqual(c.limits.maxBodyBytes);
    expect(c.pipeline.queueMaxSpans).toBe(200_000);
    expect(c.log.level).toBe('info');
  });

  it('port 0 is valid', () => {
    const c = loadConfig({ env: { LOOKSPAN_HTTP_PORT: '0', LOOKSPAN_GRPC_PORT: '0' } });
    expect(c.server.httpPort).toBe(0);
    expect(c.server.grpcPort).toBe(0);
  });
});

describe('precedence: defaults < YAML < env < overrides', () => {
  let file: string;
  beforeAll(async () => {
    file = await yamlFile([
      'server:',
      '  host: 0.0.0.0',
      '  httpPort: 4000',
      '  grpcPort: 4001',
      'storage:',
      '  dataDir: /var/lib/lookspan-yaml',
      'limits:',
      '  maxBodyBytes: 1048576',
      'pipeline:',
      '  queueMaxSpans: 5000',
      'log:',
      '  level: warn',
    ].join('\n'));
  });

  it('YAML beats defaults; keys the file leaves out keep their defaults', () => {
    const c = loadConfig({ file, env: {} });
    expect(c.server.host).toBe('0.0.0.0');
    expect(c.server.httpPort).toBe(4000);
    expect(c.server.grpcPort).toBe(4001);
    expect(c.server.shutdownTimeoutSeconds).toBe(10);
    expect(c.storage.dataDir).toBe('/var/lib/lookspan-yaml');
    expect(c.limits.maxBodyBytes).toBe(1048576);
    expect(c.limits.grpcMaxReceiveBytes).toBe(16 * 1024 * 1024);
    expect(c.pipeline.queueMaxSpans).toBe(5000);
    expect(c.log.level).toBe('warn');
  });

  it('LOOKSPAN_CONFIG names the file when no path is given', () => {
    const c = loadConfig({ env: { LOOKSPAN_CONFIG: file } });
    expect(c.server.httpPort).toBe(4000);
  });

  it('environment variables beat YAML', () => {
    const c = loadConfig({
      file,
      env: {
        LOOKSPAN_HOST: '10.0.0.1',
        LOOKSPAN_HTTP_PORT: '5000',
        LOOKSPAN_DATA_DIR: '/srv/env-data',
        LOOKSPAN_MAX_BODY_BYTES: '2048',
        LOOKSPAN_QUEUE_MAX_SPANS: '7',
        LOOKSPAN_LOG_LEVEL: 'debug',
      },
    });
    expect(c.server.host).toBe('10.0.0.1');
    expect(c.server.httpPort).toBe(5000);
    expect(c.server.grpcPort).toBe(4001); // from YAML, env did not set it
    expect(c.storage.dataDir).toBe('/srv/env-data');
    expect(c.limits.maxBodyBytes).toBe(2048);
    expect(c.pipeline.queueMaxSpans).toBe(7);
    expect(c.log.level).toBe('debug');
  });

  it('every documented environment variable lands on its key', () => {
    const c = loadConfig({
      env: {
        LOOKSPAN_GRPC_PORT: '6001',
        LOOKSPAN_SHUTDOWN_TIMEOUT_SECONDS: '3',
        LOOKSPAN_DUCKDB_MEMORY_LIMIT: '1GB',
        LOOKSPAN_DUCKDB_THREADS: '2',
        LOOKSPAN_MAX_DECOMPRESSED_BYTES: '9999',
        LOOKSPAN_GRPC_MAX_RECEIVE_BYTES: '8888',
        LOOKSPAN_PAYLOAD_MAX_BYTES: '777',
        LOOKSPAN_WAL_MAX_UNLOADED_BYTES: '123456',
        LOOKSPAN_COMMIT_DELAY_MS: '5',
        LOOKSPAN_SEGMENT_MAX_BYTES: '65536',
        LOOKSPAN_SEGMENT_MAX_AGE_MS: '250',
      },
    });
    expect(c.server.grpcPort).toBe(6001);
    expect(c.server.shutdownTimeoutSeconds).toBe(3);
    expect(c.storage.duckdbMemoryLimit).toBe('1GB');
    expect(c.storage.duckdbThreads).toBe(2);
    expect(c.limits.maxDecompressedBytes).toBe(9999);
    expect(c.limits.grpcMaxReceiveBytes).toBe(8888);
    expect(c.limits.payloadMaxBytes).toBe(777);
    expect(c.pipeline.walMaxUnloadedBytes).toBe(123456);
    expect(c.pipeline.commitDelayMs).toBe(5);
    expect(c.pipeline.segmentMaxBytes).toBe(65536);
    expect(c.pipeline.segmentMaxAgeMs).toBe(250);
  });

  it('an empty environment variable counts as unset', () => {
    const c = loadConfig({ file, env: { LOOKSPAN_HTTP_PORT: '' } });
    expect(c.server.httpPort).toBe(4000);
  });

  it('explicit overrides beat environment variables', () => {
    const c = loadConfig({
      file,
      env: { LOOKSPAN_HTTP_PORT: '5000', LOOKSPAN_HOST: '10.0.0.1' },
      overrides: { server: { httpPort: 6000 } },
    });
    expect(c.server.httpPort).toBe(6000);
    expect(c.server.host).toBe('10.0.0.1');
    expect(c.server.grpcPort).toBe(4001);
  });
});

describe('${env:VAR} substitution in YAML', () => {
  it('substitutes whole values (typed), parts of strings, and fallbacks', async () => {
    const file = await yamlFile([
      '# a reference in a comment is not expanded: ${env:NOT_SET_ANYWHERE}',
      'server:',
      '  httpPort: ${env:TEST_HTTP_PORT}',
      '  grpcPort: ${env:TEST_GRPC_PORT:-4317}',
      '  host: ${env:TEST_HOST}',
      'storage:',
      '  dataDir: ${env:TEST_ROOT}/lookspan/data',
      'log:',
      '  level: ${env:TEST_LEVEL:-error}',
    ].join('\n'));
    const c = loadConfig({ file, env: { TEST_HTTP_PORT: '4321', TEST_HOST: '192.168.1.9', TEST_ROOT: '/mnt/disk' } });
    expect(c.server.httpPort).toBe(4321);
    expect(c.server.grpcPort).toBe(4317);
    expect(c.server.host).toBe('192.168.1.9');
    expect(c.storage.dataDir).toBe('/mnt/disk/lookspan/data');
    expect(c.log.level).toBe('error');
  });

  it('a set variable wins over its fallback', async () => {
    const file = await yamlFile('server:\n  grpcPort: ${env:TEST_GRPC_PORT:-4317}\n');
    expect(loadConfig({ file, env: { TEST_GRPC_PORT: '9999' } }).server.grpcPort).toBe(9999);
  });

  it('a reference to an unset variable without fallback is an error naming it', async () => {
    const file = await yamlFile('storage:\n  dataDir: ${env:LOOKSPAN_TEST_UNSET_DIR}\n');
    expect(configError({ file, env: {} }).message).toContain('LOOKSPAN_TEST_UNSET_DIR');
  });

  it('a substituted value is still validated', async () => {
    const file = await yamlFile('server:\n  httpPort: ${env:TEST_HTTP_PORT}\n');
    expect(configError({ file, env: { TEST_HTTP_PORT: '99999' } }).message).toContain('server.httpPort');
  });
});

describe('invalid configuration names the field', () => {
  it('LOOKSPAN_HTTP_PORT=abc', () => {
    const e = configError({ env: { LOOKSPAN_HTTP_PORT: 'abc' } });
    expect(e.message).toContain('LOOKSPAN_HTTP_PORT');
    expect(e.message).toContain('abc');
  });

  it('LOOKSPAN_HTTP_PORT=70000', () => {
    expect(configError({ env: { LOOKSPAN_HTTP_PORT: '70000' } }).message).toContain('server.httpPort');
  });

  it('LOOKSPAN_QUEUE_MAX_SPANS=0 and LOOKSPAN_LOG_LEVEL=loud', () => {
    expect(configError({ env: { LOOKSPAN_QUEUE_MAX_SPANS: '0' } }).message).toContain('pipeline.queueMaxSpans');
    expect(configError({ env: { LOOKSPAN_LOG_LEVEL: 'loud' } }).message).toContain('log.level');
  });

  it('server.httpPort: 70000 in YAML', async () => {
    const file = await yamlFile('server:\n  httpPort: 70000\n');
    expect(configError({ file, env: {} }).message).toContain('server.httpPort');
  });

  it('a wrong type in YAML', async () => {
    const file = await yamlFile('limits:\n  maxBodyBytes: lots\n');
    expect(configError({ file, env: {} }).message).toContain('limits.maxBodyBytes');
  });

  it('every bad field is named at once', async () => {
    const file = await yamlFile('server:\n  httpPort: -1\n  grpcPort: 70000\nlimits:\n  maxBodyBytes: 0\n');
    const msg = configError({ file, env: {} }).message;
    expect(msg).toContain('server.httpPort');
    expect(msg).toContain('server.grpcPort');
    expect(msg).toContain('limits.maxBodyBytes');
  });

  it('an unknown top-level key', async () => {
    const file = await yamlFile('servr:\n  httpPort: 4000\n');
    expect(configError({ file, env: {} }).message).toContain('servr');
  });

  it('an unknown nested key (a typo) is refused, not silently ignored', async () => {
    const file = await yamlFile('server:\n  httpPortt: 4000\n');
    expect(configError({ file, env: {} }).message).toContain('httpPortt');
  });

  it('invalid YAML, a non-mapping document, and a missing file', async () => {
    expect(configError({ file: await yamlFile('server: [unclosed\n'), env: {} }).message).toMatch(/not valid YAML/);
    expect(configError({ file: await yamlFile('- a\n- b\n'), env: {} }).message).toMatch(/mapping/);
    const missing = path.join(dir, 'does-not-exist.yaml');
    expect(configError({ file: missing, env: {} }).message).toContain(missing);
  });
});

describe('config/lookspan.example.yaml', () => {
  const example = path.join(ROOT, 'config/lookspan.example.yaml');

  it('exists, loads, and documents the defaults', () => {
    expect(existsSync(example)).toBe(true);
    const fromExample = loadConfig({ file: example, env: {} });
    expect(fromExample).toEqual(loadConfig({ env: {} }));
  });
});

describe('the entry point (node --import tsx src/main.ts)', () => {
  function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d) => (stdout += d));
      proc.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      proc.on('error', reject);
      proc.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr, stdout });
      });
    });
  }

  it('LOOKSPAN_HTTP_PORT=notanumber exits non-zero naming the variable', async () => {
    const r = await run([], { LOOKSPAN_HTTP_PORT: 'notanumber', LOOKSPAN_DATA_DIR: path.join(dir, 'never-created') });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toContain('LOOKSPAN_HTTP_PORT');
    expect(r.stderr).toContain('notanumber');
    expect(r.stdout).not.toMatch(/Lookspan listening/);
    expect(existsSync(path.join(dir, 'never-created'))).toBe(false);
  });

  it('--config with a bad value exits non-zero naming the field', async () => {
    const file = await yamlFile('server:\n  grpcPort: 123456\n');
    const r = await run(['--config', file], { LOOKSPAN_DATA_DIR: path.join(dir, 'never-created-2') });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toContain('server.grpcPort');
  });

  it('--config with ${env:VAR} starts the server on the configured ports', async () => {
    const dataDir = path.join(dir, 'child-data');
    const file = await yamlFile([
      'server:',
      '  host: 127.0.0.1',
      '  httpPort: ${env:CHILD_HTTP_PORT}',
      '  grpcPort: 0',
      'storage:',
      '  dataDir: ${env:CHILD_DATA_DIR}',
      'log:',
      '  level: info',
    ].join('\n'));
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), `--config=${file}`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CHILD_HTTP_PORT: '0', CHILD_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<RegExpExecArray>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
        const check = () => {
          const m = /Lookspan listening: HTTP (http:\/\/127\.0\.0\.1:\d+)\s+gRPC (127\.0\.0\.1:\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          } else if (proc.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`server exited: ${out}`));
          } else setTimeout(check, 50);
        };
        check();
      });
      const httpUrl = line[1];
      expect(Number(new URL(httpUrl).port)).toBeGreaterThan(0);
      expect(Number(line[2].split(':')[1])).toBeGreaterThan(0);
      const live = await fetch(`${httpUrl}/api/liveness`);
      expect(live.status).toBe(200);
      expect(existsSync(dataDir)).toBe(true);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

describe('DuckDB settings are validated before DuckDB sees them', () => {
  const ACCEPTED = ['512MB', '2GB', '1.5GiB', '2 GiB', '256mb', '1TB', '750KiB'];
  const REFUSED = ['lots', '80%', '100', '2PB', '1,5GB', 'GB'];

  it.each(ACCEPTED)('LOOKSPAN_DUCKDB_MEMORY_LIMIT=%s is accepted', (value) => {
    expect(loadConfig({ env: { LOOKSPAN_DUCKDB_MEMORY_LIMIT: value } }).storage.duckdbMemoryLimit).toBe(value);
  });

  it.each(REFUSED)('LOOKSPAN_DUCKDB_MEMORY_LIMIT=%s is refused naming the key, the variable, the value and the accepted form', (value) => {
    const msg = configError({ env: { LOOKSPAN_DUCKDB_MEMORY_LIMIT: value } }).message;
    expect(msg).toContain('storage.duckdbMemoryLimit');
    expect(msg).toContain('LOOKSPAN_DUCKDB_MEMORY_LIMIT');
    expect(msg).toContain(JSON.stringify(value));
    expect(msg).toMatch(/512MB, 2GB or 1\.5GiB/);
  });

  it('the schema agrees with DuckDB: it accepts what DuckDB accepts and refuses what DuckDB refuses', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const duckdbAccepts = async (memory_limit: string) => {
      try {
        (await DuckDBInstance.create(':memory:', { memory_limit })).closeSync();
        return true;
      } catch {
        return false;
      }
    };
    for (const value of ACCEPTED) expect(await duckdbAccepts(value), value).toBe(true);
    for (const value of REFUSED) expect(await duckdbAccepts(value), value).toBe(false);
  });

  it('duckdbMemoryLimit in YAML must be a string with a unit', async () => {
    const msg = configError({ file: await yamlFile('storage:\n  duckdbMemoryLimit: 2048\n'), env: {} }).message;
    expect(msg).toContain('storage.duckdbMemoryLimit');
    expect(msg).toMatch(/512MB/);
  });

  it('duckdbThreads must be a whole number, 0 or more', async () => {
    for (const value of ['-1', 'abc', '2.5']) {
      const msg = configError({ env: { LOOKSPAN_DUCKDB_THREADS: value } }).message;
      expect(msg, value).toContain('LOOKSPAN_DUCKDB_THREADS');
      expect(msg, value).toContain('storage.duckdbThreads');
    }
    expect(configError({ env: { LOOKSPAN_DUCKDB_THREADS: '-1' } }).message).toMatch(/0 or more/);
    const yaml = configError({ file: await yamlFile('storage:\n  duckdbThreads: 2.5\n'), env: {} }).message;
    expect(yaml).toContain('storage.duckdbThreads');
    expect(yaml).toMatch(/whole number/);
    expect(loadConfig({ env: { LOOKSPAN_DUCKDB_THREADS: '0' } }).storage.duckdbThreads).toBe(0);
  });
});

describe('what only DuckDB can refuse becomes a ConfigError naming the setting', () => {
  it('a memory_limit DuckDB refuses (bypassing the schema)', async () => {
    const { Database } = await import('../../src/store/duckdb/database.js');
    const err = await Database.open({ dataDir: path.join(dir, 'duckdb-refuses'), memoryLimit: 'lots', threads: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('storage.duckdbMemoryLimit');
    expect(err.message).toContain('LOOKSPAN_DUCKDB_MEMORY_LIMIT');
    expect(err.message).toContain('"lots"');
    expect(err.message).toMatch(/512MB/);
  });

  it('a memory_limit too small to open the database', async () => {
    const { Database } = await import('../../src/store/duckdb/database.js');
    const err = await Database.open({ dataDir: path.join(dir, 'duckdb-too-small'), memoryLimit: '1KB', threads: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('storage.duckdbMemoryLimit');
    expect(err.message).toMatch(/too small/);
  });
});

describe('the entry point exits 2 on an invalid DuckDB setting', () => {
  function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '',
          LOOKSPAN_HOST: '127.0.0.1', LOOKSPAN_HTTP_PORT: '0', LOOKSPAN_GRPC_PORT: '0',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d) => (stdout += d));
      proc.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      proc.on('error', reject);
      proc.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr, stdout });
      });
    });
  }

  it('LOOKSPAN_DUCKDB_MEMORY_LIMIT=lots: exit 2, the key and the accepted form, nothing created', async () => {
    const dataDir = path.join(dir, 'never-created-memory');
    const r = await runMain({ LOOKSPAN_DUCKDB_MEMORY_LIMIT: 'lots', LOOKSPAN_DATA_DIR: dataDir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('LOOKSPAN_DUCKDB_MEMORY_LIMIT');
    expect(r.stderr).toContain('storage.duckdbMemoryLimit');
    expect(r.stderr).toMatch(/512MB, 2GB or 1\.5GiB/);
    expect(r.stderr).not.toContain('Failed to set config');
    expect(r.stdout).not.toMatch(/Lookspan listening/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('LOOKSPAN_DUCKDB_MEMORY_LIMIT=1KB (well-formed, too small for DuckDB): exit 2 naming the key', async () => {
    const r = await runMain({ LOOKSPAN_DUCKDB_MEMORY_LIMIT: '1KB', LOOKSPAN_DATA_DIR: path.join(dir, 'child-too-small') });
    expect(r.code, r.stderr + r.stdout).toBe(2);
    expect(r.stderr).toContain('storage.duckdbMemoryLimit (LOOKSPAN_DUCKDB_MEMORY_LIMIT)');
    expect(r.stderr).toMatch(/too small/);
    expect(r.stdout).not.toMatch(/Lookspan listening/);
  });
});
