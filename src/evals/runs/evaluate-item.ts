import type { CostModel } from '../../enrich/cost.js';
import type { DatasetItem } from '../datasets.js';
import { answerCost } from '../cost.js';
import { judge } from '../judge/judge.js';
import { transcript } from '../judge/prompt.js';
import type { JudgeMetric } from '../judge/metrics.js';
import { ProviderError, recordedFailure, type Providers } from '../providers/index.js';
import type { ChatRequest, ProviderName } from '../providers/types.js';
import { requestFromInput } from '../replay/rebuild.js';
import type { ItemOutcome, RunRecord } from './store.js';

/** How a run decides whether an item passed: a deterministic comparison with `expected`, a judge, or not at all. */
export type RunCheck =
  | { kind: 'exact_match' | 'contains' }
  | { kind: 'none' }
  | { kind: 'judge'; provider: ProviderName; model: string; metric: JudgeMetric };

/** Characters of a model's output kept per item. */
export const MAX_OUTPUT_CHARS = 64 * 1024;

const normalize = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
const textOf = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * One dataset item of a run: its input sent to the run's model, then
 * checked. A failure at any step is the item's own (`error` with what
 * failed), never the run's; the output is kept when the model answered.
 */
export async function evaluateItem(
  d: { providers: Providers; costs: CostModel }, run: RunRecord, check: RunCheck, item: DatasetItem, signal: AbortSignal,
): Promise<ItemOutcome> {
  const none = { inputTokens: null, outputTokens: null, costUsd: null };
  let req: ChatRequest;
  try {
    req = requestFromInput(item.input, run.model);
  } catch (err) {
    return { status: 'error', output: null, score: null, passed: null, reasoning: null, error: recordedFailure(err), usage: none, latencyMs: null };
  }
  let r;
  try {
    r = await d.providers.chat(run.provider as ProviderName, req, signal);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return { status: 'error', output: null, score: null, passed: null, reasoning: null, error: recordedFailure(err), usage: none, latencyMs: null };
  }
  const answer = [r.text ?? '', ...r.toolCalls.map((c) => `[calls tool ${c.name}(${c.arguments})]`)].filter((s) => s !== '').join('\n');
  const output = answer.slice(0, MAX_OUTPUT_CHARS);
  const usage = { inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens, costUsd: answerCost(d.costs, run.model, r) };
  const base = { output, usage, latencyMs: r.latencyMs };
  const expected = item.expected === null || item.expected === undefined ? null : textOf(item.expected);

  if (check.kind === 'none') return { ...base, status: 'done', score: null, passed: null, reasoning: null, error: null };
  if (check.kind !== 'judge') {
    if (expected === null) return { ...base, status: 'error', score: null, passed: null, reasoning: null, error: { kind: 'invalid_input', message: `the item has no expected answer for ${check.kind}` } };
    const ok = check.kind === 'exact_match' ? normalize(answer) === normalize(expected) : normalize(answer).includes(normalize(expected));
    return { ...base, status: 'done', score: ok ? 1 : 0, passed: ok, reasoning: null, error: null };
  }
  if (check.metric.needsExpected && expected === null) {
    return { ...base, status: 'error', score: null, passed: null, reasoning: null, error: { kind: 'invalid_input', message: `the item has no expected answer for ${check.metric.name}` } };
  }
  const j = await judge(d.providers, d.costs, {
    provider: check.provider, model: check.model, metric: check.metric, input: transcript(req.system, req.messages), answer: answer === '' ? '(empty answer)' : answer,
    expected, passThreshold: run.passThreshold,
  }, signal);
  const sum = (a: number | null, b: number | null) => (a === null && b === null ? null : (a ?? 0) + (b ?? 0));
  const both = { inputTokens: sum(usage.inputTokens, j.usage.inputTokens), outputTokens: sum(usage.outputTokens, j.usage.outputTokens), costUsd: sum(usage.costUsd, j.usage.costUsd) };
  if (j.status !== 'ok') return { ...base, usage: both, status: 'error', score: null, passed: null, reasoning: null, error: j.error };
  return { ...base, usage: both, status: 'done', score: j.score, passed: j.passed, reasoning: j.reasoning, error: null };
}
