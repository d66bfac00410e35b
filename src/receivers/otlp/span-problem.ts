import { invalid } from '../../errors.js';
import type { DecodedExport } from './decode.js';

/** A problem with one span; the span is rejected, the rest of the request is kept. */
export class SpanProblem extends Error {}

/** partial_success.error_message names the first few rejected spans. */
export const MAX_REJECT_MESSAGES = 5;

/** Counts a rejected span and keeps the first few reasons for partial_success.error_message. */
export function rejectSpan(out: DecodedExport, where: string, problem: SpanProblem): void {
  out.rejected++;
  if (out.rejectMessages.length < MAX_REJECT_MESSAGES) out.rejectMessages.push(`${where}: ${problem.message}`);
}

/**
 * Runs a decode step for something every span of the request shares (a
 * resource, a scope): a problem there cannot be confined to one span, so it
 * fails the whole request as a 400 naming `where`.
 */
export function sharedPart<T>(where: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof SpanProblem) throw invalid(`${where}: ${err.message}`);
    throw err;
  }
}
