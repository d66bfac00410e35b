import { describe, expect, it } from 'vitest';
import { parsePayload, pretty, toMessages } from '../../../ui/src/lib/messages.js';

describe('prompts and completions as messages', () => {
  it('reads OpenAI chat messages with tool calls and tool answers', () => {
    const input = JSON.stringify([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '{"temp":4}' },
    ]);
    expect(toMessages(input)).toEqual([
      { role: 'system', parts: [{ kind: 'text', text: 'Be brief.' }] },
      { role: 'user', parts: [{ kind: 'text', text: 'Weather in Oslo?' }] },
      { role: 'assistant', parts: [{ kind: 'tool_call', name: 'weather', id: 'c1', arguments: { city: 'Oslo' } }] },
      { role: 'tool', parts: [{ kind: 'tool_result', id: 'c1', content: { temp: 4 } }] },
    ]);
  });

  it('reads OTel GenAI parts with the finish reason', () => {
    const out = [{ role: 'assistant', parts: [{ type: 'text', content: 'Hi' }, { type: 'tool_call', id: 'x', name: 'search', arguments: { q: 1 } }], finish_reason: 'tool_calls' }];
    expect(toMessages(out)).toEqual([{ role: 'assistant', finishReason: 'tool_calls', parts: [{ kind: 'text', text: 'Hi' }, { kind: 'tool_call', name: 'search', id: 'x', arguments: { q: 1 } }] }]);
    expect(toMessages([{ role: 'tool', parts: [{ type: 'tool_call_response', id: 'x', response: 'done' }] }])).toEqual([
      { role: 'tool', parts: [{ kind: 'tool_result', id: 'x', content: 'done' }] },
    ]);
  });

  it('unwraps {messages} and {choices} and reads plain text in the given role', () => {
    expect(toMessages({ messages: [{ role: 'user', content: 'a' }] })).toEqual([{ role: 'user', parts: [{ kind: 'text', text: 'a' }] }]);
    expect(toMessages({ choices: [{ message: { role: 'assistant', content: 'b' }, finish_reason: 'stop' }] })).toEqual([
      { role: 'assistant', parts: [{ kind: 'text', text: 'b' }], finishReason: 'stop' },
    ]);
    expect(toMessages('just text', 'assistant')).toEqual([{ role: 'assistant', parts: [{ kind: 'text', text: 'just text' }] }]);
  });

  it('gives up on what is not a conversation, so it is shown as data', () => {
    expect(toMessages('{"city":"Oslo"}')).toBeNull();
    expect(toMessages([1, 2])).toBeNull();
    expect(toMessages([{ role: 'user', content: 'a' }, { nope: 1 }])).toBeNull();
    expect(toMessages(null)).toBeNull();
    expect(toMessages('')).toBeNull();
    expect(parsePayload('{broken')).toBe('{broken');
    expect(pretty({ a: 1 })).toBe('{\n  "a": 1\n}');
  });
});
