import { randomBytes } from 'node:crypto';
import type { CostModel } from '../../enrich/cost.js';
import { invalid } from '../../errors.js';
import type { Database } from '../../store/index.js';
import { DEFAULT_JUDGE_MODEL, type Providers } from '../providers/index.js';
import type { ProviderName } from '../providers/types.js';
import { answerOf, readMessages } from '../replay/messages.js';
import type { ScoreTable } from '../scores.js';
import { pickSpan, readTrace } from '../trace-read.js';
import { judge } from './judge.js';
import { BUILT_IN_METRICS, METRIC_NAMES, rubricMetric, type JudgeMetric } from './metrics.js';
import { transcript } from './prompt.js';
import type { JudgementRecord, JudgementTable } from './store.js';

export const DEFAULT_PASS_THRESHOLD = 0.5;
/** Characters of a judge's reasoning kept as the score's comment. */
const MAX_COMMENT_CHARS = 16_000;

export interface JudgeDeps {
  db: Database;
  providers: Providers;
  costs: CostModel;
  scores: ScoreTable;
  judgements: JudgementTable;
  /** evals.judgeModel ('' for the provider's default). */
  judgeModel: string;
}

export interface JudgeAsk {
  metric?: string;
  rubric?: string;
  model?: string;
  provider?: string;
  spanId?: string;
  expected?: string;
  threshold?: number;
}

/** The metric a request asks for: a rubric (named by `metric`, else "rubric"), else a built-in one (relevance by default). */
export function metricOf(ask: { metric?: string; rubric?: string }, hasExpected: boolean): JudgeMetric {
  if (ask.rubric !== undefined) return rubricMetric(ask.metric ?? 'rubric', ask.rubric);
  const name = ask.metric ?? (hasExpected ? 'correctness' : 'relevance');
  const m = BUILT_IN_METRICS[name];
  if (!m) throw invalid(`metric must be one of ${METRIC_NAMES.join(', ')}, or pass a rubric`, [{ path: 'metric', message: 'unknown metric' }]);
  if (m.needsExpected && !hasExpected) throw invalid(`metric ${name} compares with an expected answer: pass "expected"`, [{ path: 'expected', message: 'required by this metric' }]);
  return m;
}

/** The judge's provider and model: the request's, else evals.judgeModel, else the provider's default judge model. */
export function judgeModelOf(providers: Providers, ask: { model?: string; provider?: string }, configured: string): { provider: ProviderName; model: string } {
  const named = ask.model ?? (configured !== '' ? configured : undefined);
  const provider = providers.choose(ask.provider, named ?? null);
  return { provider, model: named ?? DEFAULT_JUDGE_MODEL[provider] };
}

function parsed(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/**
 * POST /api/traces/:id/judge: judges the captured answer of a span (or
 * the trace's first model call) and stores a passed verdict as the score
 * `<metric>` with source `judge` and the reasoning as its comment. Every
 * judgement is recorded, failed ones too; only a verdict makes a score.
 */
export async function judgeTrace(deps: JudgeDeps, projectId: string, traceId: string, ask: JudgeAsk): Promise<JudgementRecord> {
  const metric = metricOf(ask, ask.expected !== undefined);
  const trace = await readTrace(deps.db, projectId, traceId);
  const span = pickSpan(trace, ask.spanId);
  const out = answerOf(parsed(span.output));
  const answer = [out.text ?? '', ...out.toolCalls.map((c) => `[calls tool ${c.name}(${c.arguments})]`)].filter((s) => s !== '').join('\n');
  if (answer === '') throw invalid(`span ${span.id} has no captured answer to judge (content capture off, payloads redacted, or the call failed)`);
  const read = span.input === null ? null : readMessages(parsed(span.input));
  const input = read === null ? '(the input was not captured)' : transcript(read.system.length > 0 ? read.system.join('\n\n') : null, read.messages);
  const { provider, model } = judgeModelOf(deps.providers, ask, deps.judgeModel);
  deps.providers.require(provider);
  const outcome = await judge(deps.providers, deps.costs, {
    provider, model, metric, input, answer, expected: ask.expected ?? null, passThreshold: ask.threshold ?? DEFAULT_PASS_THRESHOLD,
  });
  let scoreId: string | null = null;
  if (outcome.status === 'ok') {
    const { score } = await deps.scores.upsert({
      projectId, traceId, spanId: span.id, name: metric.name, source: 'judge', value: outcome.score!,
      comment: outcome.reasoning!.slice(0, MAX_COMMENT_CHARS), traceStartedUs: trace.startedUs,
    });
    scoreId = score.id;
  }
  return deps.judgements.insert({
    id: `jd_${randomBytes(8).toString('hex')}`, projectId, traceId, spanId: span.id, metric: metric.name, rubric: ask.rubric ?? null,
    status: outcome.status, provider, model, score: outcome.score, passed: outcome.passed, reasoning: outcome.reasoning, scoreId,
    error: outcome.error, usage: outcome.usage, latencyMs: outcome.latencyMs, answer: outcome.answer, traceStartedUs: trace.startedUs,
  });
}
