/**
 * The credential helpers on their own: digests compared with
 * crypto.timingSafeEqual (spied on: the comparison must go through it),
 * static keys compared without stopping at the first match, scrypt
 * password hashes, and stream tickets (signature, expiry, single use).
 */
import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const { digest, hashPassword, sameDigest, secretMatches, verifyPassword } = await import('../../src/access/hashing.js');
const { matchStaticKey, parseStaticKeys } = await import('../../src/access/static-keys.js');
const { Tickets } = await import('../../src/access/tickets.js');

const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);

describe('digest comparison', () => {
  it('goes through crypto.timingSafeEqual on equal-length digests', () => {
    timingSafeEqual.mockClear();
    expect(secretMatches('a-secret-key-of-some-length', digest('a-secret-key-of-some-length'))).toBe(true);
    expect(secretMatches('another-key-of-some-length!', digest('a-secret-key-of-some-length'))).toBe(false);
    expect(timingSafeEqual).toHaveBeenCalledTimes(2);
    for (const [a, b] of timingSafeEqual.mock.calls) expect((a as Buffer).length).toBe((b as Buffer).length);
  });

  it('refuses digests of different lengths without calling it (it would throw)', () => {
    timingSafeEqual.mockClear();
    expect(sameDigest(Buffer.alloc(32), Buffer.alloc(31))).toBe(false);
    expect(timingSafeEqual).not.toHaveBeenCalled();
  });

  it('compares a presented key with every static key, also after a match', () => {
    const keys = parseStaticKeys(['first-key-0000000000:admin', 'second-key-000000000:viewer', 'third-key-0000000000:ingest:team-a']);
    timingSafeEqual.mockClear();
    expect(matchStaticKey(keys, 'first-key-0000000000')?.role).toBe('admin');
    expect(timingSafeEqual).toHaveBeenCalledTimes(3);
    expect(matchStaticKey(keys, 'third-key-0000000000')).toMatchObject({ role: 'ingest', project: 'team-a' });
    expect(matchStaticKey(keys, 'unknown-key-00000000')).toBeNull();
    // Ids name a key without revealing it: the first hex digits of its SHA-256.
    expect(keys[0].id).toBe(`static:${crypto.createHash('sha256').update('first-key-0000000000').digest('hex').slice(0, 8)}`);
  });

  it('refuses a static key that looks like an issued credential, or listed twice', () => {
    expect(() => parseStaticKeys(['lsk_aaaaaaaaaaaaaaaa:admin'])).toThrow(/must not start with/);
    expect(() => parseStaticKeys(['same-key-00000000000:admin', 'same-key-00000000000:viewer'])).toThrow(/twice/);
    expect(() => parseStaticKeys(['some-key-00000000000:admin:null'])).toThrow(/project/);
  });
});

describe('passwords', () => {
  it('are hashed with scrypt, salted, and verified in constant time', async () => {
    const h1 = await hashPassword('correct horse battery staple');
    const h2 = await hashPassword('correct horse battery staple');
    expect(h1).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]{43}$/);
    expect(h1).not.toBe(h2);
    expect(h1).not.toContain('correct horse');
    timingSafeEqual.mockClear();
    expect(await verifyPassword('correct horse battery staple', h1)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', h1)).toBe(false);
    expect(timingSafeEqual).toHaveBeenCalledTimes(2);
    expect(await verifyPassword('x', 'plain-text-password')).toBe(false);
  });
});

describe('stream tickets', () => {
  const claim = { kind: 'api_key', id: 'abc', role: 'viewer', project: 'team-a', actor: 'lsk_abc' };

  it('redeem once, within their lifetime, and only unaltered', () => {
    let now = 1_000_000;
    const tickets = new Tickets('', 60, () => now);
    const { ticket } = tickets.issue(claim);
    expect(tickets.redeem(ticket)).toEqual(claim);
    expect(tickets.redeem(ticket)).toBeNull();

    const late = tickets.issue(claim).ticket;
    now += 60_001;
    expect(tickets.redeem(late)).toBeNull();

    const fresh = tickets.issue(claim).ticket;
    const [payload, mac] = fresh.slice(4).split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin' })).toString('base64url');
    expect(tickets.redeem(`lst_${forged}.${mac}`)).toBeNull();
    expect(tickets.redeem(fresh)).toEqual(claim);
  });

  it('from another secret are worthless', () => {
    const a = new Tickets('a'.repeat(32), 60);
    const b = new Tickets('b'.repeat(32), 60);
    expect(b.redeem(a.issue(claim).ticket)).toBeNull();
    expect(new Tickets('a'.repeat(32), 60).redeem(a.issue(claim).ticket)).toEqual(claim);
  });
});
