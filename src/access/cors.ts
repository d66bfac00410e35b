import type { Context } from 'koa';

export interface CorsOptions {
  allowedOrigins: readonly string[];
  allowedHeaders: readonly string[];
  allowCredentials: boolean;
  maxAgeSeconds: number;
}

/** Headers a browser SDK or the dashboard sends; the rest must be listed in cors.allowedHeaders. */
const BASE_HEADERS = ['accept', 'content-type', 'content-encoding', 'x-requested-with', 'authorization', 'x-api-key', 'x-lookspan-project', 'last-event-id'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** Response headers a cross-origin script may read: backoff hints, rate limits, export provenance. */
const EXPOSED = ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy', 'Content-Disposition',
  'X-Lookspan-Export-Sha256', 'X-Lookspan-Export-Count', 'X-Lookspan-Export-Truncated'];

/** `https://*.example.com` → a RegExp matching one or more labels in place of `*`. */
function originPattern(origin: string): RegExp {
  const escaped = origin.toLowerCase().split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${escaped.join('[a-z0-9.-]+')}$`);
}

/**
 * CORS for OTLP/HTTP and the REST API, off until origins are configured.
 * Preflights are answered as the OTel Collector's HTTP receivers do (rs/cors
 * behind confighttp): 204 always, with the Access-Control headers only when
 * the origin, the method and every requested header are allowed. Unlike the
 * collector, credentials are never allowed with `*`: a wildcard origin gets
 * `Access-Control-Allow-Origin: *` and no credentials.
 */
export class Cors {
  private readonly any: boolean;
  private readonly patterns: RegExp[];
  private readonly headers: Set<string>;

  constructor(private readonly opts: CorsOptions) {
    this.any = opts.allowedOrigins.includes('*');
    this.patterns = opts.allowedOrigins.filter((o) => o !== '*').map(originPattern);
    this.headers = new Set([...BASE_HEADERS, ...opts.allowedHeaders.map((h) => h.toLowerCase())]);
  }

  get enabled(): boolean {
    return this.opts.allowedOrigins.length > 0;
  }

  private allows(origin: string): boolean {
    return this.any || this.patterns.some((p) => p.test(origin.toLowerCase()));
  }

  private applies(path: string): boolean {
    return path.startsWith('/api/') || path.startsWith('/v1/');
  }

  private allowOrigin(ctx: Context, origin: string): void {
    const explicit = this.patterns.some((p) => p.test(origin.toLowerCase()));
    if (this.any && !explicit) {
      ctx.set('Access-Control-Allow-Origin', '*');
    } else {
      ctx.set('Access-Control-Allow-Origin', origin);
      if (this.opts.allowCredentials) ctx.set('Access-Control-Allow-Credentials', 'true');
    }
  }

  /** Answers a preflight (true: the request is done) or adds the headers of an allowed cross-origin request. */
  handle(ctx: Context): boolean {
    if (!this.enabled || !this.applies(ctx.path)) return false;
    const origin = ctx.get('Origin');
    const requestedMethod = ctx.get('Access-Control-Request-Method');
    if (ctx.method === 'OPTIONS' && requestedMethod !== '') {
      ctx.vary('Origin');
      ctx.vary('Access-Control-Request-Method');
      ctx.vary('Access-Control-Request-Headers');
      ctx.status = 204;
      const method = requestedMethod.toUpperCase();
      const requested = ctx.get('Access-Control-Request-Headers').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
      if (origin === '' || !this.allows(origin) || !METHODS.includes(method) || !requested.every((h) => this.headers.has(h))) return true;
      this.allowOrigin(ctx, origin);
      ctx.set('Access-Control-Allow-Methods', method);
      if (requested.length > 0) ctx.set('Access-Control-Allow-Headers', requested.join(', '));
      if (this.opts.maxAgeSeconds > 0) ctx.set('Access-Control-Max-Age', String(this.opts.maxAgeSeconds));
      return true;
    }
    if (origin === '') return false;
    ctx.vary('Origin');
    if (this.allows(origin)) {
      this.allowOrigin(ctx, origin);
      ctx.set('Access-Control-Expose-Headers', EXPOSED.join(', '));
    }
    return false;
  }
}
