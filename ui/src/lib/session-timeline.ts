import { isoToMicros } from './time.js';

/** What the session timeline needs of a trace of GET /api/sessions/:id. */
export interface TimelineTrace {
  id: string;
  agentName: string | null;
  startedAt: string;
  endedAt: string;
  status: string;
}

export interface TimelineBar {
  traceId: string;
  status: string;
  leftPct: number;
  widthPct: number;
}

export interface TimelineLane {
  agent: string;
  bars: TimelineBar[];
}

export const NO_AGENT = '(no agent)';
const MIN_WIDTH_PCT = 0.5;

/**
 * One lane per agent (in order of first appearance), each trace a bar on the
 * session's time axis: the multi-agent timeline, handoffs reading left to right.
 */
export function sessionLanes(traces: readonly TimelineTrace[]): { lanes: TimelineLane[]; totalMs: number } {
  if (traces.length === 0) return { lanes: [], totalMs: 0 };
  const starts = traces.map((t) => isoToMicros(t.startedAt));
  const ends = traces.map((t, i) => Math.max(isoToMicros(t.endedAt), starts[i]));
  const t0 = Math.min(...starts);
  const total = Math.max(Math.max(...ends) - t0, 1);
  const order = traces.map((_, i) => i).sort((a, b) => starts[a] - starts[b]);
  const lanes = new Map<string, TimelineBar[]>();
  for (const i of order) {
    const agent = traces[i].agentName ?? NO_AGENT;
    const left = Math.min(((starts[i] - t0) / total) * 100, 100 - MIN_WIDTH_PCT);
    const width = Math.min(Math.max(((ends[i] - starts[i]) / total) * 100, MIN_WIDTH_PCT), 100 - left);
    if (!lanes.has(agent)) lanes.set(agent, []);
    lanes.get(agent)!.push({ traceId: traces[i].id, status: traces[i].status, leftPct: left, widthPct: width });
  }
  return { lanes: [...lanes].map(([agent, bars]) => ({ agent, bars })), totalMs: (Math.max(...ends) - t0) / 1000 };
}
