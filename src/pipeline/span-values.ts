import type { SemanticSpan } from '../semconv/index.js';
import { countProblem, doubleProblem, MAX_DURATION_MS, timestampProblem } from '../model/store-range.js';

const COUNT_FIELDS = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens'] as const;

/**
 * Why a normalized span cannot be stored (a value outside what its column
 * holds), naming the field; null when every value fits. Runs before the WAL
 * append, so an out-of-range span is refused on its own and never
 * acknowledged (token counts only exist once semconv has read the
 * attributes, hence here and not in each decoder).
 */
export function spanValueProblem(s: SemanticSpan): string | null {
  let p = timestampProblem(s.started_us);
  if (p) return `start time: ${p}`;
  p = timestampProblem(s.ended_us);
  if (p) return `end time: ${p}`;
  p = doubleProblem(s.duration_ms, MAX_DURATION_MS);
  if (p) return `duration_ms ${p}`;
  for (const f of COUNT_FIELDS) {
    p = countProblem(s[f]);
    if (p) return `${f} ${p}`;
  }
  if (s.reported_cost_usd !== null && !Number.isFinite(s.reported_cost_usd)) return `cost_usd must be a finite number, got ${s.reported_cost_usd}`;
  for (let i = 0; i < s.events.length; i++) {
    p = timestampProblem(s.events[i].time_us);
    if (p) return `events[${i}] time: ${p}`;
  }
  return null;
}

/**
 * A span that ends before it starts (clock skew between hosts, or an OTLP
 * span sent without an end time) is stored with `ended_us = started_us` and
 * duration 0, and flagged with the attribute `lookspan.clamped_end_us` holding
 * the end the sender gave; so trace durations are never negative.
 */
export function clampEnd(s: SemanticSpan): void {
  if (s.ended_us >= s.started_us) return;
  s.attributes['lookspan.clamped_end_us'] = s.ended_us;
  s.ended_us = s.started_us;
  s.duration_ms = 0;
}
