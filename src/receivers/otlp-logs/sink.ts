import type { OtlpEncoding } from '../sink.js';
import type { AdmissionTicket, ReceiverGroup } from '../../pipeline/admission.js';

/** What one logs request came to. */
export interface LogIngestResult {
  /** Records stored (durable once the call resolves). */
  stored: number;
  /** Records acknowledged but not stored (no GenAI or MCP event). */
  ignored: number;
  /** Records refused individually (OTLP partial_success.rejected_log_records). */
  rejected: number;
  /** Why records were rejected (partial_success.error_message). */
  message: string;
}

/**
 * What the logs receivers hand requests to (the log pipeline, wired in the
 * composition root). A call resolves once the stored records are durable,
 * or rejects with a classified error the receiver maps to its protocol.
 */
export interface LogSink {
  /** Admits a request before its body is read, or throws the refusal; absent: requests are only checked once read. */
  admit?(receiver: string, group: ReceiverGroup): AdmissionTicket;
  /** `target`: the project access control decided for the request (absent: the default project). */
  submitOtlpLogs(body: Buffer, encoding: OtlpEncoding, receiver: string, target?: { project: string }): Promise<LogIngestResult>;
}
