// A lone surrogate escape that is not itself escaped (preceded by an even number of backslashes).
const LONE_SURROGATE_ESCAPE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

/**
 * JSON text with lone UTF-16 surrogates replaced by U+FFFD. JSON.stringify
 * writes a lone surrogate (which a native JSON body may carry as `"\ud800"`)
 * as a `\udXXX` escape, and DuckDB refuses such a line ("no low surrogate
 * in string"), so it would never load. Well-formed pairs are written as raw
 * characters, so any such escape is a lone one; the check is one substring
 * search on the common path.
 */
export function wellFormedJson(text: string): string {
  if (!text.includes('\\ud')) return text;
  return text.replace(LONE_SURROGATE_ESCAPE, '$1\\ufffd');
}
