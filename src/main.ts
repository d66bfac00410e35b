import pino from 'pino';
import { ConfigError, loadConfig } from './config/index.js';
import { startLookspan, type RunningLookspan, type ShutdownPending } from './server.js';
import { DataDirLockedError } from './store/index.js';

/** `--config PATH` from argv (also `--config=PATH`). */
function configPath(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config') return argv[i + 1];
    if (argv[i].startsWith('--config=')) return argv[i].slice('--config='.length);
  }
  return undefined;
}

/** The shutdown deadline's log line: what the drain was doing and what it still waited for. */
function describePending(p: ShutdownPending): string {
  return `step: ${p.step}; ${p.httpRequests} HTTP request(s) in flight; ${p.spansAwaitingFsync} span(s) waiting for the WAL fsync (not acknowledged); `
    + `${p.walSegments} WAL segment(s) with ${p.walSpans} span(s) (${p.walBytes} bytes) not yet loaded into DuckDB (kept in the WAL, loaded at the next start)`;
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ file: configPath(process.argv.slice(2)) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`lookspan: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ level: config.log.level });
  let running: RunningLookspan;
  try {
    running = await startLookspan(config, log);
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      log.fatal(err.message);
      process.exit(3);
    }
    // A value only DuckDB could judge (see Database.open): still a configuration error.
    if (err instanceof ConfigError) {
      process.stderr.write(`lookspan: ${err.message}\n`);
      process.exit(2);
    }
    log.fatal({ err }, 'Lookspan failed to start');
    process.exit(1);
  }
  const timeoutSeconds = config.server.shutdownTimeoutSeconds;
  let draining = false;
  // `process.on`, not `once`: with no listener left, a second signal would take Node's
  // default action and kill the process in the middle of the drain.
  const shutdown = (signal: NodeJS.Signals) => {
    if (draining) {
      log.warn({ signal }, `already shutting down; ignoring ${signal}`);
      return;
    }
    draining = true;
    log.info({ signal, timeoutSeconds }, 'shutting down');
    // Until the drain has finished, any other way out is a failure.
    process.exitCode = 1;
    // Referenced on purpose: whatever the drain waits for, the process ends by the deadline.
    setTimeout(() => {
      const pending = running.pending();
      log.error({ pending }, `shutdown did not finish within ${timeoutSeconds} s; exiting with code 1; still pending: ${describePending(pending)}`);
      running.abort();
      process.exit(1);
    }, timeoutSeconds * 1000);
    running.stop().then(() => process.exit(0), (err) => {
      log.error({ err, pending: running.pending() }, 'shutdown failed; exiting with code 1');
      running.abort();
      process.exit(1);
    });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err) => {
  process.stderr.write(`lookspan: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
