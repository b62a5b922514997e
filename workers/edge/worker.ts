// The edge worker (Cloudflare Workers / workerd): one experiment per request, on the single-threaded
// SIMD kernels, whose .wasm sits beside the bundle and is imported as a compiled module (workerd refuses
// to compile wasm from bytes). `percolab sweep --executor http` sends it one cell per request.
//   GET /      -> { percolab, code, kernels, threads }
//   POST /run  -> the run's results.json (400: invalid config; 507: over the memory limit)
import type { Remote } from 'comlink';
import { resolveConfig, rowsPerSeed } from '../../ts/config/load.js';
import type { Config } from '../../ts/config/schema.js';
import { UsageError } from '../../ts/errors.js';
import { runExperiment } from '../../ts/experiment/run.js';
import { type CellApi, WorkerPool } from '../../ts/pool/pool.js';
import { version } from '../../ts/version.js';
import { instantiateKernels, KernelError, type Kernels } from '../../ts/wasm/kernels.js';
import { cellApi } from '../cell-api.js';
import simdModule from './percolab-simd.wasm';

declare const __PERCOLAB_KERNELS_SHA256__: string;

export interface Env {
  /**
   * The wasm memory a run may use, in MB. Default 64: half of Workers' 128 MB per isolate, as the JS
   * heap holds copies of the data and results besides.
   */
  MEMORY_LIMIT_MB?: string;
}

/** The run needs more memory than the worker may use. */
class OverMemory extends Error {}

// One instance per isolate, made on the first request (nothing random may run at the top level).
let kernels: Kernels | undefined;

const json = (status: number, body: unknown) => new Response(`${JSON.stringify(body, null, 2)}\n`, { status, headers: { 'content-type': 'application/json' } });
const failure = (status: number, error: string) => json(status, { error });
const isMemoryFailure = (error: unknown) => error instanceof RangeError || /memory allocation|out of memory|capacity overflow|Cannot allocate|Out of bounds memory/i.test((error as Error)?.message ?? '');

const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const advice = 'run this cell with --executor local or slurm, or make it smaller (sizes, testSize, data)';

async function run(config: Config, limitBytes: number) {
  // A seed's points live twice at least (the JS array and the kernels' copy): refuse before allocating.
  const rows = rowsPerSeed(config);
  if (rows !== undefined && 2 * rows * config.data.dimension * 4 > limitBytes) {
    throw new OverMemory(`the run needs more than the worker's ${megabytes(limitBytes)} of memory (${rows} points of dimension ${config.data.dimension} per seed, held twice: ${megabytes(2 * rows * config.data.dimension * 4)}): ${advice}`);
  }
  // wasm-bindgen keeps one instance per isolate; its memory never shrinks, so only growth is this run's doing.
  const instance = (kernels ??= instantiateKernels(simdModule, 'simd', __PERCOLAB_KERNELS_SHA256__));
  const before = instance.memoryBytes();
  const check = () => {
    const used = instance.memoryBytes();
    if (used > limitBytes && used > before) throw new OverMemory(`the run needs more than the worker's ${megabytes(limitBytes)} of memory (wasm memory grew to ${megabytes(used)}): ${advice}`);
  };
  // The pool's contract served in this thread: a Worker has no threads.
  const pool = new WorkerPool([{ api: cellApi(instance) as unknown as Remote<CellApi>, died: new Promise<never>(() => {}), terminate: () => {} }]);
  const results = await runExperiment(config, { pool, onProgress: check });
  check();
  return results;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/' && request.method === 'GET') return json(200, { percolab: version, code: `${version}+${__PERCOLAB_KERNELS_SHA256__.slice(0, 16)}`, kernels: 'simd', threads: 1 });
    if (pathname !== '/run') return failure(404, `no ${pathname}: GET / or POST /run`);
    if (request.method !== 'POST') return failure(405, 'POST a config (JSON) to /run');
    let config: Config;
    try {
      const input: unknown = JSON.parse(await request.text());
      config = resolveConfig(input);
      if (config.data.kind === 'file') throw new UsageError('data.kind "file" cannot run on the edge worker (it has no file system): run it locally or on Slurm');
    } catch (error) {
      if (error instanceof SyntaxError) return failure(400, `malformed JSON: ${error.message}`);
      if (error instanceof UsageError) return failure(400, error.message);
      throw error;
    }
    const limitMb = Number(env.MEMORY_LIMIT_MB ?? 64);
    try {
      return json(200, await run(config, limitMb * 2 ** 20));
    } catch (error) {
      const over = error instanceof OverMemory || isMemoryFailure(error);
      if (error instanceof OverMemory) return failure(507, error.message);
      if (over) return failure(507, `the run ran out of the worker's memory (${limitMb} MB): ${(error as Error).message}; ${advice}`);
      if (error instanceof UsageError || error instanceof KernelError) return failure(400, error.message);
      return failure(500, `internal error: ${(error as Error).name}: ${(error as Error).message}`);
    }
  },
};
