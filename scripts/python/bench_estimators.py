"""One scikit-dimension timing for `npm run bench -- estimators`: TwoNN or MLE on a .npy file, at the
same parameters as percolab (TwoNN discard_fraction 0.1; MLE k = 20, comb = "mle"; no bootstrap).

Run in its own process; prints {"seconds", "dimension", "baselineRssMiB", "peakRssMiB"}.
"""
import argparse
import json
import time

from rss import peak_rss_mib


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--method", required=True, choices=["twonn", "mle"])
    p.add_argument("--points", required=True)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    import numpy as np
    import skdim

    baseline = peak_rss_mib()
    x = np.load(a.points)
    t0 = time.perf_counter()
    if a.method == "twonn":
        d = skdim.id.TwoNN().fit(x).dimension_
    else:
        d = skdim.id.MLE().fit(x, n_jobs=a.threads).dimension_
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "dimension": float(d), "baselineRssMiB": baseline, "peakRssMiB": peak_rss_mib()}))


if __name__ == "__main__":
    main()
