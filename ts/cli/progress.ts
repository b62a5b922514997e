import cliProgress from 'cli-progress';

/** A progress bar on stderr that appears only once work has taken longer than `delayMs`. */
export function delayedProgress(label: string, delayMs = 1000, enabled = true, unit = 'seeds') {
  let bar: cliProgress.SingleBar | undefined;
  let latest = { done: 0, total: 1 };
  const start = Date.now();
  const rate = () => Math.round(latest.done / Math.max(1e-3, (Date.now() - start) / 1000));
  const timer = enabled
    ? setTimeout(() => {
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: unit === 'steps' ? `${label} [{bar}] {value}/{total} steps | {rate} steps/s | ETA {eta_formatted}` : `${label} [{bar}] {value}/{total} ${unit} | {duration_formatted}`, noTTYOutput: true, notTTYSchedule: 5000, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(latest.total, latest.done, { rate: rate() });
      }, delayMs)
    : undefined;
  timer?.unref?.();
  return {
    update(done: number, total: number) {
      latest = { done, total };
      bar?.setTotal(total);
      bar?.update(done, { rate: rate() });
    },
    stop() {
      clearTimeout(timer);
      bar?.stop();
    },
  };
}
