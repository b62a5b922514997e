"""One anchor timing for `npm run bench -- neighbors`: exact k-NN of QUERY among TRAIN (.npy float32).

Run once per (method, files, k) in its own process so peak RSS belongs to that method alone. Prints one
JSON object: build and query seconds, peak RSS (MiB), and a checksum of the neighbour indices.
"""
import argparse
import json
import time

from rss import peak_rss_mib

import numpy as np


CHECKED = 50


def reference64(a):
    """Every neighbour of the first CHECKED queries by float64 brute force, ties to the lower index."""
    x = np.load(a.train)
    q = np.load(a.query)[:CHECKED].astype(np.float64)
    rows = []
    for qi in q:
        dist = np.zeros(len(x))
        for lo in range(0, len(x), 1 << 16):
            diff = x[lo:lo + (1 << 16)].astype(np.float64) - qi
            dist[lo:lo + (1 << 16)] = np.einsum("ij,ij->i", diff, diff)
        rows.append(np.lexsort((np.arange(len(x)), dist))[:a.k])
    print(json.dumps({"build": 0, "query": 0, "firstNeighbours": np.asarray(rows).astype(np.int64).ravel().tolist()}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--method", required=True, choices=["ckdtree", "sk_kd_tree", "sk_ball_tree", "sk_brute", "faiss_flat", "reference64"])
    p.add_argument("--train", required=True)
    p.add_argument("--query", required=True)
    p.add_argument("--k", type=int, required=True)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    if a.method == "reference64":
        return reference64(a)
    # Load the method's libraries first: the peak RSS so far is the baseline that data and index add to.
    if a.method == "ckdtree":
        import scipy.spatial  # noqa: F401
    elif a.method.startswith("sk_"):
        import sklearn.neighbors  # noqa: F401
    else:
        import faiss  # noqa: F401
    baseline = peak_rss_mib()
    x = np.load(a.train)
    q = np.load(a.query)
    t0 = time.perf_counter()
    if a.method == "ckdtree":
        from scipy.spatial import cKDTree
        index = cKDTree(x)
        query = lambda: index.query(q, k=a.k, workers=a.threads)[1]  # noqa: E731
    elif a.method.startswith("sk_"):
        from sklearn.neighbors import KNeighborsRegressor
        algorithm = a.method[3:]
        model = KNeighborsRegressor(n_neighbors=a.k, algorithm=algorithm, n_jobs=a.threads)
        model.fit(x, np.zeros(len(x), dtype=np.float32))
        query = lambda: model.kneighbors(q)[1]  # noqa: E731
    else:
        import faiss
        faiss.omp_set_num_threads(a.threads)
        index = faiss.IndexFlatL2(x.shape[1])
        index.add(x)
        query = lambda: index.search(q, a.k)[1]  # noqa: E731
    t1 = time.perf_counter()
    # Best of three query batches, as for ours; what the first takes beyond the best counts as building.
    best = float("inf")
    first = None
    for _ in range(3):
        t = time.perf_counter()
        idx = query()
        elapsed = time.perf_counter() - t
        first = elapsed if first is None else first
        best = min(best, elapsed)
    idx = np.asarray(idx).reshape(len(q), -1)
    from threadpoolctl import threadpool_info
    blas = sorted({f"{i.get('internal_api')}:{i.get('architecture')}" for i in threadpool_info()})
    print(json.dumps({
        "build": t1 - t0 + first - best,
        "firstQueryExcess": first - best,
        "query": best,
        "baselineRssMiB": baseline,
        "peakRssMiB": peak_rss_mib(),
        "firstNeighbours": idx[:CHECKED].astype(np.int64).ravel().tolist(),
        "blas": blas,
    }))


if __name__ == "__main__":
    main()
