import { setFlagsFromString } from 'node:v8';

/**
 * V8 runs new wasm in its baseline tier and only swaps in optimised code on a function's next call; our
 * kernels are few long calls, so they are compiled optimised (measured 2-3x on the first call). The flag is
 * process-wide and changes V8's flag hash, which makes a worker started afterwards compile Node's own
 * modules without their code cache (about 40 ms more to start one): so helper threads set it themselves,
 * once started (workers/wasm-thread-node.ts), before they compile any wasm. Its own module, so that the
 * helper's bundle takes this and not the loader.
 */
export function optimiseWasm(): void {
  setFlagsFromString('--no-liftoff');
}
