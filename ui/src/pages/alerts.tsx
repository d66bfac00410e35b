import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from '../api/client.js';
import { ALERT_TYPES, type AgentEntry, type AlertConfig, type AlertList, type AlertRule, type PreventionConfig } from '../api/types.js';
import { Badge, ErrorBox, SelectField, Status, TextField } from '../components/ui.js';
import { useApi, useTitle } from '../hooks.js';
import { formatTime } from '../lib/format.js';

/** Alert history, delivery config with a test button, the rules, and prevention per agent. */
export function Alerts() {
  useTitle('Alerts');
  const [type, setType] = useState('');
  const [status, setStatus] = useState('');
  const q = new URLSearchParams({ limit: '100' });
  if (type) q.set('type', type);
  if (status) q.set('status', status);
  const history = useApi<AlertList>(`/api/alerts?${q}`);
  const rules = useApi<{ rules: AlertRule[] }>('/api/alerts/rules');
  const ruleList = rules.data?.rules ?? [];
  return (
    <>
      <h1 tabIndex={-1}>Alerts</h1>
      <section aria-label="Alert history">
        <h2>History</h2>
        <form class="filters" aria-label="Alert filters" onSubmit={(e) => e.preventDefault()}>
          <SelectField id="a-type" label="Type" value={type} onChange={setType} options={[['', 'any'], ...ALERT_TYPES.map((t) => [t, t] as const)]} />
          <SelectField id="a-status" label="Status" value={status} onChange={setStatus} options={[['', 'any'], ['triggered', 'triggered'], ['resolved', 'resolved']]} />
        </form>
        <Status {...history} what="alerts">
          {(h) => h.alerts.length === 0 ? <p class="muted">No alerts.</p> : (
            <div class="table-wrap">
              <table class="data" aria-label="Alert history">
                <thead><tr><th scope="col">When</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Severity</th><th scope="col">Title</th><th scope="col">Subject</th></tr></thead>
                <tbody>
                  {h.alerts.map((a) => (
                    <tr key={a.id}><td class="nowrap">{formatTime(a.triggered_at)}</td><td>{a.type}</td><td><Badge value={a.status} /></td><td>{a.severity}</td>
                      <td>{a.title}<div class="muted small">{a.message}</div></td><td>{a.agent_name ?? a.server_name ?? a.session_id ?? '—'}</td></tr>
                  ))}
                </tbody>
              </table>
              <p class="muted">{h.alerts.length} of {h.total}</p>
            </div>
          )}
        </Status>
      </section>
      <section aria-label="Alert rules">
        <h2>Threshold rules</h2>
        {rules.error ? <ErrorBox error={rules.error} what="rules" /> : ruleList.length === 0 ? <p class="muted">No threshold rules.</p> : (
          <ul class="plain">{ruleList.map((r) => <li key={r.id}><code>{r.kind}</code> ≥ {r.threshold} {r.enabled ? '' : <span class="muted">(disabled)</span>}</li>)}</ul>
        )}
      </section>
      <AlertConfigForm />
      <PreventionForm />
    </>
  );
}

function AlertConfigForm() {
  const cfg = useApi<AlertConfig>('/api/alerts/config');
  const [form, setForm] = useState<{ slack: string; webhook: string; secret: string; types: Record<string, boolean> } | null>(null);
  const [note, setNote] = useState<{ text: string; bad?: boolean } | null>(null);
  const [target, setTarget] = useState<'slack' | 'webhook'>('slack');
  useEffect(() => {
    if (cfg.data) setForm({ slack: cfg.data.slack_webhook ?? '', webhook: cfg.data.webhook_url ?? '', secret: '', types: { ...cfg.data.alert_types } });
  }, [cfg.data]);
  const save = async (e: Event) => {
    e.preventDefault();
    if (!form) return;
    try {
      await api('/api/alerts/config', {
        method: 'POST',
        body: { slack_webhook: form.slack || null, webhook_url: form.webhook || null, alert_types: form.types, ...(form.secret ? { webhook_secret: form.secret } : {}) },
      });
      setNote({ text: 'Saved.' });
      cfg.reload();
    } catch (err) {
      setNote({ text: `Not saved: ${(err as ApiError).message}`, bad: true });
    }
  };
  const test = async () => {
    try {
      const r = await api<{ ok: boolean; error?: string }>('/api/alerts/test', { method: 'POST', body: { target } });
      setNote(r.ok ? { text: `Test alert sent to the ${target}.` } : { text: `Test failed: ${r.error ?? 'unknown error'}`, bad: true });
    } catch (err) {
      setNote({ text: `Test failed: ${(err as ApiError).message}`, bad: true });
    }
  };
  return (
    <section aria-label="Alert delivery">
      <h2>Delivery</h2>
      {cfg.error ? <ErrorBox error={cfg.error} what="the alert configuration (admin key)" /> : !form ? <p class="muted">Loading…</p> : (
        <form class="stack" onSubmit={save} aria-label="Alert delivery configuration">
          <TextField id="ac-slack" label="Slack webhook URL" type="url" value={form.slack} onInput={(v) => setForm({ ...form, slack: v })} />
          <TextField id="ac-webhook" label="Webhook URL" type="url" value={form.webhook} onInput={(v) => setForm({ ...form, webhook: v })} />
          <TextField id="ac-secret" label={`Webhook signing secret${cfg.data?.webhook_secret_set ? ' (set; type to replace)' : ''}`} type="password" value={form.secret} onInput={(v) => setForm({ ...form, secret: v })} />
          <fieldset class="checks grid-checks">
            <legend>Alert types delivered</legend>
            {ALERT_TYPES.map((t) => (
              <label key={t}><input type="checkbox" checked={form.types[t] ?? false} onChange={(e) => setForm({ ...form, types: { ...form.types, [t]: (e.target as HTMLInputElement).checked } })} /> {t}</label>
            ))}
          </fieldset>
          <div class="actions">
            <button type="submit">Save delivery</button>
            <SelectField id="ac-target" label="Test target" value={target} onChange={(v) => setTarget(v as 'slack' | 'webhook')} options={[['slack', 'Slack'], ['webhook', 'webhook']]} />
            <button type="button" class="secondary" onClick={test}>Send a test alert</button>
          </div>
          {note && <p class={`notice${note.bad ? ' error' : ''}`} role="status">{note.text}</p>}
        </form>
      )}
    </section>
  );
}

const NUMBER_FIELDS: Array<[keyof PreventionConfig, string]> = [
  ['loop_threshold', 'Loop threshold (repeated calls)'], ['max_steps', 'Max steps'], ['max_cost_usd', 'Max cost (USD)'], ['max_wall_time_s', 'Max wall time (s)'],
  ['budget_soft_alert', 'Budget soft alert (fraction)'], ['cb_failure_threshold', 'Circuit breaker: failures'], ['cb_cooldown_seconds', 'Circuit breaker: cooldown (s)'],
  ['cb_half_open_max_calls', 'Circuit breaker: half-open calls'],
];

function PreventionForm() {
  const agents = useApi<AgentEntry[]>('/api/agents/metadata?limit=1000');
  const [agent, setAgent] = useState('');
  const cfg = useApi<PreventionConfig>(agent ? `/api/agents/${encodeURIComponent(agent)}/prevention-config` : null);
  const [form, setForm] = useState<Record<string, string | boolean>>({});
  const [note, setNote] = useState<{ text: string; bad?: boolean } | null>(null);
  useEffect(() => {
    const c = cfg.data;
    setForm(c ? Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === 'boolean' ? v : v === null ? '' : String(v)])) : { loop_enabled: true, cb_enabled: true, loop_action: 'warn' });
  }, [cfg.data, agent]);
  // A saved note outlives the reload that follows the save; choosing another agent clears it.
  useEffect(() => setNote(null), [agent]);
  const save = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { loop_enabled: form.loop_enabled === true, cb_enabled: form.cb_enabled === true, loop_action: form.loop_action || 'warn' };
    for (const [k] of NUMBER_FIELDS) {
      const v = String(form[k] ?? '').trim();
      if (v !== '') body[k] = Number(v);
      else if (k === 'max_steps' || k === 'max_cost_usd' || k === 'max_wall_time_s') body[k] = null;
    }
    try {
      await api(`/api/agents/${encodeURIComponent(agent)}/prevention-config`, { method: 'PUT', body });
      setNote({ text: `Saved for ${agent}.` });
      cfg.reload();
    } catch (err) {
      setNote({ text: `Not saved: ${(err as ApiError).message}`, bad: true });
    }
  };
  const remove = async () => {
    try {
      await api(`/api/agents/${encodeURIComponent(agent)}/prevention-config`, { method: 'DELETE' });
      setNote({ text: `${agent} now follows the project's default.` });
      cfg.reload();
    } catch (err) {
      setNote({ text: `Not deleted: ${(err as ApiError).message}`, bad: true });
    }
  };
  return (
    <section aria-label="Prevention per agent">
      <h2>Prevention per agent</h2>
      <Status {...agents} what="agents">
        {(list) => list.length === 0 ? <p class="muted">No agents seen yet.</p> : (
          <SelectField id="p-agent" label="Agent" value={agent} onChange={setAgent} options={[['', 'choose an agent'], ...list.map((a) => [a.agent_name, a.agent_name] as const)]} />
        )}
      </Status>
      {agent && (
        <form class="stack" onSubmit={save} aria-label={`Prevention config of ${agent}`}>
          {cfg.error && cfg.error.status !== 404 && <ErrorBox error={cfg.error} what="the prevention config" />}
          {cfg.error?.status === 404 && <p class="muted">{agent} has no config of its own (the project's default applies). Saving creates one.</p>}
          <fieldset class="checks">
            <legend>Rules</legend>
            <label><input type="checkbox" checked={form.loop_enabled === true} onChange={(e) => setForm({ ...form, loop_enabled: (e.target as HTMLInputElement).checked })} /> Loop detection</label>
            <label><input type="checkbox" checked={form.cb_enabled === true} onChange={(e) => setForm({ ...form, cb_enabled: (e.target as HTMLInputElement).checked })} /> Circuit breaker</label>
          </fieldset>
          <SelectField id="p-loop-action" label="On a loop" value={String(form.loop_action ?? 'warn')} onChange={(v) => setForm({ ...form, loop_action: v })} options={[['warn', 'warn'], ['terminate', 'terminate']]} />
          <div class="field-grid">
            {NUMBER_FIELDS.map(([k, label]) => (
              <TextField key={k} id={`p-${k}`} label={label} type="number" value={String(form[k] ?? '')} onInput={(v) => setForm({ ...form, [k]: v })} />
            ))}
          </div>
          <div class="actions">
            <button type="submit">Save for {agent}</button>
            {cfg.data && <button type="button" class="secondary" onClick={remove}>Delete (use the project's default)</button>}
          </div>
          {note && <p class={`notice${note.bad ? ' error' : ''}`} role="status">{note.text}</p>}
        </form>
      )}
    </section>
  );
}
