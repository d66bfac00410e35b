import { hiddenCharacters, injectionMatches, toolTexts, visible } from './text.js';
import type { ToolInfo } from '../types.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One finding: which rule, how bad, about which tool, and what in the server's answer shows it. */
export interface Finding {
  rule_id: string;
  severity: Severity;
  category: string;
  title: string;
  description: string;
  remediation: string;
  tool_name: string | null;
  /** What was found, quoted or located (field path, code points, the matching words). */
  evidence: string;
  /** Always null: the scan checks what a server says about itself, not package versions. */
  cve_id: null;
}

/** What a rule sees of one server: its transport and the tools it listed (null when it could not be listed). */
export interface ScanSubject {
  name: string;
  transport: 'stdio' | 'streamable_http' | 'sse';
  url: string | null;
  /** Header names configured for it (values are never read here). */
  authHeaders: string[];
  tools: ToolInfo[] | null;
}

export interface Rule {
  id: string;
  category: string;
  /** The usual severity; a rule may lower it for a loopback address. */
  severity: Severity;
  title: string;
  remediation: string;
  check(s: ScanSubject, others: readonly ScanSubject[]): Array<Omit<Finding, 'rule_id' | 'category' | 'remediation' | 'cve_id'>>;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;
const isLoopback = (url: string) => LOOPBACK.test(new URL(url).hostname);
const quote = (s: string) => JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s);

/** Tool names too generic to claim as another server's (a word any description may use). */
const distinctive = (name: string) => name.length >= 4 && /[_\-.]|[a-z][A-Z]/.test(name);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Words in a tool's name or description that say it changes or moves something that matters. */
const SENSITIVE = /(^|[^a-z])(delete|remove|drop|destroy|truncate|wipe|purge|kill|terminate|shutdown|exec|execute|shell|run_?command|eval|write_?file|overwrite|transfer|pay|payment|refund|withdraw|send_?(email|mail|message)|deploy|grant|revoke|chmod|sudo|rm)([^a-z]|$)/i;
const firstSentence = (s: string) => /^[^.!?\n]*/.exec(s)![0];
const CONFIRMATION = /\bconfirm(ation|ed|s)?\b|\bask(s|ing)? the user\b|\bapproval\b|\bapprove\b/i;

function schemaBreadth(schema: Record<string, unknown>, at: string, depth: number, out: string[]): void {
  if (depth > 10 || out.length >= 5) return;
  const props = schema.properties;
  const hasProps = props !== null && typeof props === 'object' && !Array.isArray(props);
  const extra = schema.additionalProperties;
  if (extra === true || (extra !== null && typeof extra === 'object' && Object.keys(extra).length === 0)) {
    out.push(`${at}: additionalProperties accepts any value`);
  } else if (depth > 0 && schema.type === 'object' && !hasProps && extra === undefined) {
    out.push(`${at}: an object with no properties (any keys, any values)`);
  }
  if (depth === 0 && schema.type !== 'object') out.push(`${at}: no "type": "object" at the top`);
  if (!hasProps) return;
  for (const [k, v] of Object.entries(props as Record<string, unknown>)) {
    if (v === true || v === null || typeof v !== 'object' || Object.keys(v).length === 0) {
      out.push(`${at}.properties.${k}: no schema (any JSON value)`);
      continue;
    }
    const p = v as Record<string, unknown>;
    const typed = ['type', 'enum', 'const', '$ref', 'anyOf', 'oneOf', 'allOf'].some((x) => x in p);
    if (!typed) out.push(`${at}.properties.${k}: no type (any JSON value)`);
    else if (p.type === 'object' || (p.properties !== undefined)) schemaBreadth(p, `${at}.properties.${k}`, depth + 1, out);
  }
}

/**
 * The scan's rules (docs/mcp.md "Security scan" lists them). Each looks at
 * what a server says about itself — its transport and its tool list — and
 * reports findings with evidence; none calls a tool.
 */
export const RULES: readonly Rule[] = [
  {
    id: 'MCP-001', category: 'hidden_characters', severity: 'critical', title: 'Invisible characters in tool metadata',
    remediation: 'Remove the invisible characters; a tool description has no use for Unicode tag, zero-width or bidirectional control characters.',
    check: (s) => (s.tools ?? []).flatMap((t) => toolTexts(t).flatMap(({ field, text }) => {
      const h = hiddenCharacters(text);
      if (!h) return [];
      const tags = h.decodedTags === null ? '' : `; the tag characters spell ${quote(h.decodedTags)}`;
      return [{
        severity: 'critical' as const, tool_name: t.name, title: `Invisible characters in ${t.name} (${field})`,
        description: 'Text a person reviewing the tool cannot see but the model reads: the classic carrier of hidden instructions.',
        evidence: `${field}: ${h.count} invisible character(s) ${h.codePoints.join(', ')} at offset(s) ${h.offsets.join(', ')}${tags}`,
      }];
    })),
  },
  {
    id: 'MCP-002', category: 'prompt_injection', severity: 'high', title: 'Instructions to the model in tool metadata',
    remediation: 'Describe what the tool does and its parameters; move instructions out of tool metadata, and review who can change this server\'s tool list.',
    check: (s) => (s.tools ?? []).flatMap((t) => {
      const found = toolTexts(t).flatMap(({ field, text }) => {
        const tagged = hiddenCharacters(text)?.decodedTags;
        // Hidden tag text is checked too: it is what the model reads.
        return [...injectionMatches(text), ...(tagged ? injectionMatches(tagged).map((m) => ({ ...m, pattern: `${m.pattern} (in hidden tag text)` })) : [])]
          .map((m) => `${field}: ${m.pattern}: ${quote(m.snippet)}`);
      });
      if (found.length === 0) return [];
      return [{
        severity: 'high' as const, tool_name: t.name, title: `Prompt-injection patterns in ${t.name}`,
        description: 'The tool\'s metadata tells the model what to do beyond using the tool (override instructions, hide things from the user, read secrets or send data elsewhere).',
        evidence: found.slice(0, 5).join('; '),
      }];
    }),
  },
  {
    id: 'MCP-003', category: 'tool_shadowing', severity: 'high', title: 'Tool name also exposed by another server',
    remediation: 'Give each server\'s tools distinct names (or a server prefix), and remove the server that was not meant to provide this tool.',
    check: (s, others) => (s.tools ?? []).flatMap((t) => {
      const also = others.filter((o) => o.name !== s.name && (o.tools ?? []).some((x) => x.name === t.name)).map((o) => o.name);
      if (also.length === 0) return [];
      return [{
        severity: 'high' as const, tool_name: t.name, title: `${t.name} is also a tool of ${also.join(', ')}`,
        description: 'An agent connected to both servers sees two tools of one name; which one is called is up to the client, and a malicious server can take over the other\'s calls.',
        evidence: `tool ${quote(t.name)} is listed by ${[s.name, ...also].map(quote).join(' and ')}`,
      }];
    }),
  },
  {
    id: 'MCP-004', category: 'tool_shadowing', severity: 'high', title: 'Tool metadata refers to another server\'s tool',
    remediation: 'A tool should document itself only; remove references to other servers\' tools, which can change how the agent uses them.',
    check: (s, others) => (s.tools ?? []).flatMap((t) => {
      const text = visible([t.description ?? '', ...toolTexts(t).filter((x) => x.field !== 'name').map((x) => x.text)].join('\n'));
      const refs: string[] = [];
      for (const o of others) {
        if (o.name === s.name) continue;
        for (const x of o.tools ?? []) {
          if (x.name === t.name || !distinctive(x.name) || (s.tools ?? []).some((own) => own.name === x.name)) continue;
          const m = new RegExp(`(^|[^A-Za-z0-9_])${escapeRe(x.name)}([^A-Za-z0-9_]|$)`).exec(text);
          if (m) refs.push(`${quote(x.name)} of ${quote(o.name)} in ${quote(text.slice(Math.max(0, m.index - 30), m.index + x.name.length + 40))}`);
        }
      }
      if (refs.length === 0) return [];
      return [{
        severity: 'high' as const, tool_name: t.name, title: `${t.name} refers to another server's tool`,
        description: 'A description that names another server\'s tool can instruct the model how to call it (redirect its recipients, add parameters): cross-server shadowing.',
        evidence: refs.slice(0, 5).join('; '),
      }];
    }),
  },
  {
    id: 'MCP-005', category: 'transport', severity: 'high', title: 'Remote transport over plain HTTP',
    remediation: 'Serve the MCP endpoint over https (TLS); plain http is acceptable only on a loopback address.',
    check: (s) => {
      if (s.url === null || !s.url.startsWith('http:')) return [];
      const local = isLoopback(s.url);
      return [{
        severity: local ? 'low' as const : 'high' as const, tool_name: null, title: `${s.transport} endpoint without TLS`,
        description: local ? 'Plain http on a loopback address: not readable off the machine, but nothing protects it if the address changes.'
          : 'Requests, tool arguments, results and any credential header cross the network unencrypted.',
        evidence: `url ${quote(s.url)}${local ? ' (loopback)' : ''}`,
      }];
    },
  },
  {
    id: 'MCP-006', category: 'authentication', severity: 'medium', title: 'Remote transport without authentication',
    remediation: 'Require a credential at the server and configure it here with headersFromEnv (e.g. Authorization: MCP_TOKEN).',
    check: (s) => {
      if (s.url === null || s.authHeaders.length > 0) return [];
      const local = isLoopback(s.url);
      return [{
        severity: local ? 'low' as const : 'medium' as const, tool_name: null, title: `${s.transport} endpoint checked without credentials`,
        description: 'The health check reached the server without sending any credential, so anyone who can reach the address can list and call its tools.',
        evidence: `url ${quote(s.url)}, no headersFromEnv configured${s.tools !== null ? `, and tools/list answered with ${s.tools.length} tool(s)` : ''}`,
      }];
    },
  },
  {
    id: 'MCP-007', category: 'input_validation', severity: 'medium', title: 'Overly broad input schema',
    remediation: 'Type every parameter, list object properties and set additionalProperties: false, so the client and the server reject what the tool does not expect.',
    check: (s) => (s.tools ?? []).flatMap((t) => {
      const found: string[] = [];
      schemaBreadth(t.input_schema, 'inputSchema', 0, found);
      if (found.length === 0) return [];
      return [{
        severity: 'medium' as const, tool_name: t.name, title: `${t.name} accepts arbitrary input`,
        description: 'Parts of the input schema accept any JSON, so neither the client nor the model is held to what the tool can safely take.',
        evidence: found.join('; '),
      }];
    }),
  },
  {
    id: 'MCP-008', category: 'confirmation', severity: 'medium', title: 'Sensitive tool without a confirmation hint',
    remediation: 'Set annotations.destructiveHint: true (and readOnlyHint: false) so clients ask the user before calling it, or say in the description that the call needs confirmation.',
    check: (s) => (s.tools ?? []).flatMap((t) => {
      // The description's first sentence says what the tool does; later ones may mention other tools.
      const m = SENSITIVE.exec(t.name) ?? SENSITIVE.exec(firstSentence(visible(t.description ?? '')));
      if (!m) return [];
      const a = t.annotations ?? {};
      if (a.destructiveHint === true || CONFIRMATION.test(t.description ?? '')) return [];
      const said = a.readOnlyHint === true ? 'annotations say readOnlyHint: true' : a.destructiveHint === false ? 'annotations say destructiveHint: false' : 'no destructiveHint annotation';
      return [{
        severity: 'medium' as const, tool_name: t.name, title: `${t.name} looks sensitive but asks for no confirmation`,
        description: 'A tool that deletes, executes, sends or moves something should tell clients to confirm with the user before each call.',
        evidence: `${quote(m[2])} in ${SENSITIVE.test(t.name) ? 'the name' : 'the description'}; ${said}; the description does not mention confirmation`,
      }];
    }),
  },
];

const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

/** Every rule over one server, the most severe findings first. */
export function scanServer(s: ScanSubject, others: readonly ScanSubject[]): Finding[] {
  const out: Finding[] = [];
  for (const r of RULES) {
    for (const f of r.check(s, others)) out.push({ ...f, rule_id: r.id, category: r.category, remediation: r.remediation, cve_id: null });
  }
  return out.sort((a, b) => RANK[a.severity] - RANK[b.severity] || a.rule_id.localeCompare(b.rule_id));
}

/** The most severe of `findings`, or null. */
export const highestSeverity = (findings: readonly Finding[]): Severity | null =>
  findings.reduce<Severity | null>((m, f) => (m === null || RANK[f.severity] < RANK[m] ? f.severity : m), null);
