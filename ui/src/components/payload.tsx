import { parsePayload, pretty, toMessages, type MessagePart } from '../lib/messages.js';

function Part({ part }: { part: MessagePart }) {
  switch (part.kind) {
    case 'text':
      return <div class="msg-text">{part.text}</div>;
    case 'tool_call':
      return (
        <div class="msg-tool">
          <div class="msg-tool-head">Tool call <code>{part.name}</code>{part.id && <span class="muted"> · {part.id}</span>}</div>
          <pre class="code">{pretty(part.arguments)}</pre>
        </div>
      );
    case 'tool_result':
      return (
        <div class="msg-tool">
          <div class="msg-tool-head">Tool result{part.id && <span class="muted"> · {part.id}</span>}</div>
          <pre class="code">{pretty(part.content)}</pre>
        </div>
      );
    default:
      return <pre class="code">{pretty(part.value)}</pre>;
  }
}

/** A prompt or completion as chat messages, or the stored text as it is when it is not a conversation. */
export function Payload({ label, value, defaultRole = 'user', conversation }: { label: string; value: unknown; defaultRole?: string; conversation: boolean }) {
  if (value === null || value === undefined || value === '') return null;
  // Tool arguments and results are data, shown as JSON; only prompts and completions are read as messages.
  const messages = conversation ? toMessages(value, defaultRole) : null;
  return (
    <section class="payload" aria-label={label}>
      <h3>{label}</h3>
      {messages ? (
        <ol class="messages">
          {messages.map((m, i) => (
            <li key={i} class={`msg role-${m.role.replace(/[^a-z_]/gi, '')}`}>
              <div class="msg-role">{m.role}{m.finishReason && <span class="muted"> · {m.finishReason}</span>}</div>
              {m.parts.map((p, j) => <Part key={j} part={p} />)}
            </li>
          ))}
        </ol>
      ) : <pre class="code">{pretty(parsePayload(value))}</pre>}
    </section>
  );
}
