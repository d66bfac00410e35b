/**
 * Drives the real `openai` client against the fake provider under one
 * OpenAI instrumentation: chat, streaming chat, embeddings and a 429.
 * Prints each step's trace ids as JSON.
 */
import { tracing, which } from './openai-setup.cjs';
import { context } from '@opentelemetry/api';
import { setSession, setUser } from '@arizeai/openinference-core';
import OpenAI from 'openai';
import { run } from './tracing.cjs';

/**
 * Steps that end no span under an instrumentation (all three at their
 * pinned versions): OpenInference and Traceloop end a chat span only when the
 * call succeeds, so a rejected call (the 429) leaves it open and never
 * exported; Traceloop does not instrument embeddings.
 */
const NO_SPAN: Record<string, string[]> = {
  otel: [],
  openinference: ['rate_limited'],
  traceloop: ['embeddings', 'rate_limited'],
};
const spans = (step: string) => ((NO_SPAN[which] ?? []).includes(step) ? 0 : 1);

run(async () => {
  const client = new OpenAI({ baseURL: `${process.env.FAKE_PROVIDER_URL}/v1`, apiKey: 'sk-fake', maxRetries: 0 });
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hello.' },
  ];
  // OpenInference reads session and user from the context; the others have no such API.
  const ctx = which === 'openinference'
    ? setUser(setSession(context.active(), { sessionId: process.env.SESSION_ID ?? '' }), { userId: process.env.USER_ID ?? '' })
    : context.active();

  await tracing.step('chat', () => context.with(ctx, () => client.chat.completions.create({ model: 'gpt-4o-mini', messages })), {
    spans: spans('chat'),
  });
  await tracing.step('stream', () =>
    context.with(ctx, async () => {
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true },
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      if (text.length === 0) throw new Error('stream produced no text');
    }),
  { spans: spans('stream') });
  await tracing.step('embeddings', () =>
    context.with(ctx, () => client.embeddings.create({ model: 'text-embedding-3-small', input: ['one', 'two'] })),
  { spans: spans('embeddings') });
  await tracing.step('rate_limited', () => context.with(ctx, () => client.chat.completions.create({ model: 'gpt-4o-mini-error-429', messages })), {
    expectError: true,
    spans: spans('rate_limited'),
  });
  await tracing.finish();
});
