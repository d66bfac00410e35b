import { BlockList, isIP } from 'node:net';

/** `::ffff:10.1.2.3` (an IPv4 peer on a dual-stack socket) → `10.1.2.3`. */
export function plainAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

/**
 * The configured proxy CIDRs (auth.trustedProxyCidrs). Only a peer inside
 * them may speak for someone else: X-User-Id / X-User-Role (a dashboard
 * proxy that authenticated the user) and X-Forwarded-For (the client's
 * address, for rate limits and the audit log). From anyone else those
 * headers are ignored.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  /** Answers per address: BlockList.check costs ~10 µs (measured), and the peers of one server are few. */
  private readonly known = new Map<string, boolean>();

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [net, prefix] = cidr.split('/');
      const family = isIP(net) === 6 ? 'ipv6' : 'ipv4';
      this.list.addSubnet(net, Number(prefix), family);
    }
  }

  trusts(address: string | undefined): boolean {
    if (!address) return false;
    let answer = this.known.get(address);
    if (answer === undefined) {
      const a = plainAddress(address);
      const family = isIP(a);
      answer = family !== 0 && this.list.check(a, family === 6 ? 'ipv6' : 'ipv4');
      // Bounded: past 4096 addresses (a scan, forged X-Forwarded-For hops) start over.
      if (this.known.size >= 4096) this.known.clear();
      this.known.set(address, answer);
    }
    return answer;
  }

  /**
   * The client's address: the peer's, or, when the peer is a trusted proxy,
   * the right-most X-Forwarded-For entry that is not itself a trusted proxy
   * (entries further left were written by the client and prove nothing).
   */
  clientAddress(peer: string | undefined, forwardedFor: string | undefined): string {
    const p = plainAddress(peer ?? 'unknown');
    if (!forwardedFor || !this.trusts(p)) return p;
    const hops = forwardedFor.split(',').map((h) => plainAddress(h.trim())).filter((h) => isIP(h) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!this.trusts(hops[i])) return hops[i];
    }
    return hops[0] ?? p;
  }
}
