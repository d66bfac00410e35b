import { DatasetCreateBody, DatasetDetailQuery, DatasetDetailResponse, DatasetListResponse, DatasetSchema, FromTraceBody, ItemsBody, ItemsResponse, RunBody } from '../../routes/datasets.js';
import { JudgeBody, JudgementSchema } from '../../routes/judge.js';
import { ReplayBody, ReplayListResponse, ReplaySchema } from '../../routes/replay.js';
import { RunDetailQuery, RunDetailResponse, RunSchema } from '../../routes/runs.js';
import { ScoreBody, ScoreResponse } from '../../routes/scores.js';
import type { Operation } from '../operation.js';

const trace = { traceId: '32 hex digits (OTLP) or the native trace id' };
const NO_KEY = 'Answers 503 naming the configuration key and environment variable to set when the provider it needs has no API key (keys and base URLs are never taken from a request).';

/** Scores, replay, LLM-as-judge, datasets and runs (docs/evals.md). */
export const EVAL_OPERATIONS: Operation[] = [
  {
    method: 'post', path: '/api/traces/:traceId/scores', tag: 'Evaluations', summary: 'Attach a numeric, boolean or categorical score to a trace or one of its spans',
    description: 'One score per (trace, span, name, source): posting the same again updates it in place (`created` false). Scores appear in the trace detail and the JSON export.',
    params: trace, body: ScoreBody, response: ScoreResponse, errors: [404, 409],
  },
  {
    method: 'post', path: '/api/traces/:traceId/replay', tag: 'Evaluations', summary: 'Re-run a captured model call (messages, system, tools, parameters) against a configured provider',
    description: `The request is rebuilt from the stored span of any supported convention. A provider failure is recorded as a replay with status error. Each replay is traced as its own span in session "replay". ${NO_KEY}`,
    params: trace, body: ReplayBody, response: ReplaySchema, status: 201, errors: [404, 503],
  },
  { method: 'get', path: '/api/traces/:traceId/replays', tag: 'Evaluations', summary: 'Past replays of a trace, newest first, with tokens, cost, latency and the diff', params: trace, response: ReplayListResponse },
  {
    method: 'post', path: '/api/traces/:traceId/judge', tag: 'Evaluations', summary: 'LLM-as-judge over a captured answer (built-in metric or custom rubric)',
    description: `The verdict is parsed strictly; an answer that is not the JSON verdict is recorded as a failed judgement without a score. A verdict is stored as a score with source judge. ${NO_KEY}`,
    params: trace, body: JudgeBody, response: JudgementSchema, status: 201, errors: [404, 503],
  },
  { method: 'get', path: '/api/datasets', tag: 'Evaluations', summary: 'The project\'s datasets', response: DatasetListResponse },
  { method: 'post', path: '/api/datasets', tag: 'Evaluations', summary: 'Create a dataset', body: DatasetCreateBody, response: DatasetSchema, status: 201, errors: [409] },
  {
    method: 'get', path: '/api/datasets/:id', tag: 'Evaluations', summary: 'A dataset with a page of its items and its runs',
    params: { id: 'dataset id' }, query: DatasetDetailQuery, response: DatasetDetailResponse, errors: [404],
  },
  {
    method: 'post', path: '/api/datasets/:id/items', tag: 'Evaluations', summary: 'Add one item ({input, expected?}) or several ({items: […]})',
    params: { id: 'dataset id' }, body: ItemsBody, response: ItemsResponse, status: 201, errors: [404, 409, 413],
  },
  {
    method: 'post', path: '/api/datasets/:id/items/from-trace', tag: 'Evaluations', summary: 'Seed an item from a trace\'s captured prompt',
    params: { id: 'dataset id' }, body: FromTraceBody, response: ItemsResponse, status: 201, errors: [404],
  },
  {
    method: 'post', path: '/api/datasets/:id/run', tag: 'Evaluations', summary: 'Run the dataset against a model in the background (optionally judged)',
    description: `Answers 202 with the queued run; follow it with GET /api/runs/:id. ${NO_KEY}`,
    params: { id: 'dataset id' }, body: RunBody, response: RunSchema, status: 202, errors: [404, 503],
  },
  { method: 'get', path: '/api/runs/:id', tag: 'Evaluations', summary: 'A run: progress, aggregates (pass rate, mean score, cost, latency) and per-item results', params: { id: 'run id' }, query: RunDetailQuery, response: RunDetailResponse, errors: [404] },
];
