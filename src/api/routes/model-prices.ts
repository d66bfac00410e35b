import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { CostModel } from '../../enrich/cost.js';
import { LookspanError, conflict, invalid, notFound } from '../../errors.js';
import { readBody } from '../../receivers/body.js';
import { parseJsonBody, parseOrThrow } from '../../receivers/native/validate.js';
import type { ModelPriceRecord, ModelPriceTable } from '../../store/model-prices.js';

export interface ModelPriceDeps {
  table: ModelPriceTable;
  costs: CostModel;
}

/** Price records are a few hundred bytes; anything near this is not one. */
const BODY_LIMITS = { maxBodyBytes: 64 * 1024, maxDecompressedBytes: 64 * 1024 };

const price = z.number().nonnegative();
const optionalRate = price.nullable().optional();
const provider = z.string().trim().min(1).max(128).nullable().optional();

/** POST /api/costs/models (langsight-api.txt model pricing, snake_case; US dollars per million tokens). */
export const ModelPriceCreateBody = z.strictObject({
  model_id: z.string().trim().min(1).max(256),
  provider,
  input_per_mtok: price,
  output_per_mtok: price,
  cache_read_per_mtok: optionalRate,
  cache_write_per_mtok: optionalRate,
  reasoning_per_mtok: optionalRate,
});

/** PATCH /api/costs/models/:model_id: the fields to change. */
export const ModelPricePatchBody = z
  .strictObject({
    provider,
    input_per_mtok: price.optional(),
    output_per_mtok: price.optional(),
    cache_read_per_mtok: optionalRate,
    cache_write_per_mtok: optionalRate,
    reasoning_per_mtok: optionalRate,
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'at least one field to update is required' });

const rate = z.number().nullable();
/** A price override as the API shows it. */
export const ModelPriceObject = z.object({
  model_id: z.string(), provider: z.string().nullable(), input_per_mtok: z.number(), output_per_mtok: z.number(),
  cache_read_per_mtok: rate, cache_write_per_mtok: rate, reasoning_per_mtok: rate, created_at: z.string(), updated_at: z.string(),
  source: z.literal('override').describe('where the price comes from: a local override'),
});
export const ModelPriceListResponse = z.object({ models: z.array(ModelPriceObject), total: z.number().int() });
export const ModelPriceDeletedResponse = z.object({ model_id: z.string(), deleted: z.literal(true) });

/** A stored override as the API shows it: `source` says where the price comes from. */
const view = (r: ModelPriceRecord) => ({ ...r, source: 'override' as const }) satisfies z.input<typeof ModelPriceObject>;

/**
 * The model-pricing routes of langsight-api.txt: local price overrides,
 * persisted in DuckDB. Every change hands the full list to the cost model,
 * so spans ingested after it are priced with it.
 */
export function mountModelPrices(router: Router, deps: ModelPriceDeps): void {
  const publish = async () => deps.costs.setOverrides(await deps.table.list());

  router.get('/api/costs/models', async (ctx) => {
    const models = (await deps.table.list()).map(view);
    ctx.body = { models, total: models.length } satisfies z.input<typeof ModelPriceListResponse>;
  });

  router.post('/api/costs/models', async (ctx) => {
    const body = parseOrThrow(ModelPriceCreateBody, await jsonBody(ctx), 'model price');
    const created = await deps.table.create(body.model_id, body);
    if (created === null) throw conflict(`model price for "${body.model_id}" already exists; use PATCH to change it`);
    await publish();
    ctx.status = 201;
    ctx.body = view(created);
  });

  router.patch('/api/costs/models/:model_id', async (ctx) => {
    const id = modelIdParam(ctx);
    const body = parseOrThrow(ModelPricePatchBody, await jsonBody(ctx), 'model price update');
    const updated = await deps.table.update(id, body);
    if (updated === null) throw notFound(`no model price for "${id}"`);
    await publish();
    ctx.body = view(updated);
  });

  router.delete('/api/costs/models/:model_id', async (ctx) => {
    const id = modelIdParam(ctx);
    if (!(await deps.table.remove(id))) throw notFound(`no model price for "${id}"`);
    await publish();
    ctx.body = { model_id: id, deleted: true } satisfies z.input<typeof ModelPriceDeletedResponse>;
  });
}

function modelIdParam(ctx: Context & { params?: Record<string, string> }): string {
  const id = (ctx.params?.model_id ?? '').trim();
  if (id.length === 0) throw invalid('model_id must not be empty', [{ path: 'model_id', message: 'must not be empty' }]);
  return id;
}

async function jsonBody(ctx: Context): Promise<unknown> {
  const type = ctx.get('content-type');
  if (type !== '' && type.split(';')[0].trim().toLowerCase() !== 'application/json') {
    throw new LookspanError('unsupported_media_type', `unsupported Content-Type "${type}"; use application/json`);
  }
  return parseJsonBody(await readBody(ctx.req, BODY_LIMITS));
}
