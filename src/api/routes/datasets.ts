import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { accessOf } from '../../access/context.js';
import { invalid, LookspanError } from '../../errors.js';
import type { Evals } from '../../evals/index.js';
import { MAX_ITEMS_PER_DATASET, type NewItem } from '../../evals/datasets.js';
import { METRIC_NAMES } from '../../evals/judge/metrics.js';
import { PROVIDER_NAMES } from '../../evals/providers/types.js';
import { answerOf } from '../../evals/replay/messages.js';
import { rebuildRequest, requestFromInput, storedInput } from '../../evals/replay/rebuild.js';
import { DETERMINISTIC_CHECKS, startRun } from '../../evals/runs/start.js';
import { pickSpan, readTrace } from '../../evals/trace-read.js';
import { readBody } from '../../receivers/body.js';
import { parseJsonBody, parseOrThrow } from '../../receivers/native/validate.js';
import { readJson } from '../json-body.js';
import { intParam, parseQuery } from '../params.js';
import { RunSchema } from './runs.js';

/** Item batches are bigger than the administration bodies readJson takes (up to 1000 items of up to 128 KiB each, in practice far less). */
const ITEM_BODY_LIMITS = { maxBodyBytes: 16 * 1024 * 1024, maxDecompressedBytes: 16 * 1024 * 1024 };
const MAX_ITEMS_PER_REQUEST = 1000;

export const DatasetCreateBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
});

const input = z.unknown().refine((v) => v !== undefined && v !== null, { error: 'is required: text, a message list or a request object ({messages, system, tools, …})' });
export const ItemSchemaIn = z.strictObject({
  input,
  expected: z.unknown().optional().describe('the expected answer (compared by exact_match / contains, or given to the judge)'),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
/** POST /api/datasets/:id/items: one item, or `{items: [...]}`. */
export const ItemsBody = z.union([ItemSchemaIn, z.strictObject({ items: z.array(ItemSchemaIn).min(1).max(MAX_ITEMS_PER_REQUEST) })]);

export const FromTraceBody = z.strictObject({
  traceId: z.string().min(1).max(128),
  spanId: z.string().min(1).max(128).optional().describe('the model call whose prompt seeds the item (default: the trace\'s first)'),
  expected: z.unknown().optional(),
  expectedFromOutput: z.boolean().optional().describe('take the captured answer as the expected one'),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const RunBody = z.strictObject({
  model: z.string().trim().min(1).max(256),
  provider: z.enum(PROVIDER_NAMES).optional(),
  judge: z.union([z.boolean(), z.strictObject({ model: z.string().trim().min(1).max(256).optional(), provider: z.enum(PROVIDER_NAMES).optional() })]).optional()
    .describe('judge each answer (true: evals.judgeModel or the provider default)'),
  metric: z.string().trim().min(1).max(100).optional()
    .describe(`with a judge: ${METRIC_NAMES.join(', ')} or a rubric's name; without: ${DETERMINISTIC_CHECKS.join(', ')} (default exact_match when items have expected answers, else none)`),
  rubric: z.string().trim().min(1).max(8000).optional(),
  threshold: z.number().min(0).max(1).optional(),
  concurrency: z.number().int().min(1).max(32).optional().describe('items evaluated at once (default evals.runConcurrency)'),
});

export const DatasetSchema = z.object({
  id: z.string(), projectId: z.string(), name: z.string(), description: z.string().nullable(),
  itemCount: z.number().int(), runCount: z.number().int(), createdAt: z.string(), updatedAt: z.string(),
});
export const DatasetItemSchema = z.object({
  id: z.string(), position: z.number().int(), input: z.unknown(), expected: z.unknown(), metadata: z.record(z.string(), z.unknown()).nullable(),
  sourceTraceId: z.string().nullable(), sourceSpanId: z.string().nullable(), createdAt: z.string(),
});
export const DatasetListResponse = z.object({ datasets: z.array(DatasetSchema) });
export const DatasetDetailQuery = z.object({
  limit: intParam(1, 1000, 100, 'items per page'),
  offset: intParam(0, MAX_ITEMS_PER_DATASET, 0, 'items skipped'),
});
export const DatasetDetailResponse = z.object({ dataset: DatasetSchema, items: z.array(DatasetItemSchema), runs: z.array(RunSchema) });
export const ItemsResponse = z.object({ items: z.array(DatasetItemSchema) });

/** Checks that an item's input can be sent (it becomes at least one message), naming the field otherwise. */
function checkInputs(items: readonly NewItem[], many: boolean): void {
  items.forEach((it, i) => {
    try {
      requestFromInput(it.input, 'check');
    } catch (err) {
      const path = many ? `items[${i}].input` : 'input';
      if (err instanceof LookspanError) throw invalid(`${path}: ${err.message}`, [{ path, message: err.message }]);
      throw err;
    }
  });
}

async function itemsBody(ctx: Context): Promise<z.output<typeof ItemsBody>> {
  const type = ctx.get('content-type');
  if (type !== '' && type.split(';')[0].trim().toLowerCase() !== 'application/json') {
    throw new LookspanError('unsupported_media_type', `unsupported Content-Type "${type}"; use application/json`);
  }
  return parseOrThrow(ItemsBody, parseJsonBody(await readBody(ctx.req, ITEM_BODY_LIMITS)), 'dataset items');
}

/** Datasets, their items (given, or seeded from a trace's captured prompt) and runs over them. */
export function mountDatasets(router: Router, evals: Evals): void {
  router.get('/api/datasets', async (ctx) => {
    ctx.body = { datasets: await evals.datasets.list(accessOf(ctx).project) } satisfies z.input<typeof DatasetListResponse>;
  });

  router.post('/api/datasets', async (ctx) => {
    const body = await readJson(ctx, DatasetCreateBody, 'dataset');
    const d = await evals.datasets.create(accessOf(ctx).project, body.name, body.description ?? null);
    ctx.status = 201;
    ctx.body = d satisfies z.input<typeof DatasetSchema>;
  });

  router.get('/api/datasets/:id', async (ctx) => {
    const q = parseQuery(ctx, DatasetDetailQuery);
    const dataset = await evals.datasets.require(accessOf(ctx).project, ctx.params.id);
    const [items, runs] = await Promise.all([evals.datasets.items(dataset.id, q.limit, q.offset), evals.runs.ofDataset(dataset.id)]);
    ctx.body = { dataset, items, runs } satisfies z.input<typeof DatasetDetailResponse>;
  });

  router.post('/api/datasets/:id/items', async (ctx) => {
    const dataset = await evals.datasets.require(accessOf(ctx).project, ctx.params.id);
    const body = await itemsBody(ctx);
    const many = 'items' in body;
    const list = (many ? body.items : [body]) as NewItem[];
    checkInputs(list, many);
    const items = await evals.datasets.addItems(dataset.id, list);
    ctx.status = 201;
    ctx.body = { items } satisfies z.input<typeof ItemsResponse>;
  });

  router.post('/api/datasets/:id/items/from-trace', async (ctx) => {
    const projectId = accessOf(ctx).project;
    const dataset = await evals.datasets.require(projectId, ctx.params.id);
    const body = await readJson(ctx, FromTraceBody, 'item from a trace');
    if (body.expected !== undefined && body.expectedFromOutput) throw invalid('pass either expected or expectedFromOutput, not both', [{ path: 'expectedFromOutput', message: 'conflicts with expected' }]);
    const trace = await readTrace(evals.db, projectId, body.traceId);
    const span = pickSpan(trace, body.spanId);
    const rebuilt = rebuildRequest(span);
    let expected = body.expected;
    if (body.expectedFromOutput) {
      const answer = rebuilt.original.text ?? answerOf(span.output).text;
      if (answer === null) throw invalid(`span ${span.id} has no captured answer to take as the expected one`);
      expected = answer;
    }
    const items = await evals.datasets.addItems(dataset.id, [{
      input: storedInput(rebuilt.request), expected,
      metadata: { ...(body.metadata ?? {}), model: rebuilt.request.model || null, convention: rebuilt.convention },
      sourceTraceId: trace.traceId, sourceSpanId: span.id,
    }]);
    ctx.status = 201;
    ctx.body = { items } satisfies z.input<typeof ItemsResponse>;
  });

  router.post('/api/datasets/:id/run', async (ctx) => {
    const body = await readJson(ctx, RunBody, 'run request');
    const run = await startRun({
      datasets: evals.datasets, runs: evals.runs, scheduler: evals.scheduler, providers: evals.providers,
      judgeModel: evals.config.judgeModel, defaultConcurrency: evals.config.runConcurrency,
    }, accessOf(ctx).project, ctx.params.id, body);
    ctx.status = 202;
    ctx.body = run satisfies z.input<typeof RunSchema>;
  });
}
