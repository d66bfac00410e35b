import type { SpanDigest } from '../pipeline/normalize.js';
import { BoundedLabel, SeriesBudget } from './bounded.js';
import type { GenAiMetricSet } from './registry.js';

/** Distinct values kept per label (provider, model, project, server, tool) before `other`. */
export const MAX_LABEL_VALUES = 200;
/** Label combinations kept per counter / histogram before their bounded labels read `other`. */
const COUNTER_SERIES = 2000;
const HISTOGRAM_SERIES = 500;

/**
 * Feeds the GenAI and MCP metrics from accepted spans (the pipeline's
 * `onAccepted`, after the fsync). Label values are bounded per label and per
 * metric; ids (trace, span, session) never become label values.
 */
export class GenAiObserver {
  private readonly provider: BoundedLabel;
  private readonly model: BoundedLabel;
  private readonly project: BoundedLabel;
  private readonly server: BoundedLabel;
  private readonly tool: BoundedLabel;
  private readonly budgets = {
    tokens: new SeriesBudget(COUNTER_SERIES),
    tokenDetails: new SeriesBudget(COUNTER_SERIES),
    cost: new SeriesBudget(COUNTER_SERIES),
    llmCallDuration: new SeriesBudget(HISTOGRAM_SERIES),
    toolCalls: new SeriesBudget(COUNTER_SERIES),
    toolCallDuration: new SeriesBudget(HISTOGRAM_SERIES),
  };

  constructor(private readonly m: GenAiMetricSet, maxValues = MAX_LABEL_VALUES) {
    this.provider = new BoundedLabel(maxValues);
    this.model = new BoundedLabel(maxValues);
    this.project = new BoundedLabel(maxValues);
    this.server = new BoundedLabel(maxValues);
    this.tool = new BoundedLabel(maxValues);
  }

  observe = (spans: readonly SpanDigest[]): void => {
    for (const s of spans) {
      this.m.spansByType.inc({ type: s.type });
      this.llm(s);
      if (isMcpToolCall(s)) this.toolCall(s);
    }
  };

  private llm(s: SpanDigest): void {
    const hasUsage = s.input_tokens != null || s.output_tokens != null || s.cost_usd != null;
    if (!hasUsage && s.type !== 'llm_call') return;
    const provider = this.provider.value(s.provider);
    const model = this.model.value(s.model);
    const b = this.budgets;
    if (s.type === 'llm_call') {
      const l = b.llmCallDuration.admit({ provider, model }, ['provider', 'model']);
      this.m.llmCallDuration.observe(l, Math.max(0, s.duration_ms) / 1000);
    }
    if (!hasUsage) return;
    const tokens = (direction: string, n: number | null) => {
      if (n == null) return;
      this.m.tokens.inc(b.tokens.admit({ provider, model, direction }, ['provider', 'model']), n);
    };
    tokens('input', s.input_tokens);
    tokens('output', s.output_tokens);
    const detail = (type: string, n: number | null) => {
      if (n == null) return;
      this.m.tokenDetails.inc(b.tokenDetails.admit({ provider, model, type }, ['provider', 'model']), n);
    };
    detail('cache_read', s.cache_read_tokens);
    detail('cache_write', s.cache_write_tokens);
    detail('reasoning', s.reasoning_tokens);
    const project = this.project.value(s.project_id);
    this.m.cost.inc(b.cost.admit({ provider, model, project }, ['provider', 'model', 'project']), s.cost_usd ?? 0);
  }

  private toolCall(s: SpanDigest): void {
    const server = this.server.value(s.server_name);
    const tool = this.tool.value(s.tool_name);
    const status = s.status === 'error' ? 'error' : s.status === 'cancelled' ? 'cancelled' : 'ok';
    const b = this.budgets;
    this.m.toolCalls.inc(b.toolCalls.admit({ server, tool, status }, ['server', 'tool']));
    this.m.toolCallDuration.observe(b.toolCallDuration.admit({ server, tool }, ['server', 'tool']), Math.max(0, s.duration_ms) / 1000);
  }
}

/**
 * An MCP tool call: an MCP `tools/call` span (OTel MCP and Traceloop MCP
 * conventions, native ToolCallSpans), or a native tool span naming its server.
 */
export function isMcpToolCall(s: SpanDigest): boolean {
  return s.mcp_method === 'tools/call' || (s.type === 'tool_call' && s.server_name != null);
}
