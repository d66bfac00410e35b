import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JudgementSchema } from '../../src/api/routes/judge.js';
import { parseVerdict } from '../../src/evals/judge/parse.js';
import type { TestServer } from '../helpers/server.js';
import { startFakeLlm, type FakeLlm } from './fake-llm.js';
import { call, ingestSpan, startEvalServer } from './helpers.js';

let fake: FakeLlm;
let s: TestServer;
let traceId: string;
let spanId: string;

const SPAN = {
  name: 'chat gpt-4o-mini', scope: 'test',
  attributes: {
    'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'What is the capital of France?' }] }]),
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Paris.' }] }]),
    'gen_ai.usage.input_tokens': 9, 'gen_ai.usage.output_tokens': 2,
  },
};

beforeAll(async () => {
  fake = await startFakeLlm();
  fake.answers.set('judge-good', '{"score": 0.9, "reasoning": "It answers the question."}');
  fake.answers.set('judge-fenced', '```json\n{"score": 0.2, "reasoning": "Off topic."}\n```');
  fake.answers.set('judge-prose', 'I would rate this answer 9/10 because it is correct.');
  fake.answers.set('judge-range', '{"score": 9, "reasoning": "out of ten"}');
  fake.answers.set('judge-extra', '{"score": 0.5, "reasoning": "ok", "confidence": "high"}');
  s = await startEvalServer(fake, { judgeModel: 'judge-good' });
  ({ traceId, spanId } = await ingestSpan(s, SPAN));
});
afterAll(async () => {
  await s.dispose();
  await fake.close();
});

const judge = (body: unknown) => call(s, 'POST', `/api/traces/${traceId}/judge`, body);
const scores = async () => (await call(s, 'GET', `/api/traces/${traceId}`)).body.scores;

describe('POST /api/traces/:id/judge', () => {
  it('judges the captured answer with the configured judge model and stores the verdict as a score with source judge', async () => {
    const r = await judge({});
    expect(r.status).toBe(201);
    const j = JudgementSchema.parse(r.body);
    expect(j).toMatchObject({ traceId, spanId, metric: 'relevance', status: 'ok', model: 'judge-good', provider: 'openai', score: 0.9, passed: true, reasoning: 'It answers the question.' });
    const sent = fake.requests.at(-1)!.body;
    expect(sent.response_format).toEqual({ type: 'json_object' });
    expect(sent.temperature).toBe(0);
    expect(sent.messages[1].content).toContain('What is the capital of France?');
    expect(sent.messages[1].content).toContain('Paris.');
    const score = (await scores()).find((x: any) => x.id === j.scoreId);
    expect(score).toMatchObject({ name: 'relevance', source: 'judge', value: 0.9, comment: 'It answers the question.', spanId });
  });

  it('accepts a verdict in one json fence; a failing verdict is stored too', async () => {
    const r = await judge({ model: 'judge-fenced', metric: 'faithfulness' });
    expect(r.body).toMatchObject({ status: 'ok', score: 0.2, passed: false, metric: 'faithfulness' });
  });

  for (const [model, why] of [['judge-prose', /not valid JSON/], ['judge-range', /score/], ['judge-extra', /confidence/]] as const) {
    it(`an answer that is not a verdict (${model}) is a recorded failure, never a score`, async () => {
      const before = (await scores()).length;
      const r = await judge({ model, metric: 'toxicity' });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ status: 'failed', score: null, passed: null, scoreId: null, error: { kind: 'invalid_answer' } });
      expect(r.body.error.message).toMatch(why);
      expect(r.body.error.answer).toBe(fake.answers.get(model));
      expect((await scores()).length).toBe(before);
    });
  }

  it('custom rubrics name their score; toxicity passes low', async () => {
    const r = await judge({ rubric: 'The answer names a city.', metric: 'names_city', model: 'judge-good' });
    expect(r.body).toMatchObject({ status: 'ok', metric: 'names_city', rubric: 'The answer names a city.' });
    expect(fake.requests.at(-1)!.body.messages[1].content).toContain('The answer names a city.');
    expect((await scores()).some((x: any) => x.name === 'names_city' && x.source === 'judge')).toBe(true);
    fake.answers.set('judge-low', '{"score": 0.1, "reasoning": "clean"}');
    expect((await judge({ metric: 'toxicity', model: 'judge-low' })).body).toMatchObject({ passed: true, score: 0.1 });
  });

  it('correctness compares with the expected answer, which it needs', async () => {
    expect((await judge({ metric: 'correctness' })).status).toBe(400);
    const r = await judge({ expected: 'Paris' });
    expect(r.body.metric).toBe('correctness');
    expect(fake.requests.at(-1)!.body.messages[1].content).toContain('EXPECTED\nParis');
  });

  it('a judge provider failure is recorded as an error; unknown metrics are a 400', async () => {
    const r = await judge({ model: 'gpt-error-500' });
    expect(r.body).toMatchObject({ status: 'error', error: { kind: 'server', status: 500 } });
    expect((await judge({ metric: 'vibes' })).status).toBe(400);
  });
});

describe('parseVerdict (strict)', () => {
  it('takes exactly one verdict object', () => {
    expect(parseVerdict('{"score":1,"reasoning":"r"}')).toEqual({ ok: true, verdict: { score: 1, reasoning: 'r' } });
    expect(parseVerdict(' {"score":0,"reasoning":"r","label":"bad"} ')).toMatchObject({ ok: true, verdict: { label: 'bad' } });
    for (const bad of [null, '', 'score: 0.8', '{"score":"0.8","reasoning":"r"}', '{"score":0.8}', '{"score":0.8,"reasoning":""}', '[{"score":1,"reasoning":"r"}]',
      'Sure! {"score":0.8,"reasoning":"r"}', '{"score":-0.1,"reasoning":"r"}', '```json\n{"score":1,"reasoning":"r"}\n``` and more']) {
      expect(parseVerdict(bad).ok, String(bad)).toBe(false);
    }
  });
});
