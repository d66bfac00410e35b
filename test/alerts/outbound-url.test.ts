/**
 * The outbound URL policy below the routes: which addresses count as
 * public, and a host name whose addresses are not public refused at connect
 * time (the check holds for the address connected to, not only the URL).
 */
import http from 'node:http';
import { lookup } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../src/alerts/outbound-url.js';
import { DeliveryError, postJson } from '../../src/alerts/http-post.js';

describe('isPublicAddress', () => {
  it('tells public addresses from loopback, private, link-local and reserved ones', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '52.1.2.3', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPublicAddress(a), a).toBe(true);
    for (const a of ['127.0.0.1', '127.9.9.9', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
      '0.0.0.0', '224.0.0.1', '255.255.255.255', '198.18.0.1', '::1', '::', 'fc00::1', 'fd12::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1',
      '::ffff:10.1.1.1', '2001:db8::1', 'not-an-ip']) expect(isPublicAddress(a), a).toBe(false);
  });
});

describe('a host name resolving to a non-public address', () => {
  let server: http.Server;
  let port = 0;
  let got = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => { got++; res.end('ok'); });
    await new Promise<void>((r) => server.listen(0, r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('is refused at connect time unless allowed', async () => {
    const host = hostname();
    const addresses = await lookup(host, { all: true });
    // This machine's own name resolves to itself: a loopback or private address.
    expect(addresses.some((a) => !isPublicAddress(a.address))).toBe(true);
    const policy = { allowHttp: true, allowPrivate: false, allowHosts: [] as string[] };
    const refused = await postJson(`http://${host}:${port}/hook`, '{}', {}, policy, 2000).catch((e) => e);
    expect(refused).toBeInstanceOf(DeliveryError);
    expect(refused.retryable).toBe(false);
    expect(refused.message).toContain('not a public address');
    expect(refused.message).not.toContain('/hook');
    expect(got).toBe(0);
    const allowed = await postJson(`http://${host}:${port}/hook`, '{}', {}, { ...policy, allowHosts: [host] }, 2000);
    expect(allowed.status).toBe(200);
    expect(got).toBe(1);
  });
});
