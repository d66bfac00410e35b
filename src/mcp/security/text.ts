/**
 * Text checks of the security scan: characters a reader cannot see, and
 * instruction patterns that do not belong in a tool's documentation.
 */

/** Unicode tag characters (U+E0000–U+E007F): invisible, and each maps to an ASCII character, so they can spell hidden text. */
const TAG = /[\u{E0000}-\u{E007F}]/gu;
/** Zero-width and invisible formatting characters, and the bidirectional controls of "Trojan Source". */
const INVISIBLE = /[\u200B-\u200D\u2060-\u2064\uFEFF\u180E\u00AD\u202A-\u202E\u2066-\u2069]/gu;

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

export interface HiddenText {
  /** Distinct code points found, with counts (`U+200B ×2`). */
  codePoints: string[];
  count: number;
  /** Offsets (UTF-16) of the first few. */
  offsets: number[];
  /** What the tag characters spell, when there are any. */
  decodedTags: string | null;
}

/** The invisible characters of `s`, or null when it has none. */
export function hiddenCharacters(s: string): HiddenText | null {
  const counts = new Map<string, number>();
  const offsets: number[] = [];
  let tags = '';
  for (const re of [TAG, INVISIBLE]) {
    for (const m of s.matchAll(re)) {
      const cp = codePoint(m[0]);
      counts.set(cp, (counts.get(cp) ?? 0) + 1);
      if (offsets.length < 8) offsets.push(m.index!);
      if (re === TAG) {
        const ascii = m[0].codePointAt(0)! - 0xE0000;
        if (ascii >= 0x20 && ascii < 0x7F) tags += String.fromCharCode(ascii);
      }
    }
  }
  if (counts.size === 0) return null;
  return {
    codePoints: [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([cp, n]) => (n > 1 ? `${cp} ×${n}` : cp)),
    count: [...counts.values()].reduce((a, b) => a + b, 0),
    offsets: offsets.sort((a, b) => a - b),
    decodedTags: tags === '' ? null : tags,
  };
}

/** `s` with its invisible characters removed (so a pattern split by zero-width spaces still matches). */
export const visible = (s: string) => s.replace(TAG, '').replace(INVISIBLE, '');

/** Instruction patterns of tool-poisoning attacks, each with the name shown in a finding's evidence. */
export const INJECTION_PATTERNS: ReadonlyArray<{ name: string; re: RegExp }> = [
  { name: 'override of earlier instructions', re: /\b(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier|other|your)\s+(instructions?|prompts?|rules|guidelines|directions)/i },
  { name: 'instruction markup', re: /<\s*\/?\s*(important|system|instructions?|secret|hidden|admin)\s*>/i },
  { name: 'concealment from the user', re: /\b(do\s+not|don'?t|never)\s+(tell|inform|notify|alert|show|mention\s+(?:this\s+|it\s+)?to|reveal\s+(?:this\s+|it\s+)?to)\s+(the\s+)?user/i },
  { name: 'hidden precondition', re: /\b(before|prior\s+to)\s+(using|calling|running)\s+(this|the|any)\s+tool\b[^.]{0,80}\b(read|send|call|include|pass|fetch)\b/i },
  { name: 'sensitive file reference', re: /(~\/\.ssh|\bid_rsa\b|\bid_ed25519\b|\.aws\/credentials|\/etc\/(passwd|shadow)|\.netrc\b|\bmcp\.json\b|\.cursor\/|credentials\.json)/i },
  { name: 'prompt or secret exfiltration', re: /\b(system\s+prompt|conversation\s+history|api[_\s-]?keys?|secrets?|passwords?|private\s+keys?)\b[^.]{0,60}\b(send|pass|include|append|forward|upload|post)\b|\b(send|pass|include|append|forward|upload|post)\b[^.]{0,60}\b(system\s+prompt|conversation\s+history|api[_\s-]?keys?|passwords?|private\s+keys?)\b/i },
  { name: 'data sent to a URL', re: /\b(send|forward|upload|post|exfiltrate)\b[^.]{0,80}\bhttps?:\/\/\S+/i },
];

export interface PatternMatch {
  pattern: string;
  snippet: string;
}

/** The injection patterns `s` matches (on its visible text), each with the words around the match. */
export function injectionMatches(s: string): PatternMatch[] {
  const text = visible(s);
  const out: PatternMatch[] = [];
  for (const p of INJECTION_PATTERNS) {
    const m = p.re.exec(text);
    if (!m) continue;
    const from = Math.max(0, m.index - 30);
    const to = Math.min(text.length, m.index + m[0].length + 30);
    out.push({ pattern: p.name, snippet: `${from > 0 ? '…' : ''}${text.slice(from, to).replace(/\s+/g, ' ')}${to < text.length ? '…' : ''}` });
  }
  return out;
}

/** Every string a tool shows the model (name, description, and the texts inside its input schema), each with where it is. */
export function toolTexts(tool: { name: string; description: string | null; input_schema: Record<string, unknown> }): Array<{ field: string; text: string }> {
  const out: Array<{ field: string; text: string }> = [{ field: 'name', text: tool.name }];
  if (tool.description !== null) out.push({ field: 'description', text: tool.description });
  const walk = (v: unknown, at: string, depth: number) => {
    if (depth > 20) return;
    if (typeof v === 'string') out.push({ field: at, text: v });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`, depth + 1));
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        // Keys too: a parameter name can carry invisible characters as well as a value can.
        out.push({ field: `${at}.${k} (key)`, text: k });
        walk(x, `${at}.${k}`, depth + 1);
      }
    }
  };
  walk(tool.input_schema, 'inputSchema', 0);
  return out;
}
