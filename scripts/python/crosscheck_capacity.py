"""Reference GLUE capacity for `npm run crosscheck -- capacity`: each draw's anchor problem solved by a
general QP solver (cvxopt's interior-point `qp`, tolerances 1e-12, or 1e-11 / 1e-10 where it stalls), the anchors built as vectors in R^N
and every quantity computed with numpy's pseudo-inverse: an implementation independent of percolab's.

Usage:
  crosscheck_capacity.py accuracy CASE.json   percolab's draws (labels, u = Z t) replayed: per-draw a and
                                              every output, from cvxopt's multipliers
  crosscheck_capacity.py timing POINTS.npy IDS.npy DRAWS SEED   the whole reference on its own draws
                                              (t ~ N(0, I_N)), timed
Prints one JSON object.
"""
import json
import sys
import time

import numpy as np
import cvxopt
from cvxopt import solvers

TOLERANCES = (1e-12, 1e-11, 1e-10)
reached = []


def manifolds(points, ids, centre):
    if centre:
        points = points - points.mean(axis=0)
    distinct = np.unique(ids)
    return [points[ids == i] for i in distinct]


def solve_qp(gram, h):
    """min lambda^T G lambda / 2 + h^T lambda, lambda >= 0."""
    k = len(h)
    # The tightest tolerance cvxopt reaches (a singular Gram matrix can stall it at 1e-12).
    for tol in TOLERANCES:
        solvers.options.update(show_progress=False, abstol=tol, reltol=tol, feastol=tol, maxiters=200)
        sol = solvers.qp(cvxopt.matrix(gram), cvxopt.matrix(h), cvxopt.matrix(-np.eye(k)), cvxopt.matrix(np.zeros(k)))
        if sol["status"] == "optimal":
            reached.append(tol)
            break
    else:
        raise RuntimeError(f"cvxopt: {sol['status']} at tolerance {TOLERANCES[-1]}")
    lam = np.array(sol["x"]).ravel()
    # Interior points never reach 0: multipliers below 1e-9 of the largest are the inactive ones.
    return np.where(lam > 1e-9 * lam.max(), lam, 0.0) if lam.max() > 0 else np.zeros(k)


def pinv_form(m, x):
    return float(x @ np.linalg.pinv(m, rcond=1e-10, hermitian=True) @ x)


def mean_abs_cos(a, b):
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    vals = [abs(a[i] @ b[j]) / (na[i] * nb[j]) for i in range(len(a)) for j in range(len(b)) if i != j and na[i] > 0 and nb[j] > 0]
    return float(np.mean(vals)) if vals else 0.0


def glue(zs, draws, solve):
    """draws: (labels per manifold, u = Z t); solve(G, h) -> multipliers. Returns outputs and per-draw a."""
    p = len(zs)
    z = np.concatenate(zs)
    sizes = [len(x) for x in zs]
    blocks = np.repeat(np.arange(p), sizes)
    k0 = z @ z.T
    anchors, weights, a_values = [], [], []
    for labels, u in draws:
        s = labels[blocks]
        lam = solve(k0 * np.outer(s, s), s * u)
        w = np.zeros_like(lam)
        for i in range(p):
            total = lam[blocks == i].sum()
            if total > 0:
                w[blocks == i] = lam[blocks == i] / total
        anchor = np.stack([w[blocks == i] @ zs[i] for i in range(p)])
        st = np.array([w[blocks == i] @ u[blocks == i] for i in range(p)])
        a_values.append(pinv_form(anchor @ anchor.T, st))
        anchors.append(anchor)
        weights.append(w)
    s0 = np.mean(anchors, axis=0)
    w0 = np.mean(weights, axis=0)
    b_values, c_values, axes, centre_axes = [], [], [], []
    for (labels, u), anchor, w in zip(draws, anchors, weights):
        s1 = anchor - s0
        s1t = np.array([(w - w0)[blocks == i] @ u[blocks == i] for i in range(p)])
        b_values.append(pinv_form(s1 @ s1.T, s1t))
        c_values.append(pinv_form(s0 @ s0.T + s1 @ s1.T, s1t))
        axes.append(mean_abs_cos(s1, s1))
        centre_axes.append(mean_abs_cos(s0, s1))
    a, b, c = (np.mean(v) for v in (a_values, b_values, c_values))
    return {
        "capacity": p / a,
        "dimension": b / p,
        "radius": float(np.sqrt(c / (b - c))),
        "utility": c / a,
        "centreAlignment": mean_abs_cos(s0, s0),
        "axesAlignment": float(np.mean(axes)),
        "centreAxesAlignment": float(np.mean(centre_axes)),
    }, a_values


def accuracy(case_file):
    case = json.load(open(case_file))
    d = case["dimension"]
    points = np.array(case["points"], dtype=np.float64).reshape(-1, d)
    zs = manifolds(points, np.array(case["ids"]), case["centre"])
    draws = [(np.array(x["labels"]), np.array(x["projections"])) for x in case["draws"]]
    raw, raw_a = glue(zs, draws, solve_qp)
    return {"raw": raw, "rawA": raw_a}


def timing(points_file, ids_file, n_draws, seed):
    points = np.load(points_file).astype(np.float64)
    zs = manifolds(points, np.load(ids_file), True)
    rng = np.random.default_rng(seed)
    z = np.concatenate(zs)
    start = time.perf_counter()
    draws = []
    for _ in range(n_draws):
        draws.append((rng.choice([-1.0, 1.0], len(zs)), z @ rng.standard_normal(z.shape[1])))
    out, _ = glue(zs, draws, solve_qp)
    return {"seconds": time.perf_counter() - start, "draws": n_draws, **out}


def main():
    if sys.argv[1] == "accuracy":
        result = accuracy(sys.argv[2])
    else:
        result = timing(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    result["cvxoptTolerances"] = {str(t): reached.count(t) for t in TOLERANCES}
    result["cvxopt"] = cvxopt.__version__
    result["numpy"] = np.__version__
    print(json.dumps(result))


if __name__ == "__main__":
    main()
