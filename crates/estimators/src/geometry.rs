//! Exact pair counting for point clouds.

/// The reference squared distance: f64 differences squared and summed in coordinate order.
pub(crate) fn sq_dist(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).fold(0.0, |acc, (&x, &y)| {
        let t = x as f64 - y as f64;
        acc + t * t
    })
}

/// Squared-distance thresholds `T_i` such that `sq <= T_i` exactly when `sqrt(sq) <= r_i`
/// (or `< r_i` if `strict`), for `r_i > 0`, so counts agree with distances computed as `sqrt` of the reference.
pub(crate) fn thresholds(radii: &[f64], strict: bool) -> Vec<f64> {
    let inside = |t: f64, r: f64| if strict { t.sqrt() < r } else { t.sqrt() <= r };
    let (next, prev) = (|t: f64| f64::from_bits(t.to_bits() + 1), |t: f64| f64::from_bits(t.to_bits() - 1));
    radii
        .iter()
        .map(|&r| {
            // r > 0, so t = 0 is inside and the first loop stops; sqrt is monotone.
            let mut t = r * r;
            while !inside(t, r) {
                t = prev(t);
            }
            while inside(next(t), r) {
                t = next(t);
            }
            t
        })
        .collect()
}

/// Per centre, cumulative counts of the *other* points (by index) with squared distance `<= T_i`:
/// row-major `[centres, thresholds]`.
pub(crate) fn ball_counts(points: &[f32], d: usize, centres: &[u32], thresholds: &[f64]) -> Vec<u32> {
    if d == 1 {
        return ball_counts_1d(points, centres, thresholds);
    }
    let nr = thresholds.len();
    let tmax = thresholds[nr - 1];
    let mut out = vec![0u32; centres.len() * nr];
    let mut c64 = vec![0f64; d];
    let mut block = [0f64; 4];
    for (&c, row) in centres.iter().zip(out.chunks_exact_mut(nr)) {
        for (dst, &v) in c64.iter_mut().zip(&points[c as usize * d..][..d]) {
            *dst = v as f64;
        }
        let mut tally = |j: usize, sq: f64| {
            if sq <= tmax && j != c as usize {
                row[thresholds.partition_point(|&t| t < sq)] += 1;
            }
        };
        // Four rows at a time: independent accumulators (each still summed in coordinate order).
        let quads = points.chunks_exact(4 * d);
        let rest = quads.remainder();
        for (qi, q) in quads.enumerate() {
            block.fill(0.0);
            for (j, &cj) in c64.iter().enumerate() {
                for (b, acc) in block.iter_mut().enumerate() {
                    let t = cj - q[b * d + j] as f64;
                    *acc += t * t;
                }
            }
            for (b, &sq) in block.iter().enumerate() {
                tally(qi * 4 + b, sq);
            }
        }
        let base = (points.len() - rest.len()) / d;
        for (i, p) in rest.chunks_exact(d).enumerate() {
            let sq = c64.iter().zip(p).fold(0.0, |acc, (&x, &y)| {
                let t = x - y as f64;
                acc + t * t
            });
            tally(base + i, sq);
        }
        for i in 1..nr {
            row[i] += row[i - 1];
        }
    }
    out
}

/// [`ball_counts`] for d = 1 in O(log n) per count: the rounded `(v - x)^2` is monotone in `v` on
/// each side of `x`, so the points inside form a contiguous run of the sorted values.
fn ball_counts_1d(points: &[f32], centres: &[u32], thresholds: &[f64]) -> Vec<u32> {
    let mut sorted: Vec<f64> = points.iter().map(|&v| v as f64).collect();
    sorted.sort_unstable_by(f64::total_cmp);
    let mut out = Vec::with_capacity(centres.len() * thresholds.len());
    for &c in centres {
        let x = points[c as usize] as f64;
        out.extend(thresholds.iter().map(|&t| {
            let lo = sorted.partition_point(|&v| v < x && (x - v) * (x - v) > t);
            let hi = sorted.partition_point(|&v| v <= x || (x - v) * (x - v) <= t);
            (hi - lo - 1) as u32 // the centre itself is always inside
        }));
    }
    out
}

/// (neighbour scale, diameter estimate) for [`crate::Scales::Auto`]: the median distance of up to 64
/// of `centres` to their `k`-th nearest other point (inf if there are fewer), and a double-sweep
/// diameter.
pub(crate) fn auto_scales(points: &[f32], d: usize, centres: &[u32], k: usize) -> (f64, f64) {
    let n = points.len() / d;
    let row = |i: usize| &points[i * d..][..d];
    let mut best = Vec::with_capacity(n);
    let mut kth: Vec<f64> = centres
        .iter()
        .take(64)
        .map(|&c| {
            best.clear();
            best.extend((0..n).filter(|&j| j != c as usize).map(|j| sq_dist(row(c as usize), row(j))));
            if best.len() < k {
                return f64::INFINITY;
            }
            best.select_nth_unstable_by(k - 1, f64::total_cmp).1.sqrt()
        })
        .collect();
    kth.sort_unstable_by(f64::total_cmp);
    let farthest = |from: usize| (0..n).map(|j| (sq_dist(row(from), row(j)), j)).fold((0.0, from), |a, b| if b.0 > a.0 { b } else { a });
    let (_, a) = farthest(0);
    (kth[(kth.len() - 1) / 2], farthest(a).0.sqrt())
}
