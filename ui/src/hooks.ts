import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api/client.js';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** GET `path` (null: nothing to load yet) and re-GET when it or the credentials change; a stale answer never overwrites a newer one. */
export function useApi<T>(path: string | null, opts: { refreshMs?: number } = {}): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({ data: null, error: null, loading: path !== null });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    const onCredentials = () => setTick((t) => t + 1);
    window.addEventListener('lookspan:credentials', onCredentials);
    return () => window.removeEventListener('lookspan:credentials', onCredentials);
  }, []);
  useEffect(() => {
    if (!opts.refreshMs) return;
    const t = setInterval(() => setTick((n) => n + 1), opts.refreshMs);
    return () => clearInterval(t);
  }, [opts.refreshMs]);
  useEffect(() => {
    if (path === null) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    api<T>(path, { signal: ctl.signal }).then(
      (data) => setState({ data, error: null, loading: false }),
      (err: unknown) => {
        if ((err as Error).name === 'AbortError') return;
        setState({ data: null, error: err instanceof ApiError ? err : new ApiError(0, 'client', String(err)), loading: false });
      },
    );
    return () => ctl.abort();
  }, [path, tick]);
  return { ...state, reload };
}

/** The current time, refreshed every `everyMs` (for "5 min ago"). */
export function useNow(everyMs = 10_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** Sets the document title for a page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Lookspan`;
  }, [title]);
}
