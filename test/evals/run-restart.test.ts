import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTART_REASON, STOP_REASON } from '../../src/evals/runs/scheduler.js';
import { startChildServer, tempDir, waitFor } from '../helpers/server.js';
import { OPENAI_KEY, startFakeLlm, type FakeLlm } from './fake-llm.js';
import { startEvalServer } from './helpers.js';

let fake: FakeLlm;
beforeAll(async () => { fake = await startFakeLlm(); });
afterAll(async () => {
  fake.release();
  await fake.close();
});

async function api(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
  return res.json();
}

/** A dataset of three items and a run of it against the fake's `slow` model (which holds every answer), once two calls are held. */
async function runHeld(url: string): Promise<string> {
  // Answers left held by an earlier test go out (to closed sockets), so held() counts this run's calls.
  fake.release();
  const held = fake.requests.length;
  const d = await api(url, 'POST', '/api/datasets', { name: `held-${Date.now()}` });
  await api(url, 'POST', `/api/datasets/${d.id}/items`, { items: [{ input: 'one' }, { input: 'two' }, { input: 'three' }] });
  const run = await api(url, 'POST', `/api/datasets/${d.id}/run`, { model: 'gpt-slow', concurrency: 2 });
  await fake.held(2);
  expect(fake.requests.length - held).toBe(2);
  const during = await api(url, 'GET', `/api/runs/${run.id}`);
  expect(during.run.status).toBe('running');
  expect(during.aggregates.progress).toMatchObject({ running: 2, pending: 1 });
  return run.id;
}

describe('a run interrupted by a restart ends in a defined state', () => {
  it('a stop aborts the held calls, returns, and leaves the run and its unfinished items interrupted', async () => {
    const s = await startEvalServer(fake, { timeoutMs: 600_000 });
    const id = await runHeld(s.httpUrl);
    // Resolves although the provider never answers: the stop aborts the calls.
    await s.stop();
    const again = await startEvalServer(fake, {}, s.dataDir);
    try {
      const r = await api(again.httpUrl, 'GET', `/api/runs/${id}`);
      expect(r.run).toMatchObject({ status: 'interrupted', error: STOP_REASON });
      expect(r.run.endedAt).not.toBeNull();
      expect(r.items.map((i: any) => i.status)).toEqual(['interrupted', 'interrupted', 'interrupted']);
      expect(r.items[0].error).toEqual({ kind: 'interrupted', message: STOP_REASON });
      expect(r.aggregates.progress).toMatchObject({ interrupted: 3, fraction: 1 });
    } finally {
      await again.dispose();
    }
  });

  it('a killed process leaves the run running; the next start marks it interrupted (keys from OPENAI_API_KEY / OPENAI_BASE_URL)', async () => {
    const dir = await tempDir();
    try {
      const child = await startChildServer(dir, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${fake.url}/v1` });
      const id = await runHeld(child.httpUrl);
      child.proc.kill('SIGKILL');
      await child.exited;
      fake.release();
      const s = await startEvalServer(null, {}, dir);
      try {
        const r = await waitFor(async () => {
          const body = await api(s.httpUrl, 'GET', `/api/runs/${id}`);
          return body.run ? body : null;
        });
        expect(r.run).toMatchObject({ status: 'interrupted', error: RESTART_REASON });
        expect(r.items.map((i: any) => i.status)).toEqual(['interrupted', 'interrupted', 'interrupted']);
      } finally {
        await s.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
