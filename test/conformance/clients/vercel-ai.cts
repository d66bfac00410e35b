/**
 * Drives the Vercel AI SDK (`ai` 6, telemetry in core) through
 * `@ai-sdk/openai` against the fake OpenAI: generateText, streamText, a
 * tool-calling generateText and streamText, embedMany and a generateText answered with a
 * 500, each with
 * `experimental_telemetry` enabled. Prints each step's trace ids as JSON.
 */
import { startTracing, run } from './tracing.cjs';
import { createOpenAI } from '@ai-sdk/openai';
import { embedMany, generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';

const tracing = startTracing('conformance-vercel-ai');

run(async () => {
  const openai = createOpenAI({ baseURL: `${process.env.FAKE_PROVIDER_URL}/v1`, apiKey: 'sk-fake' });
  // The chat-completions flavour; `openai(model)` would use the Responses API.
  const model = openai.chat('gpt-4o-mini');
  const telemetry = (functionId: string) => ({
    isEnabled: true,
    functionId,
    metadata: { sessionId: process.env.SESSION_ID ?? '', userId: process.env.USER_ID ?? '' },
  });

  await tracing.step('generate', () =>
    generateText({ model, system: 'You are terse.', prompt: 'Say hello.', maxRetries: 0, experimental_telemetry: telemetry('greeter') }),
  { spans: 2 });

  await tracing.step('stream', async () => {
    const result = streamText({ model, prompt: 'Say hello.', maxRetries: 0, experimental_telemetry: telemetry('streamer') });
    let text = '';
    for await (const part of result.textStream) text += part;
    if (text.length === 0) throw new Error('stream produced no text');
  }, { spans: 2 });

  const tools = {
    weather: tool({
      description: 'Current weather for a city',
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }: { city: string }) => ({ city, temperatureC: 21 }),
    }),
  };

  await tracing.step('tool', async () => {
    const result = await generateText({
      model, prompt: 'What is the weather in Paris?', maxRetries: 0, stopWhen: stepCountIs(2), tools,
      experimental_telemetry: telemetry('weather-agent'),
    });
    if (result.steps.length !== 2) throw new Error(`expected 2 steps, got ${result.steps.length}`);
  }, { spans: 4 });

  await tracing.step('stream_tool', async () => {
    const result = streamText({
      model, prompt: 'What is the weather in Paris?', maxRetries: 0, stopWhen: stepCountIs(2), tools,
      experimental_telemetry: telemetry('weather-streamer'),
    });
    await result.consumeStream();
    if ((await result.steps).length !== 2) throw new Error('expected 2 steps');
  }, { spans: 4 });

  await tracing.step('embed', () =>
    embedMany({ model: openai.embedding('text-embedding-3-small'), values: ['one', 'two'], maxRetries: 0, experimental_telemetry: telemetry('embedder') }),
  { spans: 2 });

  await tracing.step('server_error', () =>
    generateText({ model: openai.chat('gpt-4o-mini-error-500'), prompt: 'Say hello.', maxRetries: 0, experimental_telemetry: telemetry('greeter') }),
  { spans: 2, expectError: true });

  await tracing.finish();
});
