/**
 * Property-based ingest suite ("nothing acknowledged is ever lost or
 * hidden"): generated OTLP/protobuf (HTTP and gRPC), OTLP/JSON and native
 * payloads with boundary values go to a real in-process server, and after
 * every case the invariants of invariants.ts are checked: no 5xx, every span
 * accounted for in the answer, every acknowledged span queryable, the server
 * healthy. Query parameters of the read routes are fuzzed too.
 *
 * Bounded for `npm test` (a fixed seed, a run and a time budget per
 * property); fast-check prints the seed, the path and a compact
 * counterexample on failure, the error the requests and answers. Replay one
 * counterexample, or go further, with
 *   FUZZ_REPLAY=<seed>:<path> npx vitest run test/fuzz -t '<test name>'
 *   FUZZ_SEED=<base seed> FUZZ_RUNS=<n> FUZZ_SEARCH_MS=<ms> FUZZ_SHRINK_MS=<ms> npx vitest run test/fuzz
 * and run the long, time-bounded version with `npm run bench -- --fuzz`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportTraceServiceRequest } from '../../src/receivers/otlp/proto-root.js';
import {
  type CaseM, caseOf, ingestRequest, mixedCase, otlpRequest, type OtlpReqM, type QueryM, queryCase, toolRequest,
} from './arbitraries.js';
import { CaseCtx, describe as describeModel, encodeOtlp, protobufjsCanEncode } from './encode.js';
import { FuzzHarness, formatViolations, timeBudget } from './invariants.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20260602);
const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : undefined;
/**
 * Wall clock per property: searching for a counterexample, then shrinking one
 * (so the whole file stays well under a minute on 2 cores, failures included).
 */
const SEARCH_MS = Number(process.env.FUZZ_SEARCH_MS ?? 3500);
const SHRINK_MS = Number(process.env.FUZZ_SHRINK_MS ?? 3000);
const budget = () => [timeBudget(SEARCH_MS, SHRINK_MS)];
/** FUZZ_REPLAY="<seed>:<path>" (both as fast-check printed them) replays one counterexample; run that test alone with `-t`. */
const REPLAY = /^(-?\d+):([\d:]+)$/.exec(process.env.FUZZ_REPLAY ?? '');
const seeded = (offset: number, runs: number) =>
  REPLAY ? { seed: Number(REPLAY[1]), path: REPLAY[2], numRuns: 1 } : { seed: SEED + offset, numRuns: RUNS ?? runs };

/** Counterexamples print as compact models, not as multi-megabyte strings. */
function printable<T extends object>(a: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return a.map((v) => {
    Object.defineProperty(v, fc.toStringMethod, { value: () => describeModel(v), enumerable: false });
    return v;
  });
}

let h: FuzzHarness;

beforeAll(async () => {
  h = await FuzzHarness.start();
});

afterAll(async () => {
  await h?.dispose();
});

async function holds(arb: fc.Arbitrary<CaseM>, runs: number, seedOffset: number): Promise<void> {
  try {
    await fc.assert(
      fc.asyncProperty(printable(arb), async (c) => {
        const violations = await h.runCase(c);
        if (violations.length > 0) throw new Error(formatViolations(violations));
      }),
      { ...seeded(seedOffset, runs), plugins: budget() },
    );
  } finally {
    await h.quiesce();
  }
}

describe('fuzz: ingest invariants (no 5xx, accounting, acknowledged = queryable, healthy)', () => {
  it('OTLP/HTTP protobuf (protobufjs with the repo protos, or hand-encoded with invalid UTF-8), gzip or not', async () => {
    await holds(caseOf(otlpRequest({ transports: ['http-protobuf'] })), 80, 1);
  });

  it('OTLP/gRPC (gzip channel or not)', async () => {
    await holds(caseOf(otlpRequest({ transports: ['grpc'] })), 60, 2);
  });

  it('OTLP/HTTP JSON (1e999, lone surrogates, raw invalid bytes, int64 as numbers and strings), gzip or not', async () => {
    await holds(caseOf(otlpRequest({ transports: ['http-json'] })), 80, 3);
  });

  it('POST /api/ingest (camelCase IngestPayload)', async () => {
    await holds(caseOf(ingestRequest()), 80, 4);
  });

  it('POST /api/traces/spans (snake_case ToolCallSpan list, bare or wrapped)', async () => {
    await holds(caseOf(toolRequest()), 80, 5);
  });

  it('mixed sequences: duplicate ids across requests, routes and transports', async () => {
    await holds(mixedCase(), 40, 6);
  });
});

describe('fuzz: query parameters', () => {
  it('GET /api/traces, /api/traces/spans, /api/traces/:traceId never answer 5xx', async () => {
    await h.seed();
    try {
      await fc.assert(
        fc.asyncProperty(printable<QueryM>(queryCase), async (q) => {
          const violations = await h.runQuery(q);
          if (violations.length > 0) throw new Error(formatViolations(violations));
        }),
        { ...seeded(7, 300), plugins: budget() },
      );
    } finally {
      await h.quiesce();
    }
  });
});

describe('fuzz: the generators themselves', () => {
  const wellFormed = (m: unknown) => !/\\ud[89a-f][0-9a-f]{2}/i.test(JSON.stringify(m));
  it('the hand encoder writes what protobufjs writes from the repo protos (same decoded message)', () => {
    fc.assert(
      fc.property(printable<OtlpReqM>(otlpRequest({ bigStrings: 0 })), (req) => {
        fc.pre(protobufjsCanEncode(req) && wellFormed(req));
        const hand = encodeOtlp(req, new CaseCtx(7), 'hand', 'protobuf').pb;
        const pjs = encodeOtlp(req, new CaseCtx(7), 'protobufjs', 'protobuf').pb;
        const opts = { longs: String, bytes: String, enums: Number, defaults: false } as const;
        expect(ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(hand), opts))
          .toEqual(ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(pjs), opts));
      }),
      { seed: SEED + 8, numRuns: RUNS ?? 150 },
    );
  });
});
