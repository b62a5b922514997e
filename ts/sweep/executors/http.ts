// The HTTP executor: each pending cell is POSTed to an endpoint running the edge worker
// (dist/edge/worker.js), `concurrency` at a time; the returned results.json is written locally exactly
// as a local run would write it. A failed request is retried a bounded number of times; a cell the
// endpoint rejects (bad config, over its memory) is not.
import { UsageError } from '../../errors.js';
import type { Config } from '../../config/schema.js';
import type { RunResults } from '../../results.js';
import { cellHash } from '../sweep.js';
import { checkResults, writeCellFolder } from '../files.js';
import { type Executor, IncompleteSweep, type PendingCell } from './executor.js';

export interface HttpOptions {
  endpoint: string;
  concurrency: number;
  /** Extra request headers (`--header 'K: V'`), e.g. an access token. */
  headers: Record<string, string>;
  /** The fingerprint the endpoint's kernels must have: other kernels would give other numbers. */
  code: string;
  /** Tries per request (the first and the retries). */
  attempts?: number;
  /** Delay before the first retry; doubled each time. */
  retryDelayMs?: number;
}

/** Parses `--header 'Name: value'`. */
export function parseHeader(text: string): [string, string] {
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(text);
  if (!match || /[\r\n]/.test(text)) throw new UsageError(`--header ${JSON.stringify(text)}: expected 'Name: value'`);
  return [match[1]!, match[2]!.trim()];
}

/** Parses `--endpoint`: an http(s) URL. */
export function parseEndpoint(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--endpoint ${JSON.stringify(text)}: expected a URL such as https://percolab.example.workers.dev`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--endpoint ${JSON.stringify(text)}: expected an http or https URL`);
  return url.href.replace(/\/$/, '');
}

/** A failure worth another try (the network, a 5xx) or not (a 4xx, the endpoint's memory). */
class RequestFailure extends Error {
  constructor(message: string, readonly retry: boolean) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function request(url: string, init: RequestInit, attempts: number, delayMs: number): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(url, init);
      const text = await response.text();
      if (response.ok) return text;
      let message = text.trim().split('\n')[0] ?? '';
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? message;
      } catch {
        // not JSON: keep the text
      }
      // 507: the run needs more memory than the worker has; another try would fail the same way.
      throw new RequestFailure(`HTTP ${response.status}${message ? `: ${message}` : ''}`, response.status >= 500 && response.status !== 507);
    } catch (error) {
      const failure = error instanceof RequestFailure ? error : new RequestFailure(`${(error as Error).message}${(error as { cause?: Error }).cause ? ` (${(error as { cause: Error }).cause.message})` : ''}`, true);
      if (!failure.retry || attempt >= attempts) throw new RequestFailure(`${failure.message}${attempt > 1 ? ` (after ${attempt} tries)` : ''}`, false);
      await sleep(delayMs * 2 ** (attempt - 1));
    }
  }
}

export function httpExecutor(options: HttpOptions): Executor {
  const attempts = options.attempts ?? 3;
  const delayMs = options.retryDelayMs ?? 500;
  return {
    async run(pending, job) {
      if (pending.length === 0) return;
      // The endpoint must run these very kernels, or its cells would not be the cells named by their hashes.
      let about: { code?: string };
      try {
        about = JSON.parse(await request(`${options.endpoint}/`, { headers: options.headers }, attempts, delayMs)) as { code?: string };
      } catch (error) {
        throw new UsageError(`endpoint ${options.endpoint} is not usable: ${(error as Error).message}`);
      }
      if (about?.code !== options.code) throw new UsageError(`endpoint ${options.endpoint} runs percolab ${about?.code ?? '(unknown)'}, this is ${options.code}: its cells would not be these cells; deploy this build's dist/edge`);
      process.stderr.write(`http: ${pending.length} cell${pending.length === 1 ? '' : 's'} to ${options.endpoint}, ${options.concurrency} at a time\n`);
      const failures: { cell: PendingCell; why: string }[] = [];
      let next = 0;
      const drain = async () => {
        while (next < pending.length) {
          const p = pending[next++]!;
          let results: RunResults;
          try {
            const text = await request(`${options.endpoint}/run`, { method: 'POST', headers: { 'content-type': 'application/json', ...options.headers }, body: JSON.stringify(p.cell.config) }, attempts, delayMs);
            try {
              results = checkResults(JSON.parse(text));
            } catch {
              throw new Error('the endpoint answered something other than a run\'s results');
            }
            if (cellHash(results.config as Config, options.code) !== p.cell.hash) throw new Error('the endpoint ran another config than the one sent');
          } catch (error) {
            failures.push({ cell: p, why: (error as Error).message });
            continue;
          }
          await writeCellFolder(p.folder, p.cell, results);
          job.finished(p, results);
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency, pending.length) }, drain));
      if (failures.length > 0) throw new IncompleteSweep(failures, pending.length, options.endpoint);
    },
  };
}
