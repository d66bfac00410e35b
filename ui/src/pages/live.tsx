import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { api } from '../api/client.js';
import { apiKey, project } from '../api/credentials.js';
import { Badge, SelectField, TextField } from '../components/ui.js';
import { useTitle } from '../hooks.js';
import { formatCost, formatCount, formatDuration } from '../lib/format.js';
import {
  EventLog, LIVE_EVENT_TYPES, liveUrl, SPAN_STATUSES, SPAN_TYPES, subscribeFilter, type LiveEvent, type LiveFilter,
} from '../lib/live.js';
import { traceHref } from '../lib/routes.js';
import { Link } from '../router.js';

type Conn = 'connecting' | 'open' | 'closed';

/** The live tail over the WebSocket /api/live: filters, pause and resume, and what was dropped on the way. */
export function Live() {
  useTitle('Live tail');
  const log = useRef(new EventLog(500)).current;
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const [conn, setConn] = useState<Conn>('connecting');
  const [problem, setProblem] = useState<string | null>(null);
  const [filter, setFilter] = useState<LiveFilter>({ events: [...LIVE_EVENT_TYPES] });
  const [draft, setDraft] = useState<LiveFilter>(filter);
  const socket = useRef<WebSocket | null>(null);
  const applied = useRef(filter);
  applied.current = filter;

  useEffect(() => {
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let frame = 0;
    // Many events a second would redraw as often: draw at most once per animation frame.
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; redraw(0); });
    };
    const connect = async () => {
      setConn('connecting');
      let ticket: string | null = null;
      try {
        // A browser cannot put a header on a WebSocket: with a key, a single-use ticket goes in the URL.
        if (apiKey()) ticket = (await api<{ ticket: string }>('/api/auth/ticket', { method: 'POST' })).ticket;
      } catch (err) {
        setProblem(`No stream ticket: ${(err as Error).message}`);
      }
      if (stopped) return;
      const ws = new WebSocket(liveUrl(location, ticket));
      socket.current = ws;
      ws.onopen = () => {
        attempt = 0;
        setProblem(null);
        const f = { ...applied.current, ...(project() ? { project: project()! } : {}) };
        ws.send(JSON.stringify({ type: 'subscribe', filter: subscribeFilter(f), ...(log.lastId !== null ? { lastEventId: log.lastId } : {}) }));
      };
      ws.onmessage = (m) => {
        let msg: { type: string; id?: number; at?: string; data?: Record<string, unknown>; code?: string; message?: string; dropped?: number };
        try {
          msg = JSON.parse(String(m.data));
        } catch {
          return;
        }
        if (msg.type === 'error') {
          if (msg.code === 'events_dropped') log.serverDropped(msg.dropped ?? 0);
          else setProblem(msg.message ?? msg.code ?? 'error');
          schedule();
        } else if (msg.type === 'subscribed') {
          // Connected means the filter is in place: events from now on are the ones asked for.
          setConn('open');
        } else if (msg.id !== undefined) {
          log.add({ id: msg.id, type: msg.type, at: msg.at ?? '', data: msg.data ?? {} });
          schedule();
        }
      };
      ws.onclose = (e) => {
        if (socket.current === ws) socket.current = null;
        setConn('closed');
        if (stopped) return;
        if (e.code === 4008) setProblem('The server closed the stream: this page fell too far behind.');
        attempt++;
        retry = setTimeout(connect, Math.min(30_000, 500 * 2 ** attempt));
      };
    };
    void connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      cancelAnimationFrame(frame);
      socket.current?.close(1000);
    };
  }, []);

  const apply = (e: Event) => {
    e.preventDefault();
    setFilter(draft);
    log.clear();
    const f = { ...draft, ...(project() ? { project: project()! } : {}) };
    socket.current?.send(JSON.stringify({ type: 'subscribe', filter: subscribeFilter(f) }));
    redraw(0);
  };
  const toggleEvent = (t: string, on: boolean) => setDraft((d) => ({ ...d, events: on ? [...d.events, t] : d.events.filter((x) => x !== t) }));
  const set = (k: keyof LiveFilter, v: string) => setDraft((d) => ({ ...d, [k]: v || undefined }));
  const c = log.counts;

  return (
    <>
      <h1 tabIndex={-1}>Live tail</h1>
      <form class="filters" aria-label="Live filters" onSubmit={apply}>
        <fieldset class="field checks">
          <legend>Events</legend>
          {LIVE_EVENT_TYPES.map((t) => (
            <label key={t}><input type="checkbox" checked={draft.events.includes(t)} onChange={(e) => toggleEvent(t, (e.target as HTMLInputElement).checked)} /> {t}</label>
          ))}
        </fieldset>
        <SelectField id="l-type" label="Span type" value={draft.type ?? ''} onChange={(v) => set('type', v)} options={[['', 'any'], ...SPAN_TYPES.map((t) => [t, t] as const)]} />
        <SelectField id="l-status" label="Status" value={draft.status ?? ''} onChange={(v) => set('status', v)} options={[['', 'any'], ...SPAN_STATUSES.map((t) => [t, t] as const)]} />
        <TextField id="l-agent" label="Agent" value={draft.agent ?? ''} onInput={(v) => set('agent', v)} placeholder="a, b" />
        <TextField id="l-session" label="Session" value={draft.session ?? ''} onInput={(v) => set('session', v)} />
        <TextField id="l-model" label="Model" value={draft.model ?? ''} onInput={(v) => set('model', v)} />
        <TextField id="l-provider" label="Provider" value={draft.provider ?? ''} onInput={(v) => set('provider', v)} />
        <TextField id="l-server" label="MCP server" value={draft.server ?? ''} onInput={(v) => set('server', v)} />
        <TextField id="l-service" label="Service" value={draft.service ?? ''} onInput={(v) => set('service', v)} />
        <div class="actions"><button type="submit">Apply filters</button></div>
      </form>
      <div class="toolbar" role="group" aria-label="Stream">
        <span class={`conn conn-${conn}`} role="status">{conn === 'open' ? 'Connected' : conn === 'connecting' ? 'Connecting…' : 'Disconnected, retrying'}</span>
        <button type="button" onClick={() => { if (log.isPaused) log.resume(); else log.pause(); redraw(0); }} aria-pressed={log.isPaused}>
          {log.isPaused ? `Resume (${c.held} waiting)` : 'Pause'}
        </button>
        <button type="button" class="secondary" onClick={() => { log.clear(); redraw(0); }}>Clear</button>
        <span data-testid="live-counts">received {formatCount(c.received)} · dropped by the server <strong data-testid="dropped-server">{formatCount(c.droppedByServer)}</strong> · dropped while paused <strong>{formatCount(c.droppedHere)}</strong></span>
      </div>
      {problem && <p class="notice error" role="alert">{problem}</p>}
      {log.events.length === 0 ? <p class="muted">Waiting for events… Spans appear here as soon as they are acknowledged.</p> : (
        <div class="table-wrap">
          <table class="data live" aria-label="Live events">
            <thead><tr><th scope="col">At</th><th scope="col">Event</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Agent</th><th scope="col">Model / tool</th><th scope="col" class="num">Duration</th><th scope="col" class="num">Cost</th></tr></thead>
            <tbody>{log.events.map((e) => <EventRow key={e.id} e={e} />)}</tbody>
          </table>
        </div>
      )}
    </>
  );
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);

function EventRow({ e }: { e: LiveEvent }) {
  const d = e.data;
  const traceId = str(d.traceId);
  const at = e.at ? new Date(e.at).toLocaleTimeString() : '';
  if (e.type === 'alert.triggered') {
    return <tr class="ev-alert"><td class="nowrap">{at}</td><td>{e.type}</td><td>{str(d.title)}</td><td><Badge value={str(d.status)} /></td><td>{str(d.agent_name) ?? '—'}</td><td>{str(d.server_name) ?? '—'}</td><td /><td /></tr>;
  }
  const usage = (d.usage ?? {}) as { costUsd?: number | null };
  const name = e.type === 'trace.updated' ? `${formatCount(d.spans as number)} spans added` : str(d.name);
  return (
    <tr data-span-id={str(d.spanId) ?? undefined}>
      <td class="nowrap">{at}</td>
      <td>{e.type}</td>
      <td>{traceId ? <Link href={traceHref(traceId)}>{name ?? traceId}</Link> : name}</td>
      <td><Badge value={str(d.status)} /></td>
      <td>{str(d.agentName) ?? '—'}</td>
      <td>{str(d.model) ?? str(d.toolName) ?? '—'}</td>
      <td class="num">{typeof d.durationMs === 'number' ? formatDuration(d.durationMs) : ''}</td>
      <td class="num">{formatCost(e.type === 'trace.updated' ? (d.costUsd as number | null) : usage.costUsd)}</td>
    </tr>
  );
}
