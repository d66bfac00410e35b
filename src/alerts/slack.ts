import type { AlertRecord } from './types.js';

const EMOJI: Record<string, string> = { critical: ':rotating_light:', warning: ':warning:', info: ':information_source:' };

/** Slack mrkdwn escaping: &, < and > are control characters there. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * An alert as a Slack incoming-webhook message: `text` (the notification
 * and fallback) plus Block Kit blocks: a header, the message, the fields
 * that locate the breach, and a context line with type, status and time.
 */
export function slackMessage(a: AlertRecord): { text: string; blocks: unknown[] } {
  const icon = a.status === 'resolved' ? ':white_check_mark:' : EMOJI[a.severity] ?? '';
  const title = `${a.status === 'resolved' ? 'Resolved: ' : ''}${a.title}`;
  const fields: Array<[string, string | number | null]> = [
    ['Project', a.project_id], ['Agent', a.agent_name], ['Session', a.session_id], ['MCP server', a.server_name],
    ['Value', a.value], ['Threshold', a.threshold],
  ];
  const shown = fields.filter(([, v]) => v !== null && v !== undefined);
  return {
    text: `${icon} ${title}`.trim(),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: `${icon} ${esc(a.message)}`.trim().slice(0, 3000) } },
      ...(shown.length > 0 ? [{ type: 'section', fields: shown.slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${esc(String(v))}`.slice(0, 2000) })) }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Lookspan · \`${a.type}\` · ${a.status} · ${a.triggered_at}` }] },
    ],
  };
}

/** The message of POST /api/alerts/test. */
export function slackTestMessage(projectId: string): { text: string; blocks: unknown[] } {
  return {
    text: ':white_check_mark: Lookspan test alert',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'Lookspan test alert', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: `Alerts of project *${esc(projectId)}* will be posted here.` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Lookspan · ${new Date().toISOString()}` }] },
    ],
  };
}
