export { LookspanMetrics, defineIngestMetrics, GRPC_EXPORT_METHOD, RECEIVERS, REJECT_REASONS, SPAN_TYPES } from './registry.js';
export type { GenAiMetricSet, HttpMetricSet, IngestMetrics, RuntimeSources } from './registry.js';
export { GenAiObserver, isMcpToolCall, MAX_LABEL_VALUES } from './genai.js';
export { BoundedLabel, SeriesBudget, OTHER, UNKNOWN } from './bounded.js';
export { StoredSpanCount } from './store-count.js';
