import { z } from 'zod';

/** What a judge must answer: one JSON object, nothing around it but whitespace or one ```json fence. */
const Verdict = z.strictObject({
  score: z.number().min(0).max(1),
  reasoning: z.string().trim().min(1),
  label: z.string().max(200).optional(),
});

export type Verdict = z.infer<typeof Verdict>;

/** Why an answer is not a verdict (recorded as the judgement's failure, with the answer itself). */
export type VerdictResult = { ok: true; verdict: Verdict } | { ok: false; problem: string };

/**
 * Parses a judge's answer strictly: the whole answer is the JSON object
 * (a fenced block holding only it is accepted, since models add fences
 * even when told not to); no number is ever fished out of prose, so a
 * malformed answer becomes a recorded failure rather than a made-up score.
 */
export function parseVerdict(answer: string | null): VerdictResult {
  if (answer === null || answer.trim() === '') return { ok: false, problem: 'the judge answered no text' };
  let text = answer.trim();
  const fence = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/.exec(text);
  if (fence) text = fence[1].trim();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `the judge's answer is not valid JSON (${(err as Error).message})` };
  }
  const r = Verdict.safeParse(value);
  if (!r.success) {
    return { ok: false, problem: `the judge's answer is not a verdict object: ${r.error.issues.map((i) => `${i.path.join('.') || '(answer)'} ${i.message}`).join('; ')}` };
  }
  return { ok: true, verdict: r.data };
}
