import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { invalid } from '../errors.js';

/** Which URLs alerting may call (`alerts.outbound`). */
export interface OutboundPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
  /** Host names or IP addresses allowed whatever their address, compared case-insensitively. */
  allowHosts: readonly string[];
}

/**
 * Addresses that are not the public internet: loopback, private, shared
 * (CGNAT), link-local (cloud metadata at 169.254.169.254), documentation,
 * benchmarking, multicast, reserved, unspecified, IPv6 unique-local and
 * site-local. Alerting must not become a way to reach them.
 */
const NON_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NON_PUBLIC.addSubnet(net, bits, 'ipv6');

/** True for an address on the public internet (IPv4-mapped IPv6 addresses are judged as their IPv4 address). */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPublicAddress(mapped[1]);
  const family = isIP(address);
  if (family === 0) return false;
  return !NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const bare = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase();

function hostAllowed(host: string, p: OutboundPolicy): boolean {
  const h = bare(host);
  return p.allowHosts.some((a) => bare(a) === h);
}

/**
 * Checks a target URL against the policy before it is saved or called: an
 * absolute http(s) URL without credentials, https unless `allowHttp` (or
 * the host is allowed), and an IP literal must be public unless allowed.
 * Host names are checked again at every connection, on every address they
 * resolve to (`guardedLookup`), so a name that later resolves inward is
 * refused too. The message never repeats the URL (its path is a secret).
 */
export function checkOutboundUrl(raw: string, p: OutboundPolicy, field: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(`${field} is not an absolute URL`, [{ path: field, message: 'must be an absolute http(s) URL' }]);
  }
  const refuse = (why: string) => invalid(`${field} is not allowed: ${why}`, [{ path: field, message: why }]);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('only https (and http where alerts.outbound.allowHttp is set) URLs are called');
  if (url.username || url.password) throw refuse('credentials in the URL are not accepted');
  const allowed = hostAllowed(url.hostname, p);
  if (url.protocol === 'http:' && !p.allowHttp && !allowed) throw refuse('plain http is refused (alerts.outbound.allowHttp)');
  const literal = bare(url.hostname);
  if (isIP(literal) !== 0 && !allowed && !p.allowPrivate && !isPublicAddress(literal)) {
    throw refuse(`${url.hostname} is not a public address (alerts.outbound.allowPrivate or allowHosts)`);
  }
  if (literal === 'localhost' && !allowed && !p.allowPrivate) throw refuse('localhost is not a public address');
  return url;
}

/**
 * A `lookup` for http.request that refuses a host name when any address it
 * resolves to is not public (unless the policy allows it), so the check
 * holds for the address actually connected to (no DNS rebinding).
 */
export function guardedLookup(p: OutboundPolicy): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      const allowed = p.allowPrivate || hostAllowed(hostname, p);
      const bad = allowed ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (bad) {
        const e = Object.assign(new Error(`${hostname} resolves to ${bad.address}, which is not a public address`), { code: 'EOUTBOUNDBLOCKED' });
        return callback(e);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  }) as unknown as LookupFunction;
}
