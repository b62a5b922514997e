//! Nelder–Mead in two dimensions: the closed form and the simulated model each minimise a smooth
//! function of two scalars that is cheap to evaluate and has no convenient gradient at the kinks.

/// The minimum of `f` from `start`, with initial simplex steps `step`; stops when the simplex's
/// values agree to `tolerance` (absolute) or after `max_evaluations`.
pub fn nelder_mead(mut f: impl FnMut([f64; 2]) -> f64, start: [f64; 2], step: [f64; 2], tolerance: f64, max_evaluations: usize) -> ([f64; 2], f64) {
    let mut simplex = [start, [start[0] + step[0], start[1]], [start[0], start[1] + step[1]]];
    let mut values = simplex.map(&mut f);
    let mut evaluations = 3;
    let lerp = |a: [f64; 2], b: [f64; 2], t: f64| [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    while evaluations < max_evaluations {
        let mut order = [0, 1, 2];
        order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
        simplex = order.map(|i| simplex[i]);
        values = order.map(|i| values[i]);
        if (values[2] - values[0]).abs() <= tolerance {
            break;
        }
        let centroid = lerp(simplex[0], simplex[1], 0.5);
        let reflected = lerp(centroid, simplex[2], -1.0);
        let fr = f(reflected);
        evaluations += 1;
        if fr < values[0] {
            let expanded = lerp(centroid, simplex[2], -2.0);
            let fe = f(expanded);
            evaluations += 1;
            (simplex[2], values[2]) = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < values[1] {
            (simplex[2], values[2]) = (reflected, fr);
        } else {
            let contracted = if fr < values[2] { lerp(centroid, reflected, 0.5) } else { lerp(centroid, simplex[2], 0.5) };
            let fc = f(contracted);
            evaluations += 1;
            if fc < values[2].min(fr) {
                (simplex[2], values[2]) = (contracted, fc);
            } else {
                for k in 1..3 {
                    simplex[k] = lerp(simplex[0], simplex[k], 0.5);
                    values[k] = f(simplex[k]);
                }
                evaluations += 2;
            }
        }
    }
    let best = (0..3).min_by(|&i, &j| values[i].total_cmp(&values[j])).unwrap_or(0);
    (simplex[best], values[best])
}
