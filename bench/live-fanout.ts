/**
 * The broadcaster's fan-out on the event loop, per accepted span (in
 * process, no sockets): the realistic mix's span digests (bench/ingest-payload.ts,
 * 1,000-span requests) fed to a Broadcaster as the pipeline feeds it, with
 *   - nobody following: events are only kept for Last-Event-ID resume, and
 *     their keys and data are built only if a client asks (src/live/events.ts);
 *   - one client following everything, each event serialized as its SSE frame.
 * Prints CPU per span for each. Figures only, no assertions.
 *
 *   npx tsx bench/live-fanout.ts      (in npm run bench)
 */
import { buildTemplate, randomSalt, RequestWriter } from './ingest-payload.js';
import { normalizeDecoded } from '../src/pipeline/normalize.js';
import { decodeProtobuf } from '../src/receivers/otlp/decode.js';
import { createCostModel } from '../src/enrich/cost.js';
import { Broadcaster, type Subscriber } from '../src/live/broadcaster.js';
import { CompiledFilter } from '../src/live/filter.js';
import type { SpanDigest } from '../src/pipeline/normalize.js';

const BATCHES = Number(process.env.BENCH_LIVE_FANOUT_BATCHES ?? 400);

const writer = new RequestWriter([buildTemplate(2000, false)], randomSalt());
const ctx = { semconv: { payloadMaxBytes: 64 * 1024 }, project: 'default', costs: createCostModel() };
// take() rewrites one buffer in place: each request is decoded before the next is taken.
const batches: SpanDigest[][] = Array.from({ length: 20 }, (_, i) =>
  normalizeDecoded(decodeProtobuf(writer.take(i + 1, false).body, { maxAttributeDepth: 16 }), ctx).digests);

const turn = () => new Promise((r) => setImmediate(r));

async function cpuPerSpan(subscribers: Subscriber[]): Promise<number> {
  const b = new Broadcaster({ replayEvents: 10_000, maxPendingEvents: 1_000_000, sliceMs: 1000 });
  for (const s of subscribers) b.subscribe(s);
  const feed = async (n: number) => {
    for (let i = 0; i < n; i++) {
      b.acceptSpans(batches[i % batches.length]);
      await turn();
      await turn();
    }
  };
  await feed(40); // warm-up
  const c0 = process.cpuUsage();
  await feed(BATCHES);
  const c = process.cpuUsage(c0);
  const spans = BATCHES * batches[0].length;
  b.close();
  return (c.user + c.system) / spans;
}

let bytes = 0;
const firehose: Subscriber = {
  filter: new CompiledFilter({}),
  deliver: (e) => { bytes += e.sseFrame.length; },
  flush: () => {},
  missed: () => {},
};

const idle = await cpuPerSpan([]);
const followed = await cpuPerSpan([firehose]);
console.log(`live fan-out per accepted span: nobody following ${idle.toFixed(2)} µs CPU; one client following everything (SSE frames built) ${followed.toFixed(2)} µs CPU (${(bytes / 1e6).toFixed(0)} MB of frames)`);
