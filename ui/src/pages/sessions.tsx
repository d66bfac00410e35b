import { useEffect, useState } from 'preact/hooks';
import { HEALTH_TAGS, type SessionList } from '../api/types.js';
import { ErrorBox, FilterBox, HealthTag, SelectField, TextField } from '../components/ui.js';
import { useApi, useTitle } from '../hooks.js';
import { formatCost, formatCount, formatDuration, formatTime } from '../lib/format.js';
import { sessionHref } from '../lib/routes.js';
import { Link, navigate } from '../router.js';

const KEYS = ['agent', 'healthTag', 'outcome', 'userId', 'from', 'to', 'offset'] as const;

/** Sessions with their health tags; the filters live in the URL like the trace list's. */
export function Sessions({ search }: { search: string }) {
  useTitle('Sessions');
  const q = new URLSearchParams(search);
  const [draft, setDraft] = useState<Record<string, string>>({});
  useEffect(() => setDraft(Object.fromEntries(KEYS.map((k) => [k, q.get(k) ?? '']))), [search]);
  const api = new URLSearchParams();
  for (const k of KEYS) if (q.get(k)) api.set(k, q.get(k)!);
  api.set('limit', '50');
  const list = useApi<SessionList>(`/api/sessions?${api}`);
  const offset = Number(q.get('offset') ?? 0) || 0;
  const go = (next: Record<string, string>) => {
    const out = new URLSearchParams();
    for (const k of KEYS) if (next[k]) out.set(k, next[k]);
    navigate(`/sessions${out.size ? `?${out}` : ''}`);
  };
  const set = (k: string, v: string) => setDraft((d) => ({ ...d, [k]: v }));
  return (
    <>
      <h1 tabIndex={-1}>Sessions</h1>
      <FilterBox active={KEYS.filter((k) => k !== 'offset' && q.get(k)).length}>
      <form class="filters" aria-label="Session filters" onSubmit={(e) => { e.preventDefault(); go({ ...draft, offset: '' }); }}>
        <TextField id="s-agent" label="Agent" value={draft.agent ?? ''} onInput={(v) => set('agent', v)} />
        <SelectField id="s-health" label="Health" value={draft.healthTag ?? ''} onChange={(v) => set('healthTag', v)}
          options={[['', 'any'], ...HEALTH_TAGS.map((t) => [t, t.replace(/_/g, ' ')] as const)]} />
        <SelectField id="s-outcome" label="Outcome" value={draft.outcome ?? ''} onChange={(v) => set('outcome', v)}
          options={[['', 'any'], ['failed', 'failed'], ['clean', 'clean']]} />
        <TextField id="s-user" label="User" value={draft.userId ?? ''} onInput={(v) => set('userId', v)} />
        <TextField id="s-from" label="From" value={draft.from ?? ''} placeholder="ISO time or epoch ms" onInput={(v) => set('from', v)} />
        <TextField id="s-to" label="To" value={draft.to ?? ''} placeholder="ISO time or epoch ms" onInput={(v) => set('to', v)} />
        <div class="actions">
          <button type="submit">Apply filters</button>
          <button type="button" class="secondary" onClick={() => navigate('/sessions')}>Clear</button>
        </div>
      </form>
      </FilterBox>
      {list.error && <ErrorBox error={list.error} what="sessions" />}
      {!list.error && !list.data && <p class="muted" aria-busy="true">Loading sessions…</p>}
      {list.data && (list.data.sessions.length === 0 ? <p class="muted">No sessions match.</p> : (
        <div class="table-wrap">
          <table class="data" aria-label="Sessions">
            <thead>
              <tr>
                <th scope="col">Started</th><th scope="col">Session</th><th scope="col">Health</th><th scope="col">Agents</th><th scope="col">MCP servers</th>
                <th scope="col" class="num">Traces</th><th scope="col" class="num">Errors</th><th scope="col" class="num">Duration</th><th scope="col" class="num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {list.data.sessions.map((s) => (
                <tr key={s.id}>
                  <td class="nowrap">{formatTime(s.startedAt)}</td>
                  <td><Link href={sessionHref(s.id)}>{s.id}</Link></td>
                  <td><HealthTag tag={s.healthTag} /></td>
                  <td>{s.agents.join(', ') || '—'}</td>
                  <td>{s.servers.join(', ') || '—'}</td>
                  <td class="num">{formatCount(s.traceCount)}</td>
                  <td class="num">{formatCount(s.errorCount)}</td>
                  <td class="num">{formatDuration(s.durationMs)}</td>
                  <td class="num">{formatCost(s.costUsd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      {list.data && (
        <nav class="pager" aria-label="Pages">
          <button type="button" class="secondary" disabled={offset === 0} onClick={() => go({ ...Object.fromEntries(q), offset: String(Math.max(0, offset - 50)) })}>Previous page</button>
          <button type="button" class="secondary" disabled={!list.data.hasMore} onClick={() => go({ ...Object.fromEntries(q), offset: String(offset + 50) })}>Next page</button>
        </nav>
      )}
    </>
  );
}
