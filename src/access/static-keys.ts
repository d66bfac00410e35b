import { ConfigError } from '../config/index.js';
import { nativeProjectId } from '../receivers/native/ids.js';
import type { Role } from './roles.js';
import { digest, sameDigest } from './hashing.js';

/** A key from auth.apiKeys / LOOKSPAN_API_KEYS, held as its digest only. */
export interface StaticKey {
  /** `static:<first 8 hex digits of the key's SHA-256>`: stable across restarts, names the key without revealing it. */
  id: string;
  role: Role;
  project: string | null;
  sha256: Buffer;
}

/** Prefixes of the credentials Lookspan issues itself; a static key must not look like one. */
const ISSUED_PREFIXES = ['lsk_', 'lss_', 'lst_'];

/** Parses `<key>:<role>[:<project>]` entries (the config schema has checked their form). */
export function parseStaticKeys(entries: readonly string[]): StaticKey[] {
  const keys: StaticKey[] = [];
  entries.forEach((entry, i) => {
    const [key, role, project] = entry.split(':');
    const where = `auth.apiKeys (LOOKSPAN_API_KEYS) entry ${i + 1}`;
    if (ISSUED_PREFIXES.some((p) => key.startsWith(p))) {
      throw new ConfigError(`invalid configuration: ${where}: a static key must not start with ${ISSUED_PREFIXES.join(', ')} (Lookspan's own credential prefixes)`);
    }
    if (project !== undefined && !nativeProjectId.safeParse(project).success) {
      throw new ConfigError(`invalid configuration: ${where}: the project must be 1-128 characters and not "null" or "__HIVE_DEFAULT_PARTITION__"`);
    }
    const sha256 = digest(key);
    if (keys.some((k) => sameDigest(k.sha256, sha256))) throw new ConfigError(`invalid configuration: ${where}: the same key is listed twice`);
    keys.push({ id: `static:${sha256.toString('hex').slice(0, 8)}`, role: role as Role, project: project ?? null, sha256 });
  });
  return keys;
}

/**
 * The static key `presented` is, or null. Every key is compared, in
 * constant time and without stopping at a match, so the answer takes as
 * long whichever key (if any) matches.
 */
export function matchStaticKey(keys: readonly StaticKey[], presented: string): StaticKey | null {
  const d = digest(presented);
  let found: StaticKey | null = null;
  for (const k of keys) {
    if (sameDigest(k.sha256, d) && found === null) found = k;
  }
  return found;
}
