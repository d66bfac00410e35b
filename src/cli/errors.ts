/** A mistake in how the CLI was called (exit 2); anything else that goes wrong is a failure (exit 1). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure the user can act on, printed without a stack trace (exit 1). */
export class CliFailure extends Error {
  override name = 'CliFailure';
}

/** The first line of a DuckDB error, without the LINE/caret context. */
export const duckMessage = (err: unknown): string => {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n').filter((l) => l.trim() !== '')[0] ?? msg;
};
