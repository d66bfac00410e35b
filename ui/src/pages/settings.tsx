import { useState } from 'preact/hooks';
import { apiKey, project, setApiKey, setProject } from '../api/credentials.js';
import type { WhoAmI } from '../api/types.js';
import { ErrorBox, SelectField, TextField } from '../components/ui.js';
import { useApi, useTitle } from '../hooks.js';
import { setTheme, theme, type Theme } from '../theme.js';

/** The API key (this browser tab only), the project, and the theme. */
export function Settings() {
  useTitle('Settings');
  const [key, setKey] = useState('');
  const [proj, setProj] = useState(project() ?? '');
  const [saved, setSaved] = useState<string | null>(null);
  const [mode, setMode] = useState<Theme>(theme());
  const who = useApi<WhoAmI>('/api/auth/whoami');
  // The projects this credential may read; a key bound to one sees that one only.
  const projects = useApi<{ projects: Array<{ id: string; name: string }> }>('/api/projects');
  const choices = projects.data?.projects ?? [];
  const save = (e: Event) => {
    e.preventDefault();
    if (key.trim()) setApiKey(key);
    setProject(proj);
    setKey('');
    setSaved('Saved for this tab.');
  };
  const forget = () => {
    setApiKey(null);
    setSaved('Key forgotten.');
  };
  return (
    <>
      <h1 tabIndex={-1}>Settings</h1>
      <section aria-label="API key">
        <h2>API key</h2>
        <p>
          The key is kept in this tab's session storage only: it is gone when the tab closes, and it is sent only to this
          Lookspan, as <code>Authorization: Bearer</code>. Without any key configured, a Lookspan on loopback needs none.
        </p>
        <form class="stack" onSubmit={save} aria-label="API key and project">
          <TextField id="set-key" label={`API key${apiKey() ? ' (one is set; type to replace)' : ''}`} type="password" value={key} onInput={setKey} placeholder="lsk_…" />
          {choices.length > 0 ? (
            <SelectField id="set-project" label="Project" value={proj} onChange={setProj}
              options={[['', "the key's own, or default"], ...choices.map((p) => [p.id, p.name === p.id ? p.id : `${p.name} (${p.id})`] as const)]} />
          ) : (
            <TextField id="set-project" label="Project (empty: the key's own, or default)" value={proj} onInput={setProj} />
          )}
          <div class="actions">
            <button type="submit">Save</button>
            <button type="button" class="secondary" onClick={forget} disabled={!apiKey()}>Forget the key</button>
          </div>
          {saved && <p class="notice" role="status">{saved}</p>}
        </form>
        <h3>Signed in as</h3>
        {who.error ? <ErrorBox error={who.error} what="who you are" /> : who.data ? (
          <dl class="kv">
            <dt>Credential</dt><dd>{who.data.kind} {who.data.actor}</dd>
            <dt>Role</dt><dd>{who.data.role}</dd>
            <dt>Project</dt><dd>{who.data.project_id ?? 'any (not bound)'}</dd>
            <dt>Keys required</dt><dd>{who.data.auth_required ? 'yes' : 'no (open on loopback)'}</dd>
          </dl>
        ) : <p class="muted">Loading…</p>}
      </section>
      <section aria-label="Appearance">
        <h2>Appearance</h2>
        <SelectField id="set-theme" label="Theme" value={mode} onChange={(v) => { setMode(v as Theme); setTheme(v as Theme); }}
          options={[['system', 'as the system'], ['light', 'light'], ['dark', 'dark']]} />
      </section>
    </>
  );
}
