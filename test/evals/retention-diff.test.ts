import { describe, expect, it } from 'vitest';
import { diffAnswers } from '../../src/evals/diff.js';
import { call, ingestSpan, startEvalServer } from './helpers.js';

describe('scores, replays and judgements leave with their trace at retention', () => {
  it('a restart with storage.retentionDays prunes the scores of traces older than the horizon, and keeps the others', async () => {
    const s = await startEvalServer(null);
    const attrs = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1 };
    const old = await ingestSpan(s, { name: 'chat', scope: 'test', attributes: attrs, startMs: Date.now() - 3 * 86_400_000 });
    const recent = await ingestSpan(s, { name: 'chat', scope: 'test', attributes: attrs });
    expect((await call(s, 'POST', `/api/traces/${old.traceId}/scores`, { name: 'q', value: 1 })).status).toBe(200);
    expect((await call(s, 'POST', `/api/traces/${recent.traceId}/scores`, { name: 'q', value: 2 })).status).toBe(200);
    await s.stop();
    const again = await startEvalServer(null, {}, s.dataDir, { storage: { retentionDays: 1 } });
    try {
      const count = async () => again.store.db.withSnapshot(async (c) => (await c.runAndReadAll('SELECT trace_id FROM scores ORDER BY trace_id')).getRows().map((r) => String(r[0])));
      // The prune runs in the background right after the start.
      const deadline = Date.now() + 10_000;
      let left = await count();
      while (left.length > 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        left = await count();
      }
      expect(left).toEqual([recent.traceId]);
    } finally {
      await again.dispose();
      await s.dispose();
    }
  });
});

describe('diffAnswers', () => {
  it('finds the common words and marks what changed', () => {
    const d = diffAnswers({ text: 'The sky is blue today.', toolCalls: [] }, { text: 'The sky is grey today.', toolCalls: [] });
    expect(d.identical).toBe(false);
    expect(d.changes).toEqual([{ op: '=', text: 'The sky is ' }, { op: '-', text: 'blue' }, { op: '+', text: 'grey' }, { op: '=', text: ' today.' }]);
    expect(d.similarity).toBeCloseTo(8 / 9, 5);
  });

  it('compares tool calls by name and parsed arguments', () => {
    const a = { text: null, toolCalls: [{ id: '1', name: 'f', arguments: '{"a":1, "b":2}' }] };
    expect(diffAnswers(a, { text: null, toolCalls: [{ id: 'x', name: 'f', arguments: '{"a":1,"b":2}' }] })).toMatchObject({ identical: true, sameToolCalls: true, similarity: 1 });
    expect(diffAnswers(a, { text: null, toolCalls: [{ id: 'x', name: 'g', arguments: '{}' }] }).sameToolCalls).toBe(false);
  });

  it('stays bounded on long answers', () => {
    const long = Array.from({ length: 5000 }, (_, i) => `w${i}`).join(' ');
    const d = diffAnswers({ text: long, toolCalls: [] }, { text: `${long} end`, toolCalls: [] });
    expect(d.truncated).toBe(true);
    expect(d.similarity).toBeGreaterThan(0.9);
  });
});
