/**
 * Drives the real `@anthropic-ai/sdk` against the fake Messages API under
 * `@traceloop/instrumentation-anthropic`: a message, a streamed message and
 * a 429. Prints each step's trace ids as JSON.
 */
import { tracing } from './anthropic-setup.cjs';
import Anthropic from '@anthropic-ai/sdk';
import { run } from './tracing.cjs';

run(async () => {
  const client = new Anthropic({ baseURL: process.env.FAKE_PROVIDER_URL, apiKey: 'sk-ant-fake', maxRetries: 0 });
  const request = {
    model: 'claude-3-5-sonnet-20241022',
    max_tokens: 256,
    system: 'You are terse.',
    messages: [{ role: 'user' as const, content: 'Say hello.' }],
  };
  await tracing.step('message', () => client.messages.create(request));
  await tracing.step('stream', async () => {
    const stream = await client.messages.create({ ...request, stream: true });
    let text = '';
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    if (text.length === 0) throw new Error('stream produced no text');
  });
  await tracing.step('rate_limited', () => client.messages.create({ ...request, model: 'claude-3-5-sonnet-error-429' }), { expectError: true });
  await tracing.finish();
});
