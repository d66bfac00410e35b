import type { Attributes } from '../model/span-record.js';

/**
 * Attribute keys that carry prompts/completions (input side) or responses
 * and results (output side), in every convention we read. Once semconv has
 * captured a side into the `input`/`output` columns, the raw copies are
 * dropped from `attributes`: the payload columns are the ones that are capped
 * and redacted, so a second copy would defeat both, and it doubled the bytes
 * of every LLM span in the WAL and the store.
 */
const INPUT_KEYS = new Set([
  'gen_ai.input.messages', 'gen_ai.system_instructions', 'gen_ai.tool.call.arguments', 'gen_ai.prompt',
  'input.value', 'traceloop.entity.input', 'ai.prompt', 'ai.prompt.messages', 'ai.toolCall.args',
  'langfuse.observation.input', 'langfuse.trace.input',
]);
const OUTPUT_KEYS = new Set([
  'gen_ai.output.messages', 'gen_ai.tool.call.result', 'gen_ai.completion',
  'output.value', 'traceloop.entity.output', 'ai.response.text', 'ai.toolCall.result',
  'langfuse.observation.output', 'langfuse.trace.output',
]);
const INPUT_PREFIXES = ['llm.input_messages.', 'gen_ai.prompt.'];
const OUTPUT_PREFIXES = ['llm.output_messages.', 'gen_ai.completion.'];

/** `gen_ai.prompt.name` is a template name, not a message: only `<prefix><digit>…` counts. */
function indexedUnder(key: string, prefixes: readonly string[]): boolean {
  for (const p of prefixes) {
    if (key.length > p.length && key.startsWith(p)) {
      const c = key.charCodeAt(p.length);
      if (c >= 48 && c <= 57) return true;
    }
  }
  return false;
}

function side(key: string): 'input' | 'output' | null {
  if (INPUT_KEYS.has(key) || indexedUnder(key, INPUT_PREFIXES)) return 'input';
  if (OUTPUT_KEYS.has(key) || indexedUnder(key, OUTPUT_PREFIXES)) return 'output';
  return null;
}

/** The attributes without raw payload keys for the sides that were captured; the same object when nothing is dropped. */
export function withoutCapturedPayload(attrs: Attributes, inputCaptured: boolean, outputCaptured: boolean): Attributes {
  if (!inputCaptured && !outputCaptured) return attrs;
  let out: Attributes | null = null;
  for (const k in attrs) {
    const s = side(k);
    if (s === null || (s === 'input' ? !inputCaptured : !outputCaptured)) continue;
    if (out === null) out = { ...attrs };
    delete out[k];
  }
  return out ?? attrs;
}
