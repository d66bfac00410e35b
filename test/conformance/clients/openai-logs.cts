/**
 * The real `openai` client against the fake provider under
 * `@opentelemetry/instrumentation-openai` with content capture on, exporting
 * spans and log records to Lookspan: a chat (deprecated message and choice
 * events), a streamed chat, a conversation replaying a tool call, and a
 * Responses API call (gen_ai.client.inference.operation.details).
 */
import { logExporter, loggerProvider, logsExporter, tracing } from './openai-logs-setup.cjs';
import OpenAI from 'openai';
import { run } from './tracing.cjs';

run(async () => {
  const client = new OpenAI({ baseURL: `${process.env.FAKE_PROVIDER_URL}/v1`, apiKey: 'sk-fake', maxRetries: 0 });
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hello.' },
  ];
  await tracing.step('chat', () => client.chat.completions.create({ model: 'gpt-4o-mini', messages }));
  await tracing.step('stream', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    if (text.length === 0) throw new Error('stream produced no text');
  });
  await tracing.step('tool_result', () => client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_7', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_7', content: '18°C and sunny' },
    ],
  }));
  await tracing.step('responses', () => client.responses.create({ model: 'gpt-4o-mini', instructions: 'Be brief.', input: 'Say hello.' }));
  // Records are flushed before the spans' results are printed, so the test reads both.
  await loggerProvider.forceFlush();
  await loggerProvider.shutdown();
  if (logExporter.failures.length > 0) throw new Error(`OTLP logs export failed: ${logExporter.failures.join('; ')}`);
  await tracing.finish({ logsExporter, logRecordsExported: logExporter.exported });
});
