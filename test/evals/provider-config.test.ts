import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';

describe('evals.providers: keys and base URLs from the configuration', () => {
  it('default to none (every provider-backed route then says what to set)', () => {
    expect(loadConfig({ env: {} }).evals.providers).toEqual({ openai: { apiKey: '', baseUrl: '' }, anthropic: { apiKey: '', baseUrl: '' } });
  });

  it('take the SDKs\' own variables when the config sets nothing', () => {
    const c = loadConfig({ env: { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', ANTHROPIC_API_KEY: 'sk-ant-env', ANTHROPIC_BASE_URL: 'http://127.0.0.1:8' } });
    expect(c.evals.providers).toEqual({
      openai: { apiKey: 'sk-env', baseUrl: 'http://127.0.0.1:9/v1' },
      anthropic: { apiKey: 'sk-ant-env', baseUrl: 'http://127.0.0.1:8' },
    });
  });

  it('a config file overrides the variables key by key', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'evals-config-'));
    try {
      const file = path.join(dir, 'lookspan.yaml');
      await writeFile(file, 'evals:\n  providers:\n    openai:\n      apiKey: sk-file\n');
      const c = loadConfig({ file, env: { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } });
      expect(c.evals.providers.openai).toEqual({ apiKey: 'sk-file', baseUrl: 'http://127.0.0.1:9/v1' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => loadConfig({ env: { OPENAI_BASE_URL: 'file:///etc/passwd' } })).toThrow(/evals\.providers\.openai\.baseUrl/);
  });
});
