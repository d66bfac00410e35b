import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AccessTables, isoFromMicros, nowMicros } from './tables.js';

/** An audit event as GET /api/audit/logs shows it (the reference's object, plus project and client address). */
export interface AuditEvent {
  event_id: string;
  timestamp: string;
  actor: string;
  action: string;
  resource: string | null;
  result: 'success' | 'failure' | 'denied';
  project_id: string | null;
  client_address: string | null;
}

export type AuditInput = Omit<AuditEvent, 'event_id' | 'timestamp'>;

/** `alice@example.com` → `a***@example.com`, anywhere in a string (actors, resources). */
export function maskEmails(text: string): string {
  return text.replace(/([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g, '$1***@$2');
}

/** Events waiting for the table at most; past it the oldest are dropped (counted) rather than holding memory. */
const MAX_PENDING = 10_000;

/**
 * The audit log, kept in DuckDB (`audit_logs`). `record` only queues the
 * event (masked) and returns: the write happens after the request, in
 * batches, so it never blocks the request path. Reads wait for what is
 * queued, so a change is listed as soon as its request has returned.
 */
export class AuditLog {
  private pending: AuditEvent[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Immediate | null = null;
  dropped = 0;
  failed = 0;

  constructor(private readonly tables: AccessTables, private readonly log: Logger) {}

  record(e: AuditInput): void {
    if (this.pending.length >= MAX_PENDING) {
      this.pending.shift();
      this.dropped++;
    }
    this.pending.push({
      ...e,
      actor: maskEmails(e.actor),
      resource: e.resource === null ? null : maskEmails(e.resource),
      event_id: `evt_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      timestamp: new Date().toISOString(),
    });
    this.timer ??= setImmediate(() => {
      this.timer = null;
      void this.flush();
    });
  }

  /** Writes what is queued; resolves when it is stored (a failed write is logged and counted, never thrown at a request). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.pending.length > 0 ? this.flush() : undefined));
    if (this.pending.length === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.tables.serial(async () => {
      const values = batch.map((_, i) => `($${i * 8 + 1}, make_timestamp($${i * 8 + 2}::BIGINT), $${i * 8 + 3}, $${i * 8 + 4}, $${i * 8 + 5}, $${i * 8 + 6}, $${i * 8 + 7}, $${i * 8 + 8})`);
      const params = batch.flatMap((e) => [e.event_id, nowMicros(Date.parse(e.timestamp)), e.actor, e.action, e.resource, e.result, e.project_id, e.client_address]);
      await this.tables.run(`INSERT INTO audit_logs VALUES ${values.join(', ')}`, params);
    }).catch((err) => {
      this.failed += batch.length;
      this.log.error({ err, events: batch.length }, 'audit log write failed');
    }).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Newest first; only `project`'s events when given. */
  async list(q: { limit: number; offset: number; project?: string }): Promise<{ events: AuditEvent[]; total: number }> {
    await this.flush();
    const where = q.project === undefined ? '' : 'WHERE project_id = $3';
    const params = q.project === undefined ? [q.limit, q.offset] : [q.limit, q.offset, q.project];
    const rows = await this.tables.rows(
      `SELECT event_id, epoch_us(ts) AS ts_us, actor, action, resource, result, project_id, client_address
       FROM audit_logs ${where} ORDER BY ts DESC, event_id DESC LIMIT $1 OFFSET $2`, params);
    const [count] = await this.tables.rows(`SELECT count(*) AS n FROM audit_logs ${q.project === undefined ? '' : 'WHERE project_id = $1'}`,
      q.project === undefined ? [] : [q.project]);
    return {
      total: Number(count.n),
      events: rows.map((r) => ({
        event_id: r.event_id as string, timestamp: isoFromMicros(r.ts_us)!, actor: r.actor as string, action: r.action as string,
        resource: (r.resource as string | null) ?? null, result: r.result as AuditEvent['result'],
        project_id: (r.project_id as string | null) ?? null, client_address: (r.client_address as string | null) ?? null,
      })),
    };
  }

  /** Flushes what is queued (at shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearImmediate(this.timer);
    this.timer = null;
    await this.flush();
  }
}
