/**
 * The provider-neutral chat request every evaluation sends (a replay's
 * rebuilt capture, a judge prompt, a dataset item) and what comes back.
 * Each provider module maps it onto its own wire format.
 */
export type ProviderName = 'openai' | 'anthropic';
export const PROVIDER_NAMES: readonly [ProviderName, ...ProviderName[]] = ['openai', 'anthropic'];

export type ToolCall = {
  id: string;
  name: string;
  /** JSON text, as the model wrote it. */
  arguments: string;
};

export type ChatMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export type ToolDefinition = {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
};

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** Sampling parameters a capture may carry; a provider ignores those it has no equivalent for (listed in `dropped`). */
export type ChatParameters = {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  stop?: string[];
  frequencyPenalty?: number;
  presencePenalty?: number;
  seed?: number;
};

export interface ChatRequest {
  model: string;
  /** System instructions (several captured system messages joined by blank lines); null for none. */
  system: string | null;
  messages: ChatMessage[];
  tools: ToolDefinition[];
  toolChoice?: ToolChoice;
  parameters: ChatParameters;
  /** Ask for a streamed answer (assembled here before it is returned). */
  stream: boolean;
  /** Ask for a JSON object answer where the provider supports it (the judge). */
  jsonOutput?: boolean;
}

export interface ChatUsage {
  /** Input tokens as OTel counts them: cache reads and writes included. */
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
}

export interface ChatResult {
  provider: ProviderName;
  text: string | null;
  toolCalls: ToolCall[];
  finishReason: string | null;
  /** The model the provider says answered (a dated snapshot of an alias). */
  model: string | null;
  usage: ChatUsage;
  latencyMs: number;
  /** Requests sent (1 + retries). */
  attempts: number;
  /** Parameters of the request this provider has no equivalent for. */
  dropped: string[];
}

/** One provider's client: a single request, no retries (the caller retries, see retry.ts). */
export interface ChatClient {
  readonly provider: ProviderName;
  chat(req: ChatRequest, signal?: AbortSignal): Promise<Omit<ChatResult, 'latencyMs' | 'attempts'>>;
}
