import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { context, trace } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { decodeLogsJson, decodeLogsProtobuf } from '../../src/receivers/otlp-logs/decode.js';
import { ExportLogsServiceRequest } from '../../src/receivers/otlp/proto-root.js';

const limits = { maxAttributeDepth: 16 };
const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

/** Log records from the official SDK, as an application's LoggerProvider produces them. */
async function sdkLogs() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'wire', 'host.cores': 2 }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('wire-scope', '1.2.3');
  const ctx = trace.setSpanContext(context.active(), { traceId: TRACE, spanId: SPAN, traceFlags: 1 });
  logger.emit({
    timestamp: 1_700_000_000_123, context: ctx, severityNumber: SeverityNumber.INFO, eventName: 'gen_ai.client.inference.operation.details',
    attributes: { 'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'hi ✓ ünïcödé' }] }] as never, 'a.int': 42, 'a.big': 2 ** 40 },
  });
  logger.emit({ timestamp: 1_700_000_000_124, context: ctx, severityNumber: SeverityNumber.INFO, attributes: { 'event.name': 'gen_ai.choice' }, body: { index: 0, message: { content: 'yo' } } });
  logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'plain line' });
  // The simple processor hands records to the exporter in a microtask.
  await provider.forceFlush();
  return exporter.getFinishedLogRecords();
}

describe('OTLP/protobuf logs wire decoder', () => {
  it('decodes exactly what the JSON path decodes for the same records (official serializers)', async () => {
    const logs = await sdkLogs();
    const fromProto = decodeLogsProtobuf(Buffer.from(ProtobufLogsSerializer.serializeRequest(logs)!), limits);
    const fromJson = decodeLogsJson(Buffer.from(JsonLogsSerializer.serializeRequest(logs)!), limits);
    expect(fromProto.rejected).toBe(0);
    expect(fromProto.records).toHaveLength(3);
    expect(fromProto).toEqual(fromJson);
    const [details, choice, plain] = fromProto.records;
    expect(details).toMatchObject({
      traceId: TRACE, spanId: SPAN, timeUs: 1_700_000_000_123_000, severityNumber: 9, eventName: 'gen_ai.client.inference.operation.details', position: 0,
      scope: { name: 'wire-scope', version: '1.2.3', attributes: {} }, resource: { 'service.name': 'wire', 'host.cores': 2 },
    });
    expect(details.attributes).toEqual({
      'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'hi ✓ ünïcödé' }] }], 'a.int': 42, 'a.big': 2 ** 40,
    });
    expect(choice).toMatchObject({ eventName: '', attributes: { 'event.name': 'gen_ai.choice' }, body: { index: 0, message: { content: 'yo' } }, position: 1 });
    // A record emitted outside any span carries no trace context; the SDK sets both times.
    expect(plain).toMatchObject({ traceId: null, spanId: null, severityNumber: 17, severityText: 'ERROR', body: 'plain line' });
    expect(plain.observedUs).toBeGreaterThan(0);
  });

  it('decodes the opentelemetry-proto example logs.json (uppercase hex ids, int64 as strings)', () => {
    const d = decodeLogsJson(readFileSync(new URL('../fixtures/otlp/spec-logs-example.json', import.meta.url)), limits);
    expect(d.rejected).toBe(0);
    expect(d.records).toHaveLength(1);
    expect(d.records[0]).toMatchObject({
      traceId: TRACE, spanId: SPAN, timeUs: 1544712660300000, observedUs: 1544712660300000, severityNumber: 10, severityText: 'Information',
      body: 'Example log record', scope: { name: 'my.library', version: '1.0.0', attributes: { 'my.scope.attribute': 'some scope attribute' } },
      attributes: { 'string.attribute': 'some string', 'boolean.attribute': true, 'int.attribute': 10, 'double.attribute': 637.704, 'array.attribute': ['many', 'values'], 'map.attribute': { 'some.map.key': 'some value' } },
    });
  });

  it('refuses a record on its own, naming it and the field; the rest of the request is kept', () => {
    const body = ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject({
      resourceLogs: [{ scopeLogs: [{ logRecords: [
        { traceId: Buffer.alloc(3, 1), body: { stringValue: 'short id' } },
        { eventName: 'gen_ai.user.message', body: { kvlistValue: { values: [{ key: 'content', value: { stringValue: 'ok' } }] } } },
        { spanId: Buffer.alloc(8, 2), body: nested(20) },
      ] }] }],
    })).finish();
    const d = decodeLogsProtobuf(Buffer.from(body), limits);
    expect(d.records).toHaveLength(1);
    expect(d.records[0]).toMatchObject({ eventName: 'gen_ai.user.message', body: { content: 'ok' }, position: 1 });
    expect(d.rejected).toBe(2);
    expect(d.rejectMessages).toEqual([
      'resourceLogs[0].scopeLogs[0].logRecords[0]: trace_id must be 16 bytes, got 3',
      'resourceLogs[0].scopeLogs[0].logRecords[2]: attribute "body" is nested deeper than 16 levels',
    ]);
  });

  it('a malformed message is a 400 for the whole request', () => {
    expect(() => decodeLogsProtobuf(Buffer.from([0x0a, 0x05, 0x12]), limits)).toThrow(/malformed OTLP protobuf: length past the end/);
    expect(() => decodeLogsJson(Buffer.from('{"resourceLogs":{}}'), limits)).toThrow('resourceLogs must be an array');
    expect(() => decodeLogsJson(Buffer.from('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]}'), limits).rejectMessages)
      .not.toThrow();
    expect(decodeLogsJson(Buffer.from('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]}'), limits).rejectMessages[0])
      .toBe('resourceLogs[0].scopeLogs[0].logRecords[0]: timestamp must be an unsigned integer (number or decimal string), got "soon"');
  });
});

/** An AnyValue kvlist nested `depth` levels deep. */
function nested(depth: number): object {
  let v: object = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) v = { kvlistValue: { values: [{ key: 'k', value: v }] } };
  return v;
}
