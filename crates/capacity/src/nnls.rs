//! Non-negative least squares in Gram form: minimise `f(x) = x^T G x / 2 + h^T x` over `x >= 0`, with
//! `G = diag(s) K diag(s)`, `K` symmetric positive semidefinite (`n x n`, row-major) and `s` a vector of
//! signs (the anchor problem's labels, so one Gram matrix serves every dichotomy). This is Lawson & Hanson's active-set
//! method (1974, ch. 23) on the normal equations: the passive set's Cholesky factor is grown by one row
//! per added variable and downdated by Givens rotations when one leaves, so each change costs O(k^2).
//! It starts from `x = 0` (the anchor problems' supports are small, a few per manifold, so adding them
//! one at a time is cheaper than starting from every violated constraint and removing most of them),
//! and ends when no gradient outside the passive set is below `-tolerance`.

/// Gradient entries above `-GRADIENT_TOLERANCE * max |h|` count as zero (scale-free).
pub const GRADIENT_TOLERANCE: f64 = 1e-11;
/// A variable whose Cholesky pivot would fall below this fraction of its diagonal depends on the
/// passive ones; it is skipped until the passive set shrinks.
const DEPENDENCE_TOLERANCE: f64 = 1e-12;

#[derive(Debug, Clone, PartialEq)]
pub enum NnlsError {
    /// The iteration cap was hit (rounding made the active set cycle).
    NoConvergence { iterations: usize },
}

impl std::fmt::Display for NnlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NnlsError::NoConvergence { iterations } => write!(f, "the anchor problem's active-set solver did not converge in {iterations} iterations"),
        }
    }
}

/// The minimiser and how the solve went.
#[derive(Debug, Clone)]
pub struct Solution {
    pub x: Vec<f64>,
    /// Iterations: variables added plus inner steps.
    pub iterations: usize,
    /// Variables with `x > 0`.
    pub passive: usize,
}

/// The Cholesky factor of `G` on the passive set, rows of stride `n` (grown as the set grows: supports
/// are usually far smaller than the problem).
struct Factor<'a> {
    n: usize,
    gram: &'a [f64],
    signs: &'a [f64],
    l: Vec<f64>,
    passive: Vec<usize>,
}

impl Factor<'_> {
    fn entry(&self, i: usize, j: usize) -> f64 {
        self.signs[i] * self.signs[j] * self.gram[i * self.gram_stride() + j]
    }

    fn gram_stride(&self) -> usize {
        self.signs.len()
    }

    /// Appends variable `j`; false (and no change) when it depends on the passive ones.
    fn append(&mut self, j: usize) -> bool {
        let k = self.passive.len();
        if k == self.n {
            let stride = (2 * self.n).min(self.gram_stride()).max(k + 1);
            let mut wider = vec![0.0; stride * stride];
            for r in 0..k {
                wider[r * stride..r * stride + r + 1].copy_from_slice(&self.l[r * self.n..r * self.n + r + 1]);
            }
            self.l = wider;
            self.n = stride;
        }
        let n = self.n;
        let mut row = vec![0.0; k + 1];
        for p in 0..k {
            let dot: f64 = self.l[p * n..p * n + p].iter().zip(&row[..p]).map(|(a, b)| a * b).sum();
            row[p] = (self.entry(self.passive[p], j) - dot) / self.l[p * n + p];
        }
        let diagonal = self.entry(j, j);
        let square = diagonal - row[..k].iter().map(|v| v * v).sum::<f64>();
        if !(square > DEPENDENCE_TOLERANCE * diagonal) || diagonal <= 0.0 {
            return false;
        }
        row[k] = square.sqrt();
        self.l[k * n..k * n + k + 1].copy_from_slice(&row);
        self.passive.push(j);
        true
    }

    /// Removes the variable at position `p`: drop row `p`, then rotate column pairs back to triangular.
    fn remove(&mut self, p: usize) {
        let (n, k) = (self.n, self.passive.len());
        for r in p..k - 1 {
            self.l.copy_within((r + 1) * n..(r + 1) * n + r + 2, r * n);
        }
        for j in p..k - 1 {
            let (a, b) = (self.l[j * n + j], self.l[j * n + j + 1]);
            let r = (a * a + b * b).sqrt();
            let (c, s) = (a / r, b / r);
            for i in j..k - 1 {
                let (x, y) = (self.l[i * n + j], self.l[i * n + j + 1]);
                self.l[i * n + j] = c * x + s * y;
                self.l[i * n + j + 1] = c * y - s * x;
            }
            self.l[j * n + j + 1] = 0.0;
        }
        self.passive.remove(p);
    }

    /// The minimiser of `f` restricted to the passive set: `G_PP z = -h_P`.
    fn solve(&self, h: &[f64]) -> Vec<f64> {
        let (n, k) = (self.n, self.passive.len());
        let mut z: Vec<f64> = self.passive.iter().map(|&j| -h[j]).collect();
        for i in 0..k {
            let dot: f64 = self.l[i * n..i * n + i].iter().zip(&z[..i]).map(|(a, b)| a * b).sum();
            z[i] = (z[i] - dot) / self.l[i * n + i];
        }
        for i in (0..k).rev() {
            let dot: f64 = (i + 1..k).map(|r| self.l[r * n + i] * z[r]).sum();
            z[i] = (z[i] - dot) / self.l[i * n + i];
        }
        z
    }
}

/// Solves the problem; `x` is exactly zero outside the final passive set.
pub fn solve(gram: &[f64], signs: &[f64], h: &[f64]) -> Result<Solution, NnlsError> {
    let n = h.len();
    assert_eq!(gram.len(), n * n, "K must be n x n for h of length n");
    assert_eq!(signs.len(), n, "one sign per variable");
    // The gradient G x + h has the units of h.
    let tolerance = GRADIENT_TOLERANCE * h.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let initial = n.min(64);
    let mut factor = Factor { n: initial, gram, signs, l: vec![0.0; initial * initial], passive: Vec::new() };
    let mut in_passive = vec![false; n];
    let mut blocked = vec![false; n];

    let mut x = vec![0.0; n];

    let cap = 20 * n + 100;
    let mut iterations = 0;
    let mut gradient = vec![0.0; n];
    loop {
        // G x + h = s * (K (s * x)) + h.
        gradient.iter_mut().for_each(|d| *d = 0.0);
        for &j in &factor.passive {
            let sx = signs[j] * x[j];
            gradient.iter_mut().zip(&gram[j * n..(j + 1) * n]).for_each(|(d, kj)| *d += sx * kj);
        }
        gradient.iter_mut().zip(signs).zip(h).for_each(|((d, s), hi)| *d = s * *d + hi);
        let entering = (0..n).filter(|&j| !in_passive[j] && !blocked[j] && gradient[j] < -tolerance).min_by(|&a, &b| gradient[a].total_cmp(&gradient[b]).then(a.cmp(&b)));
        let Some(j) = entering else { break };
        iterations += 1;
        if iterations > cap {
            return Err(NnlsError::NoConvergence { iterations: cap });
        }
        if !factor.append(j) {
            blocked[j] = true;
            continue;
        }
        in_passive[j] = true;
        // Inner loop: step toward the passive optimum until it is feasible.
        loop {
            let z = factor.solve(h);
            if z.iter().all(|&v| v > 0.0) {
                for (&p, &v) in factor.passive.iter().zip(&z) {
                    x[p] = v;
                }
                break;
            }
            let mut step = f64::INFINITY;
            let mut hit = 0;
            for (q, (&p, &v)) in factor.passive.iter().zip(&z).enumerate() {
                if v <= 0.0 {
                    let s = x[p] / (x[p] - v);
                    if s < step {
                        step = s;
                        hit = q;
                    }
                }
            }
            for (&p, &v) in factor.passive.iter().zip(&z) {
                x[p] += step * (v - x[p]);
            }
            x[factor.passive[hit]] = 0.0;
            for q in (0..factor.passive.len()).rev() {
                let p = factor.passive[q];
                if x[p] <= 0.0 {
                    x[p] = 0.0;
                    in_passive[p] = false;
                    factor.remove(q);
                }
            }
            blocked.iter_mut().for_each(|b| *b = false);
            iterations += 1;
            if iterations > cap {
                return Err(NnlsError::NoConvergence { iterations: cap });
            }
        }
    }
    let passive = factor.passive.len();
    Ok(Solution { x, iterations, passive })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// KKT conditions: x >= 0, gradient >= -tol where x = 0, |gradient| small where x > 0.
    fn assert_kkt(g: &[f64], h: &[f64], x: &[f64]) {
        let n = h.len();
        for i in 0..n {
            let grad: f64 = h[i] + (0..n).map(|j| g[i * n + j] * x[j]).sum::<f64>();
            assert!(x[i] >= 0.0);
            if x[i] > 0.0 {
                assert!(grad.abs() < 1e-9, "gradient {grad} at a positive x[{i}]");
            } else {
                assert!(grad > -1e-9, "gradient {grad} at a zero x[{i}]");
            }
        }
    }

    #[test]
    fn diagonal_problem_clips_at_zero() {
        let g = [2.0, 0.0, 0.0, 4.0];
        let h = [-2.0, 4.0];
        let s = solve(&g, &vec![1.0; h.len()], &h).unwrap();
        assert!((s.x[0] - 1.0).abs() < 1e-15 && s.x[1] == 0.0, "{:?}", s.x);
    }

    #[test]
    fn random_anchor_problems_satisfy_kkt_including_rank_deficient_ones() {
        use percolab_random::{stream, Purpose, RngExt};
        for case in 0..50u64 {
            let mut rng = stream(case, Purpose::Capacity, 0);
            let n = 3 + (case as usize % 20) * 5; // up to 98: past the factor's first 64 rows
            let rank = if case % 3 == 0 { n / 2 + 1 } else { n + 2 };
            let b: Vec<f64> = (0..n * rank).map(|_| rng.random::<f64>() * 2.0 - 1.0).collect();
            let k: Vec<f64> = (0..n * n).map(|ij| (0..rank).map(|r| b[(ij / n) * rank + r] * b[(ij % n) * rank + r]).sum()).collect();
            let signs: Vec<f64> = (0..n).map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 }).collect();
            let g: Vec<f64> = (0..n * n).map(|ij| signs[ij / n] * signs[ij % n] * k[ij]).collect();
            // h = diag(s) B t lies in the range of G, as in the anchor problem (else f may be unbounded below).
            let t: Vec<f64> = (0..rank).map(|_| rng.random::<f64>() * 2.0 - 1.0).collect();
            let h: Vec<f64> = (0..n).map(|i| signs[i] * (0..rank).map(|r| b[i * rank + r] * t[r]).sum::<f64>()).collect();
            let s = solve(&k, &signs, &h).unwrap();
            assert_kkt(&g, &h, &s.x);
        }
    }
}
