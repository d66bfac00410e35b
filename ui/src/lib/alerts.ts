/** Which alerts are open: those whose latest event (by `key`) is a trigger, not a resolution. */
export interface AlertEvent {
  id: string;
  key: string;
  status: 'triggered' | 'resolved';
  triggered_at: string;
}

/** The open alerts of a history, newest first (the history may come in any order). */
export function openAlerts<T extends AlertEvent>(history: readonly T[]): T[] {
  const latest = new Map<string, T>();
  for (const a of history) {
    const prev = latest.get(a.key);
    if (!prev || a.triggered_at > prev.triggered_at || (a.triggered_at === prev.triggered_at && a.status === 'resolved')) latest.set(a.key, a);
  }
  return [...latest.values()].filter((a) => a.status === 'triggered').sort((a, b) => (a.triggered_at < b.triggered_at ? 1 : -1));
}
