import type { SpanRecord } from '../model/span-record.js';

/**
 * What semconv derives from one OTLP span: every SpanRecord column except
 * the project (set by enrich) and the final cost (priced by enrich, which
 * prefers `reported_cost_usd` when a convention carried one).
 */
export interface SemanticSpan extends Omit<SpanRecord, 'project_id' | 'cost_usd' | 'cost_source'> {
  reported_cost_usd: number | null;
}

export interface SemconvOptions {
  /** Cap per payload field (input/output) in bytes; longer text is cut and marked. */
  payloadMaxBytes: number;
}

export { toSemanticSpan } from './compose.js';
