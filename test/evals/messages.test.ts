import { describe, expect, it } from 'vitest';
import { answerOf, readMessages } from '../../src/evals/replay/messages.js';

describe('readMessages: the message shapes the conventions store', () => {
  it('OTel parts with tool calls and responses', () => {
    expect(readMessages([
      { role: 'system', parts: [{ type: 'text', content: 'S' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Q' }, { type: 'blob', modality: 'image' }] },
      { role: 'assistant', parts: [{ type: 'reasoning', content: '…' }, { type: 'tool_call', id: 'a', name: 'f', arguments: { x: 1 } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'a', response: { ok: true } }] },
    ])).toEqual({
      system: ['S'],
      messages: [
        { role: 'user', content: 'Q' },
        { role: 'assistant', content: null, toolCalls: [{ id: 'a', name: 'f', arguments: '{"x":1}' }] },
        { role: 'tool', toolCallId: 'a', content: '{"ok":true}' },
      ],
      skipped: ['blob', 'reasoning'],
    });
  });

  it('OpenAI style, flattened tool calls, developer role', () => {
    expect(readMessages([
      { role: 'developer', content: 'D' },
      { role: 'user', content: [{ type: 'text', text: 'Q' }, { type: 'image_url', image_url: { url: 'x' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'g', arguments: '{}' } }, { id: 'd', name: 'h', arguments: '{"y":2}' }] },
      { role: 'tool', tool_call_id: 'c', content: 'r1' },
    ]).messages).toEqual([
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: null, toolCalls: [{ id: 'c', name: 'g', arguments: '{}' }, { id: 'd', name: 'h', arguments: '{"y":2}' }] },
      { role: 'tool', toolCallId: 'c', content: 'r1' },
    ]);
  });

  it('Anthropic blocks: tool_use in the assistant turn, tool_result in the user turn', () => {
    expect(readMessages([
      { role: 'assistant', content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 't', name: 'w', input: { c: 'P' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'sun' }] }, { type: 'text', text: 'thanks' }] },
    ]).messages).toEqual([
      { role: 'assistant', content: 'Let me check.', toolCalls: [{ id: 't', name: 'w', arguments: '{"c":"P"}' }] },
      { role: 'tool', toolCallId: 't', content: 'sun' },
      { role: 'user', content: 'thanks' },
    ]);
  });

  it('OpenAI Responses items: function calls and their outputs', () => {
    expect(readMessages([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Q' }] },
      { type: 'reasoning', summary: [] },
      { type: 'function_call', call_id: 'fc1', name: 'f', arguments: '{"a":1}' },
      { type: 'function_call_output', call_id: 'fc1', output: 'done' },
    ])).toEqual({
      system: [],
      messages: [
        { role: 'user', content: 'Q' },
        { role: 'assistant', content: null, toolCalls: [{ id: 'fc1', name: 'f', arguments: '{"a":1}' }] },
        { role: 'tool', toolCallId: 'fc1', content: 'done' },
      ],
      skipped: ['reasoning'],
    });
  });

  it('plain text is one user turn', () => {
    expect(readMessages('hello').messages).toEqual([{ role: 'user', content: 'hello' }]);
  });
});

describe('answerOf', () => {
  it('reads the assistant answer of every output shape', () => {
    expect(answerOf('plain')).toEqual({ text: 'plain', toolCalls: [] });
    expect(answerOf({ role: 'assistant', content: 'A' }).text).toBe('A');
    expect(answerOf([{ role: 'assistant', parts: [{ type: 'text', content: 'B' }], finish_reason: 'stop' }]).text).toBe('B');
    expect(answerOf({ choices: [{ message: { role: 'assistant', content: 'C' } }] }).text).toBe('C');
    expect(answerOf([{ role: 'assistant', content: null, tool_calls: [{ id: 'x', name: 'f', arguments: '{}' }] }])).toEqual({ text: null, toolCalls: [{ id: 'x', name: 'f', arguments: '{}' }] });
  });
});
