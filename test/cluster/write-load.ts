import { api } from './cluster.js';

/** One POST /tasks of the steady load, as the client saw it. */
export interface WriteOutcome {
  title: string;
  startedAt: number;
  endedAt: number;
  /** Set when an HTTP answer arrived. */
  status?: number;
  /** The created task's id, when the answer was 201. */
  id?: string;
  /** Set when no HTTP answer arrived (connection error, timeout). */
  error?: string;
}

export interface WriteLoadOptions {
  baseUrl: string;
  token: string;
  writers: number;
  durationMs: number;
  /** Per writer: bounds the run in count as well as in time. */
  maxRequestsPerWriter: number;
  /** Ends the run early: each writer stops after its current request. */
  stop?: AbortSignal;
}

/**
 * A few concurrent writers, each POSTing one task at a time through `baseUrl` until the time or
 * the count runs out. Every request has a unique title, so its fate can be looked up afterwards
 * even when no answer came back.
 */
export async function runWriteLoad(options: WriteLoadOptions): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  const deadline = Date.now() + options.durationMs;
  const runId = Date.now().toString(36);
  const writer = async (writerIndex: number) => {
    for (let sequence = 0; sequence < options.maxRequestsPerWriter && Date.now() < deadline && !options.stop?.aborted; sequence++) {
      const title = `load ${runId} w${writerIndex} #${sequence}`;
      const outcome: WriteOutcome = { title, startedAt: Date.now(), endedAt: 0 };
      try {
        const response = await api(options.baseUrl, 'POST', '/tasks', { token: options.token, body: { title }, timeoutMs: 10_000 });
        outcome.status = response.status;
        if (response.status === 201) {
          outcome.id = String(response.body.id);
        }
      } catch (error) {
        outcome.error = (error as { code?: string }).code ?? (error as Error).message;
      }
      outcome.endedAt = Date.now();
      outcomes.push(outcome);
    }
  };
  await Promise.all(Array.from({ length: options.writers }, (_, index) => writer(index + 1)));
  return outcomes;
}
