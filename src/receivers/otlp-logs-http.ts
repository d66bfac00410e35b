import type Router from '@koa/router';
import type { LogSink } from './otlp-logs/sink.js';
import type { BodyLimits } from './body.js';
import { encodeLogsExportResponse } from './otlp/proto-root.js';
import { otlpHttpExport } from './otlp-http.js';

export interface OtlpLogsHttpDeps {
  pipeline: LogSink;
  limits: BodyLimits;
}

/** The OTLP/HTTP logs path (the OTLP exporters' default `/v1/logs`). */
export const OTLP_LOGS_HTTP_PATH = '/v1/logs';

/**
 * Mounts POST /v1/logs, with the trace receiver's discipline (otlpHttpExport):
 * partial_success names the refused records.
 */
export function mountOtlpLogsHttp(router: Router, deps: OtlpLogsHttpDeps): void {
  const admit = deps.pipeline.admit?.bind(deps.pipeline);
  router.post(OTLP_LOGS_HTTP_PATH, (ctx) => otlpHttpExport(ctx, deps.limits, {
    admit: admit && ((receiver) => admit(receiver, 'otlp_http')),
    submit: (body, encoding, receiver, target) => deps.pipeline.submitOtlpLogs(body, encoding, receiver, target),
    encodeResponse: encodeLogsExportResponse,
    rejectedField: 'rejectedLogRecords',
  }));
}
