import { describe, expect, it } from 'vitest';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { decodeJson, decodeProtobuf } from '../../src/receivers/otlp/decode.js';
import { ExportTraceServiceRequest } from '../../src/receivers/otlp/proto-root.js';
import { buildSpans } from '../../bench/spans.js';

const limits = { maxAttributeDepth: 16 };

function sdkSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'wire', 'host.cores': 2, 'deploy.tags': ['a', 'b'] }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('wire-scope', '1.2.3');
  const root = tracer.startSpan('root', { kind: SpanKind.SERVER, attributes: { 'a.str': 'x', 'a.int': 42, 'a.neg': -7, 'a.big': 2 ** 40, 'a.dbl': 1.5, 'a.bool': true, 'a.arr': [1, 2, 3], 'a.strs': ['p', 'q'] } });
  const child = tracer.startSpan('child', { kind: SpanKind.CLIENT, links: [{ context: root.spanContext(), attributes: { 'l.k': 'v' } }] }, trace.setSpan(context.active(), root));
  child.addEvent('gen_ai.user.message', { content: 'hi ✓ ünïcödé' });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  child.end();
  root.end();
  return [...exporter.getFinishedSpans(), ...buildSpans(3, 7)];
}

describe('OTLP/protobuf wire decoder', () => {
  it('decodes exactly what the JSON path decodes for the same spans (official serializers)', () => {
    const spans = sdkSpans();
    const fromProto = decodeProtobuf(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), limits);
    const fromJson = decodeJson(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!), limits);
    expect(fromProto.rejected).toBe(0);
    expect(fromProto.spans).toHaveLength(spans.length);
    expect(fromProto).toEqual(fromJson);
    const root = fromProto.spans.find((s) => s.name === 'root')!;
    expect(root.attributes).toMatchObject({ 'a.int': 42, 'a.neg': -7, 'a.big': 2 ** 40, 'a.dbl': 1.5, 'a.bool': true, 'a.arr': [1, 2, 3] });
    expect(root.scope).toEqual({ name: 'wire-scope', version: '1.2.3', attributes: {} });
  });

  it('keeps int64 values beyond 2^53 exact as strings and nanosecond times exact as microseconds', () => {
    const body = ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({
      resourceSpans: [{ scopeSpans: [{ spans: [{
        traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), name: 's',
        startTimeUnixNano: '1544712660999999999', endTimeUnixNano: '18446744073709551615',
        attributes: [{ key: 'big', value: { intValue: '9007199254740993' } }, { key: 'min', value: { intValue: '-9223372036854775808' } }],
      }] }] }],
    })).finish();
    const d = decodeProtobuf(Buffer.from(body), limits);
    expect(d.spans[0].startUs).toBe(1544712660999999);
    expect(d.spans[0].endUs).toBe(18446744073709551);
    expect(d.spans[0].attributes).toEqual({ big: '9007199254740993', min: '-9223372036854775808' });
  });

  it('decodes fields in any wire order (scope and resource after their spans, value before key)', () => {
    // Hand-assembled: ResourceSpans { scope_spans { spans{...}, scope{name} }, resource{attributes} }.
    const len = (b: Buffer) => Buffer.from([b.length]);
    const field = (n: number, b: Buffer) => Buffer.concat([Buffer.from([(n << 3) | 2]), len(b), b]);
    const str = (s: string) => Buffer.from(s);
    const kvValueFirst = Buffer.concat([field(2, field(1, str('v'))), field(1, str('k'))]);
    const spanMsg = Buffer.concat([field(1, Buffer.alloc(16, 3)), field(2, Buffer.alloc(8, 4)), field(5, str('n')), field(9, kvValueFirst)]);
    const scopeSpans = Buffer.concat([field(2, spanMsg), field(1, field(1, str('late-scope')))]);
    const resource = field(1, field(1, Buffer.concat([field(1, str('service.name')), field(2, field(1, str('svc')))])));
    const body = field(1, Buffer.concat([field(2, scopeSpans), resource]));
    const d = decodeProtobuf(body, limits);
    expect(d.spans[0].scope.name).toBe('late-scope');
    expect(d.spans[0].resource).toEqual({ 'service.name': 'svc' });
    expect(d.spans[0].attributes).toEqual({ k: 'v' });
  });

  it('rejects malformed input as a whole with a precise message', () => {
    expect(() => decodeProtobuf(Buffer.from([0x0a, 0x05, 0x01]), limits)).toThrow(/length past the end/);
    expect(() => decodeProtobuf(Buffer.alloc(64), limits)).toThrow(/field number 0/);
    expect(() => decodeProtobuf(Buffer.from([0x0b]), limits)).toThrow(/wire type/);
  });
});

describe('attribute keys that are Object.prototype names', () => {
  it('stores a "__proto__" attribute as an attribute in both encodings, without changing the prototype', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const span = provider.getTracer('t').startSpan('s');
    span.setAttributes({ __proto__: 'shadow', constructor: 'c', toString: 't' } as Record<string, string>);
    span.end();
    const spans = exporter.getFinishedSpans();
    // The SDK's object literal above drops the key; set it the way a wire payload carries it.
    Object.defineProperty(spans[0].attributes, '__proto__', { value: 'shadow', enumerable: true });
    for (const decoded of [
      decodeProtobuf(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), limits),
      decodeJson(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!), limits),
    ]) {
      const attrs = decoded.spans[0].attributes;
      expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(attrs, '__proto__')).toBe(true);
      expect(JSON.parse(JSON.stringify(attrs))).toEqual(JSON.parse('{"__proto__":"shadow","constructor":"c","toString":"t"}'));
    }
  });
});
