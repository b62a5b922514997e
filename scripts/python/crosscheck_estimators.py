"""Reference values for `npm run crosscheck`: scikit-dimension's TwoNN, MLE and CorrInt on .npy files.

Prints one JSON object per file: {"file", "twonn", "mle", "corrint"} with each estimator at
scikit-dimension's defaults (TwoNN discard_fraction 0.1; MLE k = 20, comb = "mle"; CorrInt k1 = 10,
k2 = 20), which are percolab's defaults too.
"""
import json
import sys

import numpy as np
import skdim


def main():
    out = []
    for path in sys.argv[1:]:
        x = np.load(path).astype(np.float64)
        out.append({
            "file": path,
            "twonn": float(skdim.id.TwoNN().fit(x).dimension_),
            "mle": float(skdim.id.MLE().fit(x).dimension_),
            "corrint": float(skdim.id.CorrInt().fit(x).dimension_),
        })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
