//! The closed-form loss: the cross-talk replaced by an independent Gaussian of variance
//! `sigma^2 = (1/r - 1)(p/3 - p^2/4)`, the loss is `min over A > 0, c of E[(ReLU(A(x + c + sigma z)) - x)^2]`.
//! For fixed `x` the inner expectation over `z` is exact (`t = A(x + c + sigma z)` is normal with mean
//! `mu` and sd `s`): `(mu^2 + s^2 - 2 x mu) Phi(mu/s) + (mu - 2x) s phi(mu/s) + x^2`; the average over the
//! uniform part of `x` is composite Gauss–Legendre quadrature.

use crate::minimize::nelder_mead;
use crate::Shape;

/// Nodes per panel on [0, 1], and panels: the integrand bends over a width of about `sigma`, so panels
/// no wider than `sigma / 2`, from 8 to 64 (checked against 4x finer quadrature in the tests).
const NODES: usize = 8;

fn panels_for(sigma: f64) -> usize {
    if sigma > 0.0 {
        ((2.0 / sigma).ceil() as usize).clamp(8, 64)
    } else {
        64
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClosedForm {
    pub loss: f64,
    /// The scale `A`.
    pub a: f64,
    /// The offset `c` added to `x` plus zero-mean cross-talk.
    pub c: f64,
    /// The Hadamard model's `mean` parameter giving that offset: `c` minus the cross-talk's mean.
    pub mean: f64,
    pub sigma: f64,
}

/// Gauss–Legendre nodes and weights on [-1, 1] (Newton on the Legendre polynomial).
fn gauss_legendre(k: usize) -> Vec<(f64, f64)> {
    (0..k)
        .map(|i| {
            let mut x = (core::f64::consts::PI * (i as f64 + 0.75) / (k as f64 + 0.5)).cos();
            let mut derivative = 1.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for j in 2..=k {
                    let p2 = ((2 * j - 1) as f64 * x * p1 - (j - 1) as f64 * p0) / j as f64;
                    p0 = p1;
                    p1 = p2;
                }
                derivative = k as f64 * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / derivative;
                x -= dx;
                if dx.abs() < 1e-16 {
                    break;
                }
            }
            (x, 2.0 / ((1.0 - x * x) * derivative * derivative))
        })
        .collect()
}

/// Nodes and weights of the composite rule on [0, 1].
fn unit_rule(panels: usize) -> Vec<(f64, f64)> {
    let base = gauss_legendre(NODES);
    let h = 1.0 / panels as f64;
    (0..panels).flat_map(|k| base.iter().map(move |&(x, w)| (h * (k as f64 + 0.5 * (x + 1.0)), 0.5 * h * w))).collect()
}

fn normal_cdf(t: f64) -> f64 {
    0.5 * libm::erfc(-t / core::f64::consts::SQRT_2)
}

fn normal_pdf(t: f64) -> f64 {
    (-0.5 * t * t).exp() / (2.0 * core::f64::consts::PI).sqrt()
}

/// `E_z[(ReLU(A(x + c + sigma z)) - x)^2]` for one `x`.
fn loss_at(x: f64, a: f64, c: f64, sigma: f64) -> f64 {
    let mu = a * (x + c);
    let s = a * sigma;
    if s <= 0.0 {
        let y = mu.max(0.0);
        return (y - x) * (y - x);
    }
    let t = mu / s;
    (mu * mu + s * s - 2.0 * x * mu) * normal_cdf(t) + (mu - 2.0 * x) * s * normal_pdf(t) + x * x
}

fn expected_loss_with(rule: &[(f64, f64)], a: f64, c: f64, sigma: f64, p: f64) -> f64 {
    let on: f64 = rule.iter().map(|&(x, w)| w * loss_at(x, a, c, sigma)).sum();
    (1.0 - p) * loss_at(0.0, a, c, sigma) + p * on
}

/// The expected loss per feature at scale `a`, offset `c` and cross-talk sd `sigma`.
pub fn expected_loss(a: f64, c: f64, sigma: f64, p: f64) -> f64 {
    expected_loss_with(&unit_rule(panels_for(sigma)), a, c, sigma, p)
}

/// Same, with `panels` quadrature panels (for convergence checks).
pub fn expected_loss_panels(a: f64, c: f64, sigma: f64, p: f64, panels: usize) -> f64 {
    expected_loss_with(&unit_rule(panels), a, c, sigma, p)
}

/// The closed-form loss of `shape`.
pub fn closed_form(shape: Shape) -> ClosedForm {
    let mut found = closed_form_ratio(shape.ratio(), shape.p);
    found.mean = found.c - shape.crosstalk_mean();
    found
}

/// The closed-form loss at ratio `r = m/n` in (0, 1] and feature probability `p` (for curves over any
/// `r`, not only powers of two), minimised over `A` (as `ln A`) and `c` from a grid of starts, then
/// polished from the best. `mean` assumes `m < n` (cross-talk mean `-p/2`) unless `r = 1`.
pub fn closed_form_ratio(r: f64, p: f64) -> ClosedForm {
    let sigma = ((1.0 / r - 1.0) * (p / 3.0 - p * p / 4.0)).max(0.0).sqrt();
    let rule = unit_rule(panels_for(sigma));
    let f = |v: [f64; 2]| expected_loss_with(&rule, v[0].exp(), v[1], sigma, p);
    // A coarse grid first, then Nelder–Mead from its three best points (the loss has more than one
    // local minimum at large p and small r).
    let mut starts: Vec<([f64; 2], f64)> = [0.6f64, 0.9, 1.3, 1.9, 2.8]
        .iter()
        .flat_map(|&a| [-0.7, -0.5, -0.35, -0.2, -0.05, 0.1].map(|c| [a.ln(), c]))
        .map(|v| (v, f(v)))
        .collect();
    starts.sort_by(|x, y| x.1.total_cmp(&y.1));
    let mut best = ([0.0, 0.0], f64::INFINITY);
    for &(start, _) in starts.iter().take(3) {
        let found = nelder_mead(f, start, [0.1, 0.05], 1e-8 * starts[0].1, 600);
        if found.1 < best.1 {
            best = found;
        }
    }
    let (v, loss) = nelder_mead(f, best.0, [0.01, 0.005], 1e-13 * best.1, 2000);
    let (a, c) = (v[0].exp(), v[1]);
    let mean = if r < 1.0 { c + p / 2.0 } else { c };
    ClosedForm { loss, a, c, mean, sigma }
}
