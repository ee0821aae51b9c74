export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns a value other than undefined; bounded in time and attempts.
 * Throws with the last observation when the deadline passes.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  { timeoutMs, intervalMs = 100, what }: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / intervalMs) + 1;
  let last: unknown;
  for (let attempt = 0; attempt < maxAttempts && Date.now() <= deadline; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined) {
        return value;
      }
      last = 'undefined';
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last: ${String(last)}`);
}
