"""numpy evaluating percolab's ReLU teacher for `npm run bench -- teacher`: the same f32 parameters
(the twin's layout [W_0, b_0, W_1, b_1, ...], weights [fan_in, fan_out]), float32 matrix products in
chunks of 65536 rows (what one writes to bound memory), best of 3. Prints {"seconds", "rows",
"pointsPerSecond", "maxAbsDiff" (against percolab's labels), "blas", ...}.
"""
import argparse
import json
import time

from rss import peak_rss_mib


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--points", required=True)
    p.add_argument("--params", required=True)
    p.add_argument("--labels", required=True)
    p.add_argument("--depth", type=int, required=True)
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    x = np.load(a.points)
    n, d = x.shape
    flat = np.load(a.params)
    sizes = [d] + [a.width] * a.depth + [1]
    layers, at = [], 0
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        w = flat[at : at + fan_in * fan_out].reshape(fan_in, fan_out)
        at += fan_in * fan_out
        b = flat[at : at + fan_out]
        at += fan_out
        layers.append((w, b))
    assert at == flat.size, (at, flat.size)

    def teacher(chunk):
        h = chunk
        for i, (w, b) in enumerate(layers):
            h = h @ w + b
            if i + 1 < len(layers):
                np.maximum(h, 0, out=h)
        return h[:, 0]

    baseline = peak_rss_mib()
    with threadpool_limits(limits=a.threads):
        best, y = float("inf"), None
        for _ in range(3):
            t0 = time.perf_counter()
            y = np.concatenate([teacher(x[i : i + 65536]) for i in range(0, n, 65536)])
            best = min(best, time.perf_counter() - t0)
    ours = np.load(a.labels)
    blas = [{k: i.get(k) for k in ("internal_api", "architecture", "num_threads", "version")} for i in threadpool_info() if i.get("user_api") == "blas"]
    print(json.dumps({"seconds": best, "rows": n, "pointsPerSecond": n / best, "maxAbsDiff": float(np.max(np.abs(y - ours))),
                      "labelRms": float(np.sqrt(np.mean(ours.astype(np.float64) ** 2))), "blas": blas,
                      "baselineRssMiB": baseline, "peakRssMiB": peak_rss_mib()}))


if __name__ == "__main__":
    main()
