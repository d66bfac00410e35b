import type { CostModel } from '../../enrich/cost.js';
import { answerCost } from '../cost.js';
import { ProviderError, recordedFailure, type Providers, type RecordedFailure } from '../providers/index.js';
import type { ProviderName } from '../providers/types.js';
import { passes, type JudgeMetric } from './metrics.js';
import { parseVerdict } from './parse.js';
import { JUDGE_SYSTEM, judgePrompt } from './prompt.js';

/** Characters of a malformed judge answer kept in its recorded failure. */
export const MAX_KEPT_ANSWER_CHARS = 2000;

export interface JudgeCall {
  provider: ProviderName;
  model: string;
  metric: JudgeMetric;
  input: string;
  answer: string;
  expected: string | null;
  passThreshold: number;
}

export type JudgeOutcome = {
  status: 'ok' | 'failed' | 'error';
  score: number | null;
  passed: boolean | null;
  reasoning: string | null;
  /** The judge's raw answer (kept, cut, when it was not a verdict). */
  answer: string | null;
  error: RecordedFailure | null;
  usage: { inputTokens: number | null; outputTokens: number | null; costUsd: number | null };
  latencyMs: number | null;
};

/**
 * One judgement: asks the judge model for a JSON verdict and parses it
 * strictly. `failed`: the judge answered but not with a verdict (kept in
 * `error.answer`); `error`: the provider call itself failed. Neither has
 * a score.
 */
export async function judge(providers: Providers, costs: CostModel, c: JudgeCall, signal?: AbortSignal): Promise<JudgeOutcome> {
  const req = {
    model: c.model, system: JUDGE_SYSTEM, messages: [{ role: 'user' as const, content: judgePrompt(c.metric, c.input, c.answer, c.expected) }],
    tools: [], parameters: { temperature: 0, maxTokens: 1024 }, stream: false, jsonOutput: c.provider === 'openai',
  };
  let r;
  try {
    r = await providers.chat(c.provider, req, signal);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return { status: 'error', score: null, passed: null, reasoning: null, answer: null, error: recordedFailure(err), usage: { inputTokens: null, outputTokens: null, costUsd: null }, latencyMs: null };
  }
  const usage = { inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens, costUsd: answerCost(costs, c.model, r) };
  const v = parseVerdict(r.text);
  if (!v.ok) {
    const kept = r.text === null ? null : r.text.slice(0, MAX_KEPT_ANSWER_CHARS);
    return { status: 'failed', score: null, passed: null, reasoning: null, answer: kept, error: { kind: 'invalid_answer', message: v.problem, ...(kept !== null ? { answer: kept } : {}) }, usage, latencyMs: r.latencyMs };
  }
  return {
    status: 'ok', score: v.verdict.score, passed: passes(c.metric, v.verdict.score, c.passThreshold), reasoning: v.verdict.reasoning,
    answer: null, error: null, usage, latencyMs: r.latencyMs,
  };
}
