import type { CostModel } from '../../enrich/cost.js';
import type { DatasetItem, DatasetTable } from '../datasets.js';
import type { Providers } from '../providers/index.js';
import { evaluateItem, type RunCheck } from './evaluate-item.js';
import type { ItemOutcome, RunRecord, RunTable } from './store.js';

export interface SchedulerDeps {
  runs: RunTable;
  datasets: DatasetTable;
  providers: Providers;
  costs: CostModel;
  /** Runs evaluating at once (evals.maxActiveRuns); later ones wait, queued. */
  maxActiveRuns: number;
  log: { error(o: object, msg: string): void; warn(o: object, msg: string): void };
}

export const RESTART_REASON = 'the server restarted while the run was in progress; its unfinished items were not evaluated';
export const STOP_REASON = 'the server stopped while the run was in progress; its unfinished items were not evaluated';

/**
 * Runs dataset evaluations in the background: at most `maxActiveRuns` at
 * once, each with its own bounded item concurrency, every item's state
 * written as it changes. Runs do not resume across processes: one left
 * queued or running by a process that is gone is marked `interrupted`
 * (with its unfinished items) when the next one starts, and a stop aborts
 * the provider calls in flight and marks the same. Every provider call is
 * bounded by evals.timeoutMs and evals.maxRetries, so a run always ends.
 */
export class RunScheduler {
  private readonly queue: Array<{ runId: string; check: RunCheck }> = [];
  private readonly active = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private stopping: Promise<void> | null = null;

  constructor(private readonly d: SchedulerDeps) {}

  /** Marks the runs a previous process left unfinished as interrupted; returns their ids. */
  recover(): Promise<string[]> {
    return this.d.runs.interruptUnfinished(RESTART_REASON);
  }

  /** Queues a created run. */
  enqueue(runId: string, check: RunCheck): void {
    if (this.stopping) return;
    this.queue.push({ runId, check });
    this.pump();
  }

  private pump(): void {
    while (!this.stopping && this.active.size < this.d.maxActiveRuns && this.queue.length > 0) {
      const next = this.queue.shift()!;
      const p = this.execute(next.runId, next.check)
        .catch((err) => this.d.log.error({ err, run: next.runId }, 'evaluation run failed'))
        .finally(() => {
          this.active.delete(next.runId);
          this.pump();
        });
      this.active.set(next.runId, p);
    }
  }

  private async execute(runId: string, check: RunCheck): Promise<void> {
    const run = await this.d.runs.get(runId);
    if (!run || run.status !== 'queued') return;
    await this.d.runs.started(runId);
    const todo = await this.d.runs.pending(runId);
    let next = 0;
    const signal = this.abort.signal;
    const worker = async () => {
      while (!signal.aborted && next < todo.length) {
        const { itemId } = todo[next++];
        await this.d.runs.itemStarted(runId, itemId);
        const item = await this.d.datasets.item(run.datasetId, itemId);
        const outcome = item === null
          ? { status: 'error' as const, output: null, score: null, passed: null, reasoning: null, error: { kind: 'invalid_input' as const, message: 'the item was removed from its dataset' }, usage: { inputTokens: null, outputTokens: null, costUsd: null }, latencyMs: null }
          : await this.evaluate(run, check, item, signal);
        // A call cut short by the stop is not the item's result: the stop marks the item interrupted instead.
        if (signal.aborted) return;
        await this.d.runs.itemFinished(runId, itemId, outcome);
      }
    };
    await Promise.all(Array.from({ length: Math.min(run.concurrency, Math.max(1, todo.length)) }, worker));
    if (!signal.aborted) await this.d.runs.finished(runId, 'completed');
  }

  /**
   * One item under a signal of its own, linked to the stop's: the SDKs add
   * a listener per request to the signal they are given, which on the
   * scheduler's long-lived one would pile up over a run.
   */
  private async evaluate(run: RunRecord, check: RunCheck, item: DatasetItem, stop: AbortSignal): Promise<ItemOutcome> {
    const own = new AbortController();
    const onStop = () => own.abort(stop.reason);
    stop.addEventListener('abort', onStop, { once: true });
    try {
      return await evaluateItem(this.d, run, check, item, own.signal);
    } catch (err) {
      return {
        status: 'error', output: null, score: null, passed: null, reasoning: null,
        error: { kind: 'internal', message: err instanceof Error ? err.message : String(err) }, usage: { inputTokens: null, outputTokens: null, costUsd: null }, latencyMs: null,
      };
    } finally {
      stop.removeEventListener('abort', onStop);
    }
  }

  /** Aborts the calls in flight, waits for the workers, and marks unfinished runs interrupted; safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort(new Error('Lookspan is stopping'));
      this.queue.length = 0;
      await Promise.allSettled([...this.active.values()]);
      const ids = await this.d.runs.interruptUnfinished(STOP_REASON);
      if (ids.length > 0) this.d.log.warn({ runs: ids }, 'evaluation runs interrupted by the stop');
    })();
    return this.stopping;
  }
}
