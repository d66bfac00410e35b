/**
 * Drives the real Langfuse JS tracing SDK (`@langfuse/tracing`), which
 * creates its observations on the global OTel tracer provider under the
 * scope `langfuse-sdk`; that provider exports OTLP to the Lookspan under test,
 * so no Langfuse server is involved. Steps: an agent run (generation with
 * reported usage and cost, a tool, a failing tool), two generations priced
 * by Lookspan (two usage shapes), an observation marked ERROR, and a chain
 * that throws. Prints each step's trace ids as JSON.
 */
import type { OpenAiResponseUsageSchema } from '@langfuse/core';
import { observe, propagateAttributes, startActiveObservation, startObservation } from '@langfuse/tracing';
import { run, startTracing } from './tracing.cjs';

const tracing = startTracing('conformance-langfuse');
const env = (name: string): string => process.env[name] ?? '';

run(async () => {
  await tracing.step('agent', () =>
    startActiveObservation('support-agent', async (agent) => {
      agent.update({ input: { question: 'Where is order 42?' } });
      // Stamps session and user on the span active now (the agent); see the test for child spans.
      await propagateAttributes({ sessionId: env('SESSION_ID'), userId: env('USER_ID'), traceName: 'support' }, async () => {
        const generation = startObservation('plan', {
          model: 'gpt-4o',
          input: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Where is order 42?' }],
          modelParameters: { temperature: 0 },
        }, { asType: 'generation' });
        generation.update({
          output: { role: 'assistant', content: 'Calling lookup_order.' },
          // Langfuse's own keys: `input` excludes the cached part.
          usageDetails: { input: 200, output: 40, input_cache_read: 800, total: 1040 },
          costDetails: { input: 0.001, output: 0.0004, total: 0.0014 },
        });
        generation.end();

        const lookupOrder = observe(async (orderId: number) => ({ orderId, status: 'shipped' }), { name: 'lookup_order', asType: 'tool' });
        await lookupOrder(42);
        const issueRefund = observe(async (_orderId: number): Promise<never> => {
          throw new Error('refund service unavailable');
        }, { name: 'issue_refund', asType: 'tool' });
        await issueRefund(42).catch(() => undefined);
      });
      // A plain string: the SDK sends it as is, not JSON-encoded.
      agent.update({ output: 'Order 42 has shipped.' });
    }, { asType: 'agent' }),
  { spans: 4 });

  // No cost_details from here on: Lookspan prices the model itself. usage_details in the shape the
  // SDK types as OpenAI usage (`OpenAiUsage` of @langfuse/core: camelCase, no cache count).
  await tracing.step('computed', () =>
    startActiveObservation('draft', async (generation) => {
      generation.update({
        model: 'gpt-4o-mini',
        input: [{ role: 'user', content: 'Draft a reply.' }],
        output: { role: 'assistant', content: 'Your order has shipped.' },
        usageDetails: { promptTokens: 600, completionTokens: 150, totalTokens: 750 },
      });
    }, { asType: 'generation' }));

  // An OpenAI Responses API `response.usage` passed as it is. Its nested details are wider than the
  // SDK's declared `Record<string, number>` (the Langfuse API accepts this schema), hence the cast.
  const responsesUsage: OpenAiResponseUsageSchema = {
    input_tokens: 1200, output_tokens: 300, total_tokens: 1500,
    input_tokens_details: { cached_tokens: 1024 }, output_tokens_details: { reasoning_tokens: 0 },
  };
  await tracing.step('responses_usage', () =>
    startActiveObservation('summarize', async (generation) => {
      generation.update({
        model: 'gpt-4o-mini',
        input: 'Summarize: order 42 has shipped.',
        output: 'Shipped.',
        usageDetails: responsesUsage as unknown as Record<string, number>,
      });
    }, { asType: 'generation' }));

  await tracing.step('level_error', () =>
    startActiveObservation('moderation', async (guardrail) => {
      guardrail.update({ input: 'some text', level: 'ERROR', statusMessage: 'content policy violation' });
    }, { asType: 'guardrail' }));

  await tracing.step('thrown', () =>
    startActiveObservation('flaky-chain', async () => {
      throw new Error('chain exploded');
    }, { asType: 'chain' }),
  { expectError: true });

  await tracing.finish();
});
