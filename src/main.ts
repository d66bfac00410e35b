import pino from 'pino';
import { ConfigError, loadConfig } from './config/index.js';
import { startLookspan } from './server.js';
import { DataDirLockedError } from './store/index.js';

/** `--config PATH` from argv (also `--config=PATH`). */
function configPath(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config') return argv[i + 1];
    if (argv[i].startsWith('--config=')) return argv[i].slice('--config='.length);
  }
  return undefined;
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
  let running;
  try {
    running = await startLookspan(config, log);
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      log.fatal(err.message);
      process.exit(3);
    }
    log.fatal({ err }, 'Lookspan failed to start');
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.server.shutdownTimeoutSeconds * 1000);
    hard.unref();
    running.stop().then(() => process.exit(0), (err) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`lookspan: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
