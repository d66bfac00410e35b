import type { ChatMessage } from '../providers/types.js';
import type { JudgeMetric } from './metrics.js';

/** Characters of input, answer and expected answer sent to the judge at most each (the head is kept). */
export const MAX_SECTION_CHARS = 24_000;

const cut = (s: string) => (s.length > MAX_SECTION_CHARS ? `${s.slice(0, MAX_SECTION_CHARS)}\n[… ${s.length - MAX_SECTION_CHARS} characters cut]` : s);

/** A conversation as plain text for the judge to read. */
export function transcript(system: string | null, messages: readonly ChatMessage[]): string {
  const lines: string[] = system !== null ? [`system: ${system}`] : [];
  for (const m of messages) {
    if (m.role === 'user') lines.push(`user: ${m.content}`);
    else if (m.role === 'tool') lines.push(`tool result (${m.toolCallId}): ${m.content}`);
    else {
      if (m.content !== null) lines.push(`assistant: ${m.content}`);
      for (const c of m.toolCalls ?? []) lines.push(`assistant calls tool ${c.name}(${c.arguments})`);
    }
  }
  return lines.join('\n');
}

export const JUDGE_SYSTEM = [
  'You are a strict evaluator of AI assistant answers.',
  'Assess only the criterion you are given. Answer with exactly one JSON object and nothing else:',
  '{"score": <a number from 0 to 1>, "reasoning": "<one short paragraph explaining the score>"}',
].join('\n');

/** The judge's user turn: the criterion, then the input, the answer and (when given) the expected answer. */
export function judgePrompt(metric: JudgeMetric, input: string, answer: string, expected: string | null): string {
  const parts = [`CRITERION\n${metric.criterion}`, `INPUT\n${cut(input)}`, `ANSWER\n${cut(answer)}`];
  if (expected !== null) parts.push(`EXPECTED\n${cut(expected)}`);
  return parts.join('\n\n');
}
