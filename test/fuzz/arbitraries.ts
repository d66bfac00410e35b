/**
 * fast-check generators for the ingest fuzz suite. They produce *models* of
 * requests (OTLP protobuf / JSON, native IngestPayload, native ToolCallSpan
 * lists, query strings), not bytes: `encode.ts` turns a model into a body at
 * run time, with ids made unique per case, so shrinking works on the model
 * and a counterexample prints as a compact description.
 *
 * Values are biased towards boundaries: int64 edges (±2^63, 2^64-1, 2^53±1,
 * "99999999999999999999"), NaN/±Infinity (JSON text `1e999`), timestamps 0 /
 * huge / end before start, huge strings, many attributes, deep nesting,
 * invalid UTF-8 bytes, lone surrogates, duplicate ids, odd and missing fields.
 */
import fc from 'fast-check';

// ------------------------------------------------------------------ strings

/** Text as a model: a JS string (any code units, lone surrogates included), a huge repeat, or raw bytes (invalid UTF-8). */
export type Str =
  | { k: 's'; v: string }
  | { k: 'big'; ch: string; n: number }
  | { k: 'raw'; pre: string; bytes: number[]; post: string };

/** Short strings that tend to break things. */
export const NASTY_STRINGS = [
  '', ' ', '\ud800', 'a\udc00b', '\udfff\ud800', 'x\ud83d', '\u0000', 'nul\u0000in', '\u2028\u2029', '\ufeffbom', '😀', 'e\u0301',
  '%', '%00', '%2F', '../', '..', '.', '/', '?q=1', '#frag', '\\', '"', "'", '<script>', '__proto__', 'constructor', 'toString', '\ufeff',
  '\r\n', '\t', 'ｆｕｌｌ', 'ß', 'İ', 'NaN', 'null', 'true', '[1,2]', '{"a":1}', '1e999', '-0', 'spans',
];

/** Byte sequences that are not UTF-8 (all >= 0x80, so they can sit inside a JSON string without ending it). */
export const BAD_UTF8: number[][] = [
  [0xff], [0xfe, 0xff], [0x80], [0xbf], [0xc3, 0x28], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf0, 0x9f, 0x98],
];

const shortString = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
);

/** Strings of a few MB, sized so that the encoded body stays well under the 16 MiB body limit. */
const bigString: fc.Arbitrary<Str> = fc
  .record({ ch: fc.constantFrom('x', 'é', '😀', '\ud800', '"', '\\', '\u0000'), mb: fc.integer({ min: 0, max: 2500 }) })
  .map(({ ch, mb }) => {
    // Bytes per repeat in the worst encoding (JSON escapes "\u0000" and "\ud800" as 6 bytes).
    const per = ch === 'x' ? 1 : ch === 'é' ? 2 : ch === '😀' ? 4 : ch === '"' || ch === '\\' ? 2 : 6;
    return { k: 'big', ch, n: Math.max(1, Math.floor(((mb + 64) * 1024) / per)) };
  });

/** Strings of about 16 KiB (the default attribute value limit), multi-byte characters straddling the cut. */
const midString: fc.Arbitrary<Str> = fc
  .record({ ch: fc.constantFrom('x', 'é', '€', '😀'), delta: fc.integer({ min: -2, max: 2 }) })
  .map(({ ch, delta }) => ({ k: 'big', ch, n: Math.floor(16384 / Buffer.byteLength(ch)) + delta }));

const rawString: fc.Arbitrary<Str> = fc.record({
  pre: fc.constantFrom('', 'a', 'bad '),
  bytes: fc.oneof(fc.constantFrom(...BAD_UTF8), fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 4 })),
  post: fc.constantFrom('', 'z', ' tail'),
}).map((r) => ({ k: 'raw', ...r }));

/** Any text; `big` weights the multi-megabyte ones against 400 for ordinary text (they cost ~100 ms a case). */
export function str(opts: { big?: number; raw?: number; mid?: number } = {}): fc.Arbitrary<Str> {
  return fc.oneof(
    { weight: 400, arbitrary: shortString.map((v): Str => ({ k: 's', v })) },
    { weight: (opts.raw ?? 3) * 10, arbitrary: rawString },
    { weight: opts.mid ?? 4, arbitrary: midString },
    { weight: opts.big ?? 0, arbitrary: bigString },
  );
}

// --------------------------------------------------------- number tokens

/** A JSON value token: `text` is written as is (a JSON number) or, when `quoted`, as a JSON string. */
export interface Tok {
  text: string;
  quoted: boolean;
}
const tok = (text: string, quoted = false): Tok => ({ text, quoted });

const INT64_EDGES = [
  '0', '1', '-1', '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740991', '-9007199254740993',
  '9223372036854775807', '-9223372036854775808', '9223372036854775808', '-9223372036854775809', '18446744073709551615',
  '18446744073709551616', '99999999999999999999', '-99999999999999999999', '4294967296', '2147483648',
];
/** Valid JSON number texts that are not int64 (a JSON decoder must reject or clamp them, never crash). */
const NON_INT_NUMBERS = ['1e20', '1.5', '-0', '1e999', '-1e999', '1e308', '5e-324', '0.1', '1E3', '12345678901234567890123'];
const QUOTED_JUNK = ['', ' 5', '+5', '0x10', 'abc', '1.5', '1e20', 'NaN', 'Infinity', '-', '٣'];

/** OTLP/JSON intValue tokens. */
export const intTok: fc.Arbitrary<Tok> = fc.oneof(
  { weight: 24, arbitrary: fc.constantFrom(...INT64_EDGES).chain((t) => fc.boolean().map((q) => tok(t, q))) },
  { weight: 12, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).chain((b) => fc.boolean().map((q) => tok(String(b), q))) },
  { weight: 3, arbitrary: fc.constantFrom(...NON_INT_NUMBERS).map((t) => tok(t)) },
  { weight: 1, arbitrary: fc.constantFrom(...QUOTED_JUNK).map((t) => tok(t, true)) },
);

/** doubleValue tokens; proto3 JSON spells NaN/Infinity as strings, `1e999` is the JSON text for Infinity. */
export const dblTok: fc.Arbitrary<Tok> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('0', '-0', '1.5', '5e-324', '1.7976931348623157e308', '1e999', '-1e999', '1e20', '-1', '99999999999999999999').map((t) => tok(t)) },
  { weight: 3, arbitrary: fc.constantFrom('NaN', 'Infinity', '-Infinity', '1.5', 'abc', '', '1e999').map((t) => tok(t, true)) },
  { weight: 3, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => tok(Object.is(d, -0) ? '-0' : String(d))) },
);

const NANOS_NOW = 1_750_000_000_000_000_000n;
/** Start/end time tokens (unsigned nanoseconds): 0, tiny, now, 2^53+1, 2^63-1, 2^64-1, beyond, negative, junk. */
export const tsTok: fc.Arbitrary<Tok | null> = fc.oneof(
  { weight: 24, arbitrary: fc.bigInt({ min: NANOS_NOW - 10n ** 15n, max: NANOS_NOW + 10n ** 15n }).chain((b) => fc.boolean().map((q) => tok(String(b), q))) },
  { weight: 12, arbitrary: fc.constantFrom('0', '1', '999', '1000', '9007199254740993', '9223372036854775807', '9223372036854775808', '18446744073709551615', '253402300799999999999', '99999999999999999999').chain((t) => fc.boolean().map((q) => tok(t, q))) },
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((b) => tok(String(b), true)) },
  { weight: 2, arbitrary: fc.constantFrom('1.5', '1.7e18', '-0', '1e300').map((t) => tok(t)) },
  { weight: 1, arbitrary: fc.constantFrom('-1', '1e999', '-1e999').map((t) => tok(t)) },
  { weight: 1, arbitrary: fc.constantFrom('', '-1', 'abc', '1e18', ' 1').map((t) => tok(t, true)) },
  { weight: 3, arbitrary: fc.constant(null) },
);

const kindTok: fc.Arbitrary<Tok | null> = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom('0', '1', '2', '3', '4', '5').map((t) => tok(t)) },
  { weight: 3, arbitrary: fc.constantFrom('6', '99', '-1', '2147483648', '1.5', '1e999', '-0').map((t) => tok(t)) },
  { weight: 3, arbitrary: fc.constantFrom('SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_INTERNAL').map((t) => tok(t, true)) },
  { weight: 1, arbitrary: fc.constantFrom('SPAN_KIND_BOGUS', '1', '', 'constructor', '__proto__').map((t) => tok(t, true)) },
  { weight: 6, arbitrary: fc.constant(null) },
);
const statusCodeTok: fc.Arbitrary<Tok | null> = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom('0', '1', '2').map((t) => tok(t)) },
  { weight: 3, arbitrary: fc.constantFrom('3', '-1', '99', '1.5', '4294967296').map((t) => tok(t)) },
  { weight: 3, arbitrary: fc.constantFrom('STATUS_CODE_ERROR', 'STATUS_CODE_OK').map((t) => tok(t, true)) },
  { weight: 1, arbitrary: fc.constantFrom('STATUS_CODE_BOGUS', 'hasOwnProperty').map((t) => tok(t, true)) },
  { weight: 6, arbitrary: fc.constant(null) },
);

// ------------------------------------------------------- OTLP attributes

/** AnyValue as a model. `odd` is OTLP/JSON only (an ill-typed value object); protobuf writes an empty AnyValue for it. */
export type AV =
  | { k: 'str'; s: Str }
  | { k: 'bool'; v: boolean }
  | { k: 'int'; t: Tok }
  | { k: 'dbl'; t: Tok }
  | { k: 'bytes'; b: number[] }
  | { k: 'arr'; items: AV[] }
  | { k: 'kvl'; items: KV[] }
  | { k: 'deep'; depth: number; via: 'arr' | 'kvl'; leaf: AV }
  | { k: 'empty' }
  | { k: 'odd'; json: string };
export interface KV {
  key: Str;
  /** null: the KeyValue has no value field. */
  value: AV | null;
}
/** Attributes: explicit ones plus `many` generated fillers (`fz.attr.<i>` = i). */
export interface Attrs {
  list: KV[];
  many: number;
}

/** Attribute keys the semantic conventions map to typed columns (BIGINT tokens, DOUBLE cost, VARCHAR ids, payloads). */
export const TYPED_KEYS = [
  'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.prompt_tokens',
  'gen_ai.usage.completion_tokens', 'gen_ai.usage.cache_read_input_tokens', 'llm.token_count.prompt', 'llm.token_count.completion',
  'llm.token_count.prompt_details.cache_read', 'llm.token_count.completion_details.reasoning', 'llm.cost.total', 'llm.cost.prompt',
  'ai.usage.promptTokens', 'ai.usage.completionTokens', 'ai.usage.inputTokens', 'ai.usage.outputTokens', 'ai.usage.tokens',
  'langfuse.observation.usage_details', 'langfuse.observation.cost_details', 'gen_ai.operation.name', 'gen_ai.request.model',
  'gen_ai.response.model', 'gen_ai.provider.name', 'gen_ai.system', 'session.id', 'user.id', 'gen_ai.conversation.id',
  'gen_ai.agent.name', 'gen_ai.tool.name', 'gen_ai.tool.call.id', 'mcp.method.name', 'mcp.session.id', 'input.value', 'output.value',
  'gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.prompt', 'gen_ai.completion', 'traceloop.entity.input',
  'ai.prompt.messages', 'llm.input_messages.0.message.content', 'openinference.span.kind', 'traceloop.span.kind', 'ai.operationId',
  'langfuse.observation.type', 'langfuse.observation.level', 'error.type', 'service.name', 'gen_ai.response.finish_reasons',
  'llm.model_name', 'llm.provider', 'ai.model.id', 'ai.model.provider',
];
/** String values that typed keys parse (numbers as text, JSON objects for Langfuse usage/cost details). */
const TYPED_TEXT = [
  'chat', 'gpt-4o', 'gpt-4o-2024-08-06', 'claude-3-5-sonnet', 'openai', 'anthropic', 'tools/call', 'LLM', 'TOOL', 'ERROR',
  '1e20', '99999999999999999999', '-1', '1.5', '18446744073709551615', 'NaN', 'Infinity', '',
  '{"input":1e20,"output":-1}', '{"input":"99999999999999999999","output":1.5}', '{"input":1e999}', '{"total":1e308,"input":-5}',
  '{"input":9223372036854775808,"output":18446744073709551615}', '[1e20]', '{"__proto__":{"input":5}}', 'not json {',
  // Names of Object.prototype members: a lookup table indexed by attribute text must not find them.
  'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__',
];

const scalarAV: fc.Arbitrary<AV> = fc.oneof(
  { weight: 12, arbitrary: str({ big: 0 }).map((s): AV => ({ k: 'str', s })) },
  { weight: 6, arbitrary: fc.constantFrom(...TYPED_TEXT).map((v): AV => ({ k: 'str', s: { k: 's', v } })) },
  { weight: 3, arbitrary: fc.boolean().map((v): AV => ({ k: 'bool', v })) },
  { weight: 12, arbitrary: intTok.map((t): AV => ({ k: 'int', t })) },
  { weight: 9, arbitrary: dblTok.map((t): AV => ({ k: 'dbl', t })) },
  { weight: 3, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }).map((b): AV => ({ k: 'bytes', b })) },
  { weight: 2, arbitrary: fc.constant<AV>({ k: 'empty' }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"stringValue":5}', '{"intValue":null}', '{"intValue":{}}', '{"doubleValue":"abc"}', '{"boolValue":"true"}', '{"bytesValue":5}',
      '{"arrayValue":{"values":5}}', '{"arrayValue":null}', '{"kvlistValue":{"values":[{"key":5}]}}', '{"kvlistValue":{"values":[null,{}]}}',
      'null', '"plain"', '[]', '42', '{}', '{"stringValue":"a","intValue":"1"}', '{"__proto__":{"stringValue":"x"}}',
    ).map((json): AV => ({ k: 'odd', json })),
  },
);

const keyStr: fc.Arbitrary<Str> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TYPED_KEYS).map((v): Str => ({ k: 's', v })) },
  { weight: 2, arbitrary: str({ raw: 1 }) },
);

/** AnyValue with nesting: shallow trees, plus rare `deep` chains (16 is the default depth limit; 100+ and 100000 too). */
export const anyValue: fc.Arbitrary<AV> = fc.letrec<{ av: AV }>((tie) => ({
  av: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 12, arbitrary: scalarAV },
    { weight: 2, arbitrary: fc.array(tie('av'), { maxLength: 4 }).map((items): AV => ({ k: 'arr', items })) },
    { weight: 2, arbitrary: fc.array(fc.record({ key: keyStr, value: fc.option(tie('av'), { freq: 8 }) }), { maxLength: 4 }).map((items): AV => ({ k: 'kvl', items })) },
  ),
})).av;

export const deepAV: fc.Arbitrary<AV> = fc.record({
  depth: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 12, max: 18 }) },
    { weight: 3, arbitrary: fc.integer({ min: 100, max: 300 }) },
    { weight: 1, arbitrary: fc.constantFrom(1000, 5000, 100_000) },
  ),
  via: fc.constantFrom('arr' as const, 'kvl' as const),
  leaf: scalarAV,
}).map((d): AV => ({ k: 'deep', ...d }));

const kv: fc.Arbitrary<KV> = fc.record({
  key: keyStr,
  value: fc.oneof({ weight: 60, arbitrary: anyValue }, { weight: 1, arbitrary: deepAV }, { weight: 2, arbitrary: fc.constant(null) }),
});

export function attrs(opts: { max?: number; bigStrings?: number } = {}): fc.Arbitrary<Attrs> {
  const bigKv = fc.record({ key: keyStr, value: bigString.map((s): AV => ({ k: 'str', s })) });
  return fc.record({
    list: fc.array(fc.oneof({ weight: 400, arbitrary: kv }, { weight: opts.bigStrings ?? 0, arbitrary: bigKv }), { maxLength: opts.max ?? 6 }),
    many: fc.oneof({ weight: 100, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 2000 }) }),
  });
}

// --------------------------------------------------------------- OTLP ids

/** An id: a fresh valid one (slot within the case), or an odd one that the receiver must reject or ignore. */
export type IdSpec =
  | { k: 'fresh'; slot: number }
  | { k: 'odd'; v: 'missing' | 'empty' | 'zeros' | 'short' | 'long' | 'nonhex' | 'upper' | 'number' | 'null' };

const oddId = fc.constantFrom('missing', 'empty', 'zeros', 'short', 'long', 'nonhex', 'upper', 'number', 'null' as const);
export const traceIdSpec: fc.Arbitrary<IdSpec> = fc.oneof(
  { weight: 40, arbitrary: fc.integer({ min: 0, max: 2 }).map((slot): IdSpec => ({ k: 'fresh', slot })) },
  { weight: 1, arbitrary: oddId.map((v): IdSpec => ({ k: 'odd', v })) },
);
const spanIdSpec: fc.Arbitrary<IdSpec> = fc.oneof(
  { weight: 40, arbitrary: fc.constant<IdSpec>({ k: 'fresh', slot: -1 }) }, // -1: the span's own index
  { weight: 1, arbitrary: oddId.map((v): IdSpec => ({ k: 'odd', v })) },
);

// ------------------------------------------------------------- OTLP spans

export interface EventM {
  time: Tok | null;
  name: Str | null;
  attrs: Attrs;
}
export interface LinkM {
  trace: IdSpec;
  span: IdSpec;
  attrs: Attrs;
}
export interface OtlpSpanM {
  k: 'span';
  trace: IdSpec;
  span: IdSpec;
  /** Copy trace and span id of an earlier span of the case (within or across requests). */
  dupOf: number | null;
  /** 'root', an earlier span ('prev'), an unknown one, or an odd id. */
  parent: 'root' | 'prev' | IdSpec;
  name: Str | null;
  kind: Tok | null;
  start: Tok | null;
  end: Tok | null;
  attrs: Attrs;
  events: EventM[];
  links: LinkM[];
  status: { code: Tok | null; message: Str | null } | null;
  /** Add fields the schema does not know (JSON keys / unknown protobuf field numbers). */
  unknownFields: boolean;
  /** Send this span `n` times with fresh span ids (one big trace), optionally each with `tokens` input tokens (trace totals past int64). */
  copies: { n: number; tokens: string | null } | null;
}
/** A spans[] entry that is not a span object (JSON only; protobuf sends an empty Span, which lacks ids). */
export interface NotSpanM {
  k: 'notSpan';
  json: string;
}
export type SpanEntryM = OtlpSpanM | NotSpanM;

export interface ScopeM {
  name: Str | null;
  version: Str | null;
  attrs: Attrs;
  spans: SpanEntryM[];
}
export interface ResourceM {
  attrs: Attrs;
  scopes: ScopeM[];
}

export type OtlpTransport = 'http-protobuf' | 'http-json' | 'grpc';
export interface OtlpReqM {
  k: 'otlp';
  transport: OtlpTransport;
  path: '/v1/traces' | '/api/traces/otlp';
  gzip: boolean;
  /** Protobuf: the repo's proto definitions through protobufjs, or the hand encoder (needed for invalid bytes and 1000+ nesting). */
  encoder: 'protobufjs' | 'hand';
  resources: ResourceM[];
  /** A body broken on purpose: cut short, or with garbage after it. */
  malform: null | 'truncate' | 'trailing';
}

function otlpSpan(opts: { bigStrings: number }): fc.Arbitrary<OtlpSpanM> {
  return fc.record({
    k: fc.constant('span' as const),
    trace: traceIdSpec,
    span: spanIdSpec,
    dupOf: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(20) }),
    parent: fc.oneof(
      { weight: 4, arbitrary: fc.constant('root' as const) },
      { weight: 4, arbitrary: fc.constant('prev' as const) },
      { weight: 2, arbitrary: fc.constant<IdSpec>({ k: 'fresh', slot: 7 }) },
      { weight: 1, arbitrary: oddId.map((v): IdSpec => ({ k: 'odd', v })) },
    ),
    name: fc.option(str({ big: opts.bigStrings }), { freq: 10 }),
    kind: kindTok,
    start: tsTok,
    end: tsTok,
    attrs: attrs({ bigStrings: opts.bigStrings }),
    events: fc.array(fc.record({ time: tsTok, name: fc.option(str(), { freq: 5 }), attrs: attrs({ max: 3 }) }), { maxLength: 2 }),
    links: fc.oneof(
      { weight: 4, arbitrary: fc.constant<LinkM[]>([]) },
      { weight: 1, arbitrary: fc.array(fc.record({ trace: traceIdSpec, span: spanIdSpec, attrs: attrs({ max: 2 }) }), { maxLength: 2 }) },
    ),
    status: fc.option(fc.record({ code: statusCodeTok, message: fc.option(str(), { freq: 3 }) }), { freq: 3 }),
    unknownFields: fc.boolean(),
    copies: fc.oneof(
      { weight: 150, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.record({ n: fc.integer({ min: 100, max: 1200 }), tokens: fc.option(fc.constantFrom('9007199254740991', '9223372036854775807', '4611686018427387904', '1'), { freq: 4 }) }) },
    ),
  });
}

const notSpan: fc.Arbitrary<NotSpanM> = fc.constantFrom('null', '42', '"span"', '[]', 'true', '{}').map((json) => ({ k: 'notSpan', json }));

function spanEntries(opts: { maxSpans: number; bigStrings: number }): fc.Arbitrary<SpanEntryM[]> {
  const entry = fc.oneof({ weight: 60, arbitrary: otlpSpan(opts) }, { weight: 1, arbitrary: notSpan });
  return fc.oneof(
    { weight: 24, arbitrary: fc.array(entry, { minLength: 1, maxLength: opts.maxSpans }) },
    { weight: 1, arbitrary: fc.array(entry, { minLength: 20, maxLength: 60 }) },
    { weight: 1, arbitrary: fc.constant<SpanEntryM[]>([]) },
  );
}

export interface OtlpOptions {
  transports?: OtlpTransport[];
  maxSpans?: number;
  /** Weight of multi-megabyte strings (0 = none). */
  bigStrings?: number;
}

export function otlpRequest(opts: OtlpOptions = {}): fc.Arbitrary<OtlpReqM> {
  const o = { maxSpans: opts.maxSpans ?? 4, bigStrings: opts.bigStrings ?? 1 };
  const scope: fc.Arbitrary<ScopeM> = fc.record({
    name: fc.option(str(), { freq: 4 }),
    version: fc.option(str(), { freq: 2 }),
    // Shared parts: a problem here fails the whole request (400), so keep them mostly tame.
    attrs: fc.oneof({ weight: 16, arbitrary: fc.constant<Attrs>({ list: [], many: 0 }) }, { weight: 1, arbitrary: attrs({ max: 2 }) }),
    spans: spanEntries(o),
  });
  const resource: fc.Arbitrary<ResourceM> = fc.record({
    attrs: fc.oneof(
      { weight: 16, arbitrary: str({ raw: 2 }).map((v): Attrs => ({ list: [{ key: { k: 's', v: 'service.name' }, value: { k: 'str', s: v } }], many: 0 }) ) },
      { weight: 1, arbitrary: attrs({ max: 3 }) },
    ),
    scopes: fc.array(scope, { minLength: 1, maxLength: 2 }),
  });
  return fc.record({
    k: fc.constant('otlp' as const),
    transport: fc.constantFrom(...(opts.transports ?? (['http-protobuf', 'http-json', 'grpc'] as OtlpTransport[]))),
    path: fc.constantFrom('/v1/traces' as const, '/api/traces/otlp' as const),
    gzip: fc.boolean(),
    encoder: fc.constantFrom('protobufjs' as const, 'hand' as const),
    resources: fc.oneof({ weight: 8, arbitrary: fc.array(resource, { minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: fc.array(resource, { minLength: 0, maxLength: 3 }) }),
    malform: fc.oneof({ weight: 60, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('truncate' as const, 'trailing' as const) }),
  });
}

// ----------------------------------------------------------- native JSON

/** A JSON value as a model, for native `input`, `attributes`, `input_args`, … */
export type JV =
  | { k: 'str'; s: Str }
  | { k: 'num'; text: string }
  | { k: 'bool'; v: boolean }
  | { k: 'null' }
  | { k: 'arr'; items: JV[] }
  | { k: 'obj'; entries: Array<[Str, JV]> }
  | { k: 'deep'; depth: number; via: 'arr' | 'obj'; leaf: JV };

const NUM_TEXT = ['0', '-0', '1', '-1', '1.5', '1e20', '1e999', '-1e999', '1e308', '5e-324', '9007199254740993', '99999999999999999999', '18446744073709551615', '123456789012345678901234567890'];
const scalarJV: fc.Arbitrary<JV> = fc.oneof(
  { weight: 4, arbitrary: str({ raw: 1 }).map((s): JV => ({ k: 'str', s })) },
  { weight: 3, arbitrary: fc.constantFrom(...NUM_TEXT).map((text): JV => ({ k: 'num', text })) },
  { weight: 1, arbitrary: fc.boolean().map((v): JV => ({ k: 'bool', v })) },
  { weight: 1, arbitrary: fc.constant<JV>({ k: 'null' }) },
);
const objKey: fc.Arbitrary<Str> = fc.oneof(
  { weight: 3, arbitrary: str({ raw: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', '', 'a', 'a').map((v): Str => ({ k: 's', v })) },
);
export const jsonValue: fc.Arbitrary<JV> = fc.letrec<{ jv: JV }>((tie) => ({
  jv: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 10, arbitrary: scalarJV },
    { weight: 2, arbitrary: fc.array(tie('jv'), { maxLength: 4 }).map((items): JV => ({ k: 'arr', items })) },
    { weight: 2, arbitrary: fc.array(fc.tuple(objKey, tie('jv')), { maxLength: 4 }).map((entries): JV => ({ k: 'obj', entries })) },
  ),
})).jv;
export const deepJV: fc.Arbitrary<JV> = fc.record({
  depth: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 55, max: 70 }) },
    { weight: 3, arbitrary: fc.integer({ min: 100, max: 300 }) },
    { weight: 2, arbitrary: fc.constantFrom(1000, 3000, 6000, 10_000, 50_000, 100_000) },
  ),
  via: fc.constantFrom('arr' as const, 'obj' as const),
  leaf: scalarJV,
}).map((d): JV => ({ k: 'deep', ...d }));
const bigJV: fc.Arbitrary<JV> = bigString.map((s): JV => ({ k: 'str', s }));

/** Payload-ish JSON: mostly ordinary, sometimes deep, sometimes huge. */
export function payloadJV(bigWeight: number): fc.Arbitrary<JV> {
  return fc.oneof({ weight: 40, arbitrary: jsonValue }, { weight: 3, arbitrary: deepJV }, { weight: bigWeight, arbitrary: bigJV });
}

/** A native id: fresh (unique per case, with an odd suffix), an exact odd string, or not a string at all. */
export type NId =
  | { k: 'fresh'; slot: number; suffix: string }
  | { k: 'exact'; v: string }
  | { k: 'json'; json: string };

const idSuffix = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 90, max: 140 }).map((n) => 'y'.repeat(n)) },
);
export function nativeId(slots: number): fc.Arbitrary<NId> {
  return fc.oneof(
    { weight: 60, arbitrary: fc.record({ slot: fc.nat(slots - 1), suffix: idSuffix }).map((r): NId => ({ k: 'fresh', ...r })) },
    { weight: 3, arbitrary: fc.constantFrom('spans', 'otlp', '.', '..', 'a/b', '%2F', '?', '#', ' ', '\ud800', '\ufeffid', 'x'.repeat(128), 'ü'.repeat(128)).map((v): NId => ({ k: 'exact', v })) },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(129), '').map((v): NId => ({ k: 'exact', v })) },
    { weight: 1, arbitrary: fc.constantFrom('123', 'null', 'true', '{}', '[]', '1e999').map((json): NId => ({ k: 'json', json })) },
  );
}

/** An ISO 8601 / epoch time token for native routes (tokens are JSON texts). */
const isoText = fc.oneof(
  { weight: 20, arbitrary: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '2025-01-01T00:00:00Z', '2025-01-01T00:00:00.123456Z', '2025-01-01T00:00:00.123456789Z', '2025-01-01T00:00:00+14:00',
      '2025-01-01T00:00:00-12:00', '1970-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z',
      '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '2025-02-30T00:00:00Z',
      '2025-13-01T00:00:00Z', '2025-01-01T24:00:00Z', '2025-01-01T00:00:60Z', '2025-01-01', 'yesterday', '', '2025-01-01T00:00:00',
    ),
  },
);
const timeTok: fc.Arbitrary<Tok> = fc.oneof(
  { weight: 12, arbitrary: isoText.map((t) => tok(t, true)) },
  { weight: 3, arbitrary: fc.constantFrom('0', '1735689600000', '1735689600000.5', '1e20', '8640000000000000', '8640000000000001', '9223372036854', '9223372036855', '1e308', '1.5', '9007199254740993', '99999999999999999999').map((t) => tok(t)) },
  { weight: 1, arbitrary: fc.constantFrom('-1', '1e999').map((t) => tok(t)) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 4_102_444_800_000 }).map((n) => tok(String(n))) },
);

type TimeStyle = 'z' | 'millis' | 'micros' | 'nanos' | 'offset' | 'west' | 'epoch' | 'epochFrac';
/** One instant written in one of the accepted spellings (epoch milliseconds only where `epoch` is allowed). */
function timeText(ms: number, style: TimeStyle, extraDigits: number): Tok {
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const digits = String(extraDigits).padStart(6, '0');
  switch (style) {
    case 'z': return tok(`${iso.slice(0, 19)}Z`, true);
    case 'millis': return tok(iso, true);
    case 'micros': return tok(`${iso.slice(0, 23)}${digits.slice(0, 3)}Z`, true);
    case 'nanos': return tok(`${iso.slice(0, 23)}${digits}Z`, true);
    case 'offset': return tok(`${new Date(ms + 14 * 3600_000).toISOString().slice(0, 23)}+14:00`, true);
    case 'west': return tok(`${new Date(ms - 12 * 3600_000).toISOString().slice(0, 23)}-12:00`, true);
    case 'epoch': return tok(String(ms));
    case 'epochFrac': return tok(`${ms}.${digits.slice(0, 3)}`);
  }
}

/**
 * startedAt/endedAt (or started_at/ended_at): mostly one instant and a later
 * one in any two spellings (end before start now and then), sometimes edge
 * tokens on their own.
 */
function timePair(epochAllowed: boolean): fc.Arbitrary<[FieldV, FieldV | null]> {
  const styles: TimeStyle[] = epochAllowed ? ['z', 'millis', 'micros', 'nanos', 'offset', 'west', 'epoch', 'epochFrac'] : ['z', 'millis', 'micros', 'nanos', 'offset', 'west'];
  const agreeing = fc.record({
    ms: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 9_223_372_036_854 }) },
      { weight: 1, arbitrary: fc.constantFrom(0, 1, 9_223_372_036_853, 9_223_372_036_854, 253_402_300_799_999) },
    ),
    delta: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 3_600_000 }) }, { weight: 1, arbitrary: fc.integer({ min: -5000, max: -1 }) }, { weight: 1, arbitrary: fc.constant(0) }),
    s1: fc.constantFrom(...styles),
    s2: fc.constantFrom(...styles),
    d1: fc.nat(999_999),
    d2: fc.nat(999_999),
    end: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  }).map(({ ms, delta, s1, s2, d1, d2, end }): [FieldV, FieldV | null] => {
    // Spellings differ in precision: round the end up (whole seconds, sub-millisecond digits) unless it is meant to come first.
    let e = Math.max(0, ms + delta);
    if (delta >= 0 && s2 === 'z') e = Math.ceil((e + 1) / 1000) * 1000;
    else if (delta >= 0 && delta < 1000) e += 1;
    return [
      { k: 'tok', t: timeText(ms, s1, d1) },
      end ? { k: 'tok', t: timeText(Math.min(e, 253_402_300_799_999), s2, d2) } : null,
    ];
  });
  const edges = fc.tuple(epochAllowed ? timeTok : isoText.map((t) => tok(t, true)), fc.option(epochAllowed ? timeTok : isoText.map((t) => tok(t, true)), { freq: 2 }))
    .map(([a, b]): [FieldV, FieldV | null] => [{ k: 'tok', t: a }, b ? { k: 'tok', t: b } : null]);
  return fc.oneof({ weight: 10, arbitrary: agreeing }, { weight: 1, arbitrary: edges });
}
const countTok: fc.Arbitrary<Tok> = fc.oneof(
  { weight: 8, arbitrary: fc.nat(100_000).map((n) => tok(String(n))) },
  { weight: 4, arbitrary: fc.constantFrom('0', '-0', '9007199254740991', '1e15', '4294967296', '1e18').map((t) => tok(t)) },
  { weight: 1, arbitrary: fc.constantFrom('1e20', '-1', '1.5', '9007199254740992', '9007199254740993', '18446744073709551615', '1e999').map((t) => tok(t)) },
  { weight: 1, arbitrary: fc.constantFrom('10', '1e20', 'abc', '').map((t) => tok(t, true)) },
);
const costTok: fc.Arbitrary<Tok> = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: 0, max: 10, noNaN: true }).map((d) => tok(String(d))) },
  { weight: 6, arbitrary: fc.constantFrom('0', '-0', '1e308', '1.7976931348623157e308', '5e-324', '0.5', '1e20').map((t) => tok(t)) },
  { weight: 1, arbitrary: fc.constantFrom('1e999', '-1').map((t) => tok(t)) },
  { weight: 1, arbitrary: fc.constantFrom('1', 'free').map((t) => tok(t, true)) },
);

/** A JSON object as [key, value-model] fields; unknown extra keys are allowed. */
export type Field = [string, FieldV];
export type FieldV =
  | { k: 'tok'; t: Tok }
  | { k: 'str'; s: Str }
  | { k: 'id'; id: NId }
  | { k: 'jv'; v: JV }
  | { k: 'obj'; fields: Field[] }
  | { k: 'raw'; json: string };

/** A text field of at most `max` characters; `required` fields must not be empty or null. */
const textV = (max: number, required = false) =>
  fc.oneof(
    { weight: 60, arbitrary: str({ raw: 2, mid: 0 }).filter((s) => !required || s.k !== 's' || s.v.length > 0).map((s): FieldV => ({ k: 'str', s })) },
    { weight: 2, arbitrary: fc.constant<FieldV>({ k: 'str', s: { k: 'big', ch: 'x', n: max } }) },
    { weight: 1, arbitrary: fc.constant<FieldV>({ k: 'str', s: { k: 'big', ch: '😀', n: Math.floor(max / 2) } }) },
    { weight: required ? 0 : 2, arbitrary: fc.constant<FieldV>({ k: 'raw', json: 'null' }) },
    { weight: 1, arbitrary: fc.constant<FieldV>({ k: 'str', s: { k: 'big', ch: 'x', n: max + 1 } }) },
    { weight: 1, arbitrary: fc.constantFrom('5', '{}', '[]', 'true', '""', 'null').map((json): FieldV => ({ k: 'raw', json })) },
  );
const enumV = (values: string[]) =>
  fc.oneof(
    { weight: 60, arbitrary: fc.constantFrom(...values).map((v): FieldV => ({ k: 'str', s: { k: 's', v } })) },
    { weight: 1, arbitrary: fc.constantFrom('banana', '', 'OK', 'constructor', ' ok').map((v): FieldV => ({ k: 'str', s: { k: 's', v } })) },
    { weight: 1, arbitrary: fc.constantFrom('null', '1').map((json): FieldV => ({ k: 'raw', json })) },
  );
const tokV = (a: fc.Arbitrary<Tok>) => a.map((t): FieldV => ({ k: 'tok', t }));
const idV = (slots: number) => nativeId(slots).map((id): FieldV => ({ k: 'id', id }));
const jvV = (bigWeight: number) => payloadJV(bigWeight).map((v): FieldV => ({ k: 'jv', v }));
const attributesV = fc.oneof(
  { weight: 30, arbitrary: fc.array(fc.tuple(objKey, fc.oneof({ weight: 30, arbitrary: jsonValue }, { weight: 1, arbitrary: deepJV })), { maxLength: 5 }).map((entries): FieldV => ({ k: 'jv', v: { k: 'obj', entries } })) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 3000 }).map((n): FieldV => ({ k: 'jv', v: { k: 'obj', entries: Array.from({ length: n }, (_, i): [Str, JV] => [{ k: 's', v: `fz.attr.${i}` }, { k: 'num', text: String(i) }]) } })) },
  { weight: 1, arbitrary: fc.constantFrom('[]', '"x"', '5', '[1,2]').map((json): FieldV => ({ k: 'raw', json })) },
);

/** `a` with probability present/(present+absent), else null. */
export function sometimes<T>(a: fc.Arbitrary<T>, present: number, absent: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: absent, arbitrary: fc.constant(null) }, { weight: present, arbitrary: a });
}

/** Picks some of the given optional fields (each present or not), always keeping the listed required ones (unless `dropRequired`). */
function fields(required: Array<[string, fc.Arbitrary<FieldV>]>, optional: Array<[string, fc.Arbitrary<FieldV>]>): fc.Arbitrary<Field[]> {
  const req = fc.tuple(...required.map(([name, a]) => fc.oneof({ weight: 100, arbitrary: a.map((v): Field | null => [name, v]) }, { weight: 1, arbitrary: fc.constant(null) })));
  const opt = fc.tuple(...optional.map(([name, a]) => sometimes(a.map((v): Field => [name, v]), 1, 4)));
  const extra = fc.oneof(
    { weight: 30, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom('fuzzUnknown', '__proto__', 'constructor'), jsonValue).map(([n, v]): Field => [n, { k: 'jv', v }]) },
    // The same key twice: JSON.parse keeps the last one.
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...required.map(([n]) => n)), jsonValue).map(([n, v]): Field => [n, { k: 'jv', v }]) },
  );
  return fc.tuple(req, opt, extra).map(([r, o, e]) => [...r, ...o, e].filter((f): f is Field => f !== null));
}

/** Adds a start/end pair to generated fields (the start dropped now and then: a required field missing). */
function withTimes(f: fc.Arbitrary<Field[]>, times: fc.Arbitrary<[FieldV, FieldV | null]>, start: string, end: string): fc.Arbitrary<Field[]> {
  return fc.tuple(f, times, fc.oneof({ weight: 100, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }))
    .map(([fs, [s, e], keep]) => [...fs, ...(keep ? [[start, s] as Field] : []), ...(e ? [[end, e] as Field] : [])]);
}

export interface IngestSpanM {
  /** Copy traceId/spanId of an earlier span of the case. */
  dupOf: number | null;
  fields: Field[];
}
export interface IngestReqM {
  k: 'ingest';
  gzip: boolean;
  spans: IngestSpanM[];
  projectId: FieldV | null;
  /** The body is not an IngestPayload object at all, or not JSON. */
  junk: null | string;
}

export function ingestRequest(opts: { maxSpans?: number; bigStrings?: number } = {}): fc.Arbitrary<IngestReqM> {
  const big = opts.bigStrings ?? 1;
  const text = textV(4096);
  const span = fc.record({
    dupOf: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(20) }),
    fields: withTimes(fields(
      [['traceId', idV(3)], ['spanId', idV(1000)], ['name', textV(1024, true)]],
      [
        ['parentSpanId', idV(1000)], ['type', enumV(['llm_call', 'tool_call', 'agent', 'chain', 'retriever', 'embedding', 'mcp', 'other'])],
        ['status', enumV(['ok', 'error', 'cancelled', 'unset'])], ['statusMessage', textV(65536)],
        ['error', fc.oneof(textV(65536), fc.record({ type: textV(4096), message: textV(65536) }).map((r): FieldV => ({ k: 'obj', fields: [['type', r.type], ['message', r.message]] })))],
        ['framework', text], ['serviceName', text], ['model', fc.oneof(text, enumV(['gpt-4o', 'gpt-4o-2024-08-06', 'claude-3-5-sonnet-20241022']))],
        ['responseModel', text], ['provider', fc.oneof(text, enumV(['openai', 'anthropic']))], ['operation', text], ['agentId', text],
        ['agentName', text], ['sessionId', text], ['userId', text], ['toolName', text], ['toolCallId', text], ['serverName', text],
        ['finishReason', text],
        ['usage', fc.record({
          inputTokens: sometimes(tokV(countTok), 2, 1), outputTokens: sometimes(tokV(countTok), 2, 1), cacheReadTokens: sometimes(tokV(countTok), 1, 3),
          cacheWriteTokens: sometimes(tokV(countTok), 1, 3), reasoningTokens: sometimes(tokV(countTok), 1, 3), costUsd: sometimes(tokV(costTok), 1, 1),
        }).map((u): FieldV => ({ k: 'obj', fields: Object.entries(u).filter(([, v]) => v !== null) as Field[] }))],
        ['input', jvV(big)], ['output', jvV(big)], ['attributes', attributesV],
      ],
    ), timePair(true), 'startedAt', 'endedAt'),
  });
  return fc.record({
    k: fc.constant('ingest' as const),
    gzip: fc.boolean(),
    spans: fc.oneof({ weight: 24, arbitrary: fc.array(span, { minLength: 1, maxLength: opts.maxSpans ?? 3 }) }, { weight: 1, arbitrary: fc.array(span, { maxLength: 40 }) }),
    projectId: sometimes(fc.oneof({ weight: 20, arbitrary: idV(2) }, { weight: 1, arbitrary: fc.constantFrom('""', '5').map((json): FieldV => ({ k: 'raw', json })) }), 1, 3),
    junk: fc.oneof({ weight: 80, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('[]', 'null', '42', '"spans"', '{"spans":{}}', '{"spans":[null]}', '{"spans":[', '{"spans":[]}', '\ufeff{"spans":[]}') }),
  });
}

export interface ToolSpanM {
  dupOf: number | null;
  fields: Field[];
}
export interface ToolReqM {
  k: 'tool';
  gzip: boolean;
  /** Bare array or `{spans: [...]}`. */
  wrapped: boolean;
  spans: ToolSpanM[];
  junk: null | string;
}

export function toolRequest(opts: { maxSpans?: number; bigStrings?: number } = {}): fc.Arbitrary<ToolReqM> {
  const big = opts.bigStrings ?? 1;
  const text = textV(4096);
  const span = fc.record({
    dupOf: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(20) }),
    fields: withTimes(fields(
      [['server_name', textV(4096, true)], ['tool_name', textV(4096, true)]],
      [
        ['trace_id', idV(3)], ['span_id', idV(1000)], ['parent_span_id', idV(1000)],
        ['latency_ms', tokV(fc.oneof({ weight: 6, arbitrary: countTok }, { weight: 1, arbitrary: costTok }))], ['status', enumV(['success', 'error', 'timeout', 'prevented'])],
        ['error', textV(65536)], ['project_id', idV(2)], ['session_id', text], ['agent_name', text], ['user_id', text],
        ['span_type', enumV(['tool_call', 'agent', 'handoff', 'llm_call', 'node'])], ['input_args', jvV(big)], ['output_result', jvV(big)],
        ['llm_input', jvV(big)], ['llm_output', jvV(big)], ['model_id', fc.oneof(text, enumV(['gpt-4o', 'claude-3-5-sonnet-20241022']))],
        ['provider', text], ['input_tokens', tokV(countTok)], ['output_tokens', tokV(countTok)], ['cost_usd', tokV(costTok)],
        ['target_agent_name', text],
      ],
    ), fc.oneof({ weight: 30, arbitrary: timePair(false) }, { weight: 1, arbitrary: timePair(true) }), 'started_at', 'ended_at'),
  });
  return fc.record({
    k: fc.constant('tool' as const),
    gzip: fc.boolean(),
    wrapped: fc.boolean(),
    spans: fc.oneof({ weight: 24, arbitrary: fc.array(span, { minLength: 1, maxLength: opts.maxSpans ?? 3 }) }, { weight: 1, arbitrary: fc.array(span, { maxLength: 40 }) }),
    junk: fc.oneof({ weight: 80, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('null', '42', '{"spans":5}', '{"span":[]}', '[null]', '[', '[]', '{}') }),
  });
}

export type ReqM = OtlpReqM | IngestReqM | ToolReqM;

/** One fuzz case: requests sent in order (ids may repeat across them), then every invariant is checked. */
export interface CaseM {
  reqs: ReqM[];
}

export function caseOf(req: fc.Arbitrary<ReqM>, maxRequests = 2): fc.Arbitrary<CaseM> {
  return fc.array(req, { minLength: 1, maxLength: maxRequests }).map((reqs) => ({ reqs }));
}

export function mixedCase(bigStrings = 1): fc.Arbitrary<CaseM> {
  return caseOf(fc.oneof(otlpRequest({ bigStrings }), ingestRequest({ bigStrings }), toolRequest({ bigStrings })), 3);
}

// ------------------------------------------------------------- query side

export interface QueryM {
  route: 'traces' | 'spans' | 'trace';
  /** For route 'trace': the id in the path. */
  id: string;
  /** name, value, and whether the value is written raw (no percent-encoding: `%FF`, `%`, …). */
  params: Array<[string, string, boolean]>;
}

const QUERY_VALUES = [
  '99999999999999999999', '-99999999999999999999', '-1', '0', '1', '1000', '1001', '10000000', '10000001', '9007199254740993',
  '1e3', '0x10', ' 5', '5 ', '+5', '-0', '00', '', 'NaN', 'Infinity', '8640000000000000', '8640000000000001', '-8640000000000001',
  '9223372036854775807', '9223372036854775808', '18446744073709551615', '253402300800000', '2025-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z', '+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00.000Z', '2025-02-30', '2025-01-01', 'garbage',
  'ok', 'error', 'success', 'cancelled', 'unset', 'timeout', 'default', '\ud800', '😀', "' OR 1=1 --", '%', '\u0000', 'null', '[]',
];
const RAW_VALUES = ['%FF', '%ED%A0%80', '%', '%zz', '%00', '%C0%AF', '%2', 'a%20b', '%E2%82'];
const TRACE_PARAMS = ['from', 'to', 'since', 'until', 'start', 'end', 'limit', 'offset', 'status', 'sessionId', 'session_id', 'service', 'serviceName', 'model', 'framework', 'projectId', 'project_id'];
const SPAN_PARAMS = ['from', 'to', 'since', 'until', 'start', 'end', 'limit', 'offset', 'status', 'server_name', 'server', 'tool_name', 'tool', 'session_id', 'sessionId', 'agent_name', 'agent', 'project_id', 'projectId'];

export const queryCase: fc.Arbitrary<QueryM> = fc.constantFrom('traces' as const, 'spans' as const, 'trace' as const).chain((route) => {
  const names = route === 'spans' ? SPAN_PARAMS : TRACE_PARAMS;
  const value = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...QUERY_VALUES).map((v) => [v, false] as const) },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }).map((v) => [v, false] as const) },
    { weight: 2, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((b) => [String(b), false] as const) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_VALUES).map((v) => [v, true] as const) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 7000 }).map((n) => ['9'.repeat(n), false] as const) },
  );
  const param = fc.tuple(fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }), value)
    .map(([n, [v, raw]]): [string, string, boolean] => [n, v, raw]);
  return fc.record({
    route: fc.constant(route),
    id: fc.oneof(fc.constantFrom('0123456789abcdef0123456789abcdef', 'missing', '\ud800', '%', 'x'.repeat(5000), '..', 'spans%2F', '😀'), fc.string({ maxLength: 40 })),
    params: fc.array(param, { maxLength: 6 }),
  });
});
