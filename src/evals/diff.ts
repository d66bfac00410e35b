import type { ToolCall } from './providers/types.js';

/** A word-level diff of a replay's answer against the captured one. */
export interface AnswerDiff {
  identical: boolean;
  /** 2·common / (original + replay) over word tokens; 1 for two empty answers. */
  similarity: number;
  /** Runs of equal (`=`), removed (`-`, only in the original) and added (`+`, only in the replay) text. */
  changes: Array<{ op: '=' | '-' | '+'; text: string }>;
  /** Whether the replay called the same tools with the same arguments, in order. */
  sameToolCalls: boolean;
  /** Tokens past MAX_TOKENS were compared as one block each. */
  truncated: boolean;
}

/** Word tokens compared per side at most: the table is MAX_TOKENS² cells. */
const MAX_TOKENS = 1500;

const tokens = (s: string) => s.split(/(\s+)/).filter((t) => t !== '');

function sameCalls(a: readonly ToolCall[], b: readonly ToolCall[]): boolean {
  if (a.length !== b.length) return false;
  const norm = (s: string) => {
    try {
      return JSON.stringify(JSON.parse(s));
    } catch {
      return s;
    }
  };
  return a.every((c, i) => c.name === b[i].name && norm(c.arguments) === norm(b[i].arguments));
}

/** Longest common subsequence over tokens, walked back into runs. */
export function diffAnswers(original: { text: string | null; toolCalls: ToolCall[] }, replay: { text: string | null; toolCalls: ToolCall[] }): AnswerDiff {
  let a = tokens(original.text ?? '');
  let b = tokens(replay.text ?? '');
  const truncated = a.length > MAX_TOKENS || b.length > MAX_TOKENS;
  if (a.length > MAX_TOKENS) a = [...a.slice(0, MAX_TOKENS - 1), a.slice(MAX_TOKENS - 1).join('')];
  if (b.length > MAX_TOKENS) b = [...b.slice(0, MAX_TOKENS - 1), b.slice(MAX_TOKENS - 1).join('')];
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const table = new Uint16Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * w + j] = a[i] === b[j] ? table[(i + 1) * w + j + 1] + 1 : Math.max(table[(i + 1) * w + j], table[i * w + j + 1]);
    }
  }
  const changes: AnswerDiff['changes'] = [];
  const push = (op: '=' | '-' | '+', text: string) => {
    const last = changes[changes.length - 1];
    if (last && last.op === op) last.text += text;
    else changes.push({ op, text });
  };
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      push('=', a[i]);
      i++;
      j++;
    } else if (i < n && (j === m || table[(i + 1) * w + j] >= table[i * w + j + 1])) {
      // Removals before additions at a tie, as unified diffs show them.
      push('-', a[i++]);
    } else {
      push('+', b[j++]);
    }
  }
  const common = table[0];
  const sameTools = sameCalls(original.toolCalls, replay.toolCalls);
  return {
    identical: (original.text ?? '') === (replay.text ?? '') && sameTools,
    similarity: n + m === 0 ? 1 : (2 * common) / (n + m),
    changes,
    sameToolCalls: sameTools,
    truncated,
  };
}
