use crate::score::{nonlinearity, Nonlinearity};
use crate::{check_shape, Fourier, FourierLayout, Layout, Linear, LinearLayout, Mlp, MlpLayout, Teacher, TeacherError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Linear,
    Relu,
    Fourier,
}

/// What to draw; the fields a kind does not use are ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub kind: Kind,
    pub depth: usize,
    pub width: usize,
    pub sigma_w: f64,
    pub sigma_b: f64,
    pub scale: f64,
    pub terms: usize,
    pub max_freq: u32,
}

impl Spec {
    /// Where each parameter of a teacher of this spec on `d` coordinates sits in `parameters()`.
    pub fn layout(&self, d: usize) -> Layout {
        match self.kind {
            Kind::Linear => Layout::Linear(LinearLayout::new(d)),
            Kind::Fourier => Layout::Fourier(FourierLayout::new(d, self.terms)),
            Kind::Relu => {
                let sizes: Vec<usize> = std::iter::once(d).chain(std::iter::repeat(self.width).take(self.depth)).chain(std::iter::once(1)).collect();
                Layout::Relu(MlpLayout::new(sizes.windows(2).map(|w| (w[0], w[1]))))
            }
        }
    }
}

/// How inputs are standardized: `z = (x - offset) / scale` per coordinate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StandardizeBy {
    /// Offset the mean, scale the (population) standard deviation: z-scores.
    Sd,
    /// Offset the minimum, scale the range: every coordinate of the data in [0, 1].
    Range,
}

/// Per-coordinate offset and scale of a data set (sums in f64).
#[derive(Clone, Debug, PartialEq)]
pub struct Standardization {
    pub offset: Vec<f32>,
    pub scale: Vec<f32>,
}

impl Standardization {
    /// The standardization of row-major points, in one call (a [`Standardizer`] over one chunk).
    pub fn of(points: &[f32], d: usize, by: StandardizeBy) -> Result<Standardization, TeacherError> {
        let mut s = Standardizer::new(d, by)?;
        for pass in 0..s.passes() {
            if pass > 0 {
                s.next_pass();
            }
            s.observe(points)?;
        }
        Ok(s.finish())
    }
}

/// A standardization accumulated over rows seen in chunks, in order: the one implementation, whether the
/// points are in memory or streamed. `Range` takes one pass (per-coordinate min and max); `Sd` takes
/// two over the same rows (the mean from f64 sums, then the f64 sum of squared deviations from it, the
/// two-pass form that does not lose the variance to cancellation), with `next_pass` between them.
#[derive(Clone, Debug)]
pub struct Standardizer {
    by: StandardizeBy,
    d: usize,
    pass: usize,
    rows: [u64; 2],
    lo: Vec<f32>,
    hi: Vec<f32>,
    sums: Vec<f64>,
    mean: Vec<f64>,
}

impl Standardizer {
    pub fn new(d: usize, by: StandardizeBy) -> Result<Standardizer, TeacherError> {
        if d == 0 {
            return Err(TeacherError::Dimension);
        }
        let (lo, hi) = (vec![f32::INFINITY; d], vec![f32::NEG_INFINITY; d]);
        Ok(Standardizer { by, d, pass: 0, rows: [0; 2], lo, hi, sums: vec![0.0; d], mean: Vec::new() })
    }

    /// Passes over the rows this standardization needs: 1 (range) or 2 (sd).
    pub fn passes(&self) -> usize {
        if self.by == StandardizeBy::Range { 1 } else { 2 }
    }

    /// Adds rows (row-major, `d` per row) to the current pass.
    pub fn observe(&mut self, points: &[f32]) -> Result<(), TeacherError> {
        check_shape(points, self.d)?;
        self.rows[self.pass] += (points.len() / self.d) as u64;
        match (self.by, self.pass) {
            (StandardizeBy::Range, _) => {
                for row in points.chunks_exact(self.d) {
                    for ((l, h), &x) in self.lo.iter_mut().zip(self.hi.iter_mut()).zip(row) {
                        *l = l.min(x);
                        *h = h.max(x);
                    }
                }
            }
            (StandardizeBy::Sd, 0) => {
                for row in points.chunks_exact(self.d) {
                    for (m, &x) in self.sums.iter_mut().zip(row) {
                        *m += x as f64;
                    }
                }
            }
            (StandardizeBy::Sd, _) => {
                for row in points.chunks_exact(self.d) {
                    for ((v, &x), m) in self.sums.iter_mut().zip(row).zip(&self.mean) {
                        *v += (x as f64 - m).powi(2);
                    }
                }
            }
        }
        Ok(())
    }

    /// Ends the first pass of `Sd` (the mean is known); the same rows must be observed again.
    pub fn next_pass(&mut self) {
        assert!(self.pass + 1 < self.passes(), "a {:?} standardization has {} pass(es)", self.by, self.passes());
        let n = self.rows[0].max(1) as f64;
        self.mean = self.sums.iter().map(|&s| s / n).collect();
        self.sums.iter_mut().for_each(|s| *s = 0.0);
        self.pass += 1;
    }

    /// The offset and scale; panics unless every pass was taken (over the same number of rows).
    pub fn finish(self) -> Standardization {
        assert_eq!(self.pass + 1, self.passes(), "finish() before the last pass");
        if self.by == StandardizeBy::Range {
            let scale = self.lo.iter().zip(&self.hi).map(|(&l, &h)| if h > l { (h as f64 - l as f64) as f32 } else { 0.0 }).collect();
            return Standardization { offset: self.lo, scale };
        }
        assert_eq!(self.rows[0], self.rows[1], "the second pass must see the rows of the first");
        let n = self.rows[0].max(1) as f64;
        Standardization { offset: self.mean.iter().map(|&m| m as f32).collect(), scale: self.sums.iter().map(|&v| (v / n).sqrt() as f32).collect() }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum AnyTeacher {
    Linear(Linear),
    Mlp(Mlp),
    Fourier(Fourier),
}

/// Stream index of the `draw`-th candidate for teacher `index`: the first draw uses `index` itself.
fn draw_index(index: u64, draw: usize) -> u64 {
    index | ((draw as u64) << 32)
}

impl AnyTeacher {
    /// One draw of `spec` from the teacher stream `(seed, Teacher, index)`. A Fourier teacher is
    /// standardized by `standardization` (identity when absent).
    pub fn draw(spec: &Spec, seed: u64, index: u64, d: usize, standardization: Option<&Standardization>) -> Result<AnyTeacher, TeacherError> {
        Ok(match spec.kind {
            Kind::Linear => AnyTeacher::Linear(Linear::draw(seed, index, d)?),
            Kind::Relu => AnyTeacher::Mlp(Mlp::draw(seed, index, d, spec.depth, spec.width, spec.sigma_w, spec.sigma_b, spec.scale)?),
            Kind::Fourier => {
                let f = Fourier::draw(seed, index, d, spec.terms, spec.max_freq, spec.scale)?;
                AnyTeacher::Fourier(match standardization {
                    Some(s) if s.offset.len() == d => f.standardized(&s.offset, &s.scale),
                    Some(s) => return Err(TeacherError::Parameter(format!("standardization has {} coordinates, the teacher {d}", s.offset.len()))),
                    None => f,
                })
            }
        })
    }

    /// Draws until the non-linearity score is at or below `threshold` (when given), at most `max_draws`
    /// times; returns the teacher, its score (when `repetitions > 0` or vetting) and the draws it took.
    #[allow(clippy::too_many_arguments)]
    pub fn vetted(
        spec: &Spec,
        seed: u64,
        index: u64,
        d: usize,
        standardization: Option<&Standardization>,
        threshold: Option<f64>,
        max_draws: usize,
        repetitions: usize,
    ) -> Result<(AnyTeacher, Option<Nonlinearity>, usize), TeacherError> {
        let Some(threshold) = threshold else {
            let t = AnyTeacher::draw(spec, seed, index, d, standardization)?;
            let score = (repetitions > 0).then(|| t.nonlinearity(seed, index, repetitions));
            return Ok((t, score, 1));
        };
        let mut best = f64::INFINITY;
        for draw in 0..max_draws.max(1) {
            let at = draw_index(index, draw);
            let t = AnyTeacher::draw(spec, seed, at, d, standardization)?;
            let score = t.nonlinearity(seed, at, repetitions.max(1));
            if score.score <= threshold {
                return Ok((t, Some(score), draw + 1));
            }
            best = best.min(score.score);
        }
        Err(TeacherError::Vetting { threshold, draws: max_draws.max(1), best })
    }

    /// The score of the function on its own input space: a Fourier teacher is scored on standardized
    /// coordinates, so its score does not depend on the data it was standardized by.
    pub fn nonlinearity(&self, seed: u64, index: u64, repetitions: usize) -> Nonlinearity {
        const SLICE_POINTS: usize = 64;
        match self {
            AnyTeacher::Fourier(f) => {
                let d = f.dimension;
                let core = Fourier { offset: vec![0.0; d], inv_scale: vec![1.0; d], ..f.clone() };
                nonlinearity(&core, seed, index, repetitions, SLICE_POINTS)
            }
            other => nonlinearity(other, seed, index, repetitions, SLICE_POINTS),
        }
    }

    /// Where each parameter sits in `parameters()`.
    pub fn layout(&self) -> Layout {
        match self {
            AnyTeacher::Linear(t) => Layout::Linear(t.layout()),
            AnyTeacher::Mlp(t) => Layout::Relu(t.layout()),
            AnyTeacher::Fourier(t) => Layout::Fourier(t.layout()),
        }
    }

    /// The parameters in the layout of the kind's GPU kernel.
    pub fn parameters(&self) -> Vec<f32> {
        match self {
            AnyTeacher::Linear(t) => t.parameters(),
            AnyTeacher::Mlp(t) => t.parameters(),
            AnyTeacher::Fourier(t) => t.parameters(),
        }
    }
}

impl Teacher for AnyTeacher {
    fn dimension(&self) -> usize {
        match self {
            AnyTeacher::Linear(t) => t.dimension(),
            AnyTeacher::Mlp(t) => t.dimension(),
            AnyTeacher::Fourier(t) => t.dimension(),
        }
    }
    fn evaluate_into(&self, points: &[f32], out: &mut [f32]) {
        match self {
            AnyTeacher::Linear(t) => t.evaluate_into(points, out),
            AnyTeacher::Mlp(t) => t.evaluate_into(points, out),
            AnyTeacher::Fourier(t) => t.evaluate_into(points, out),
        }
    }
}

/// Brill's per-cluster teachers: cluster `c` is labelled by the teacher drawn with index `c`.
/// Teachers are held for the clusters present only, in ascending id order (their "slots").
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterTeachers {
    pub ids: Vec<u32>,
    pub teachers: Vec<AnyTeacher>,
}

impl ClusterTeachers {
    pub fn draw(spec: &Spec, seed: u64, d: usize, point_ids: &[u32], standardization: Option<&Standardization>) -> Result<ClusterTeachers, TeacherError> {
        let mut ids = point_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let teachers = ids.iter().map(|&c| AnyTeacher::draw(spec, seed, c as u64, d, standardization)).collect::<Result<_, _>>()?;
        Ok(ClusterTeachers { ids, teachers })
    }

    /// The slot of each point's cluster (its teacher's position in `teachers`).
    pub fn slots(&self, point_ids: &[u32]) -> Result<Vec<u32>, TeacherError> {
        point_ids
            .iter()
            .map(|c| self.ids.binary_search(c).map(|s| s as u32).map_err(|_| TeacherError::Parameter(format!("no teacher was drawn for cluster {c}"))))
            .collect()
    }

    /// Labels of row-major points, each by its own cluster's teacher. Rows of one cluster are gathered
    /// and evaluated together, so each kind keeps its blocked kernel.
    pub fn evaluate(&self, points: &[f32], point_ids: &[u32]) -> Result<Vec<f32>, TeacherError> {
        let d = self.teachers.first().map(|t| t.dimension()).ok_or(TeacherError::Parameter("no clusters".into()))?;
        check_shape(points, d)?;
        let n = points.len() / d;
        if point_ids.len() != n {
            return Err(TeacherError::Ids { ids: point_ids.len(), points: n });
        }
        let slots = self.slots(point_ids)?;
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|&i| slots[i as usize]);
        let mut out = vec![0f32; n];
        let mut start = 0;
        while start < n {
            let slot = slots[order[start] as usize];
            let mut end = start;
            while end < n && slots[order[end] as usize] == slot {
                end += 1;
            }
            let rows = &order[start..end];
            let mut x = Vec::with_capacity(rows.len() * d);
            for &r in rows {
                x.extend_from_slice(&points[r as usize * d..(r as usize + 1) * d]);
            }
            let mut y = vec![0f32; rows.len()];
            self.teachers[slot as usize].evaluate_into(&x, &mut y);
            for (&r, v) in rows.iter().zip(y) {
                out[r as usize] = v;
            }
            start = end;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: Kind) -> Spec {
        Spec { kind, depth: 2, width: 16, sigma_w: 2f64.sqrt(), sigma_b: 0.0, scale: 1.0, terms: 8, max_freq: 1 }
    }

    #[test]
    fn cluster_teachers_label_each_cluster_by_its_own_function() {
        let d = 3;
        let points: Vec<f32> = (0..60).map(|i| (i as f32 * 0.37).sin()).collect();
        let ids: Vec<u32> = (0..20).map(|i| [7u32, 2, 7, 40][i % 4]).collect();
        for kind in [Kind::Linear, Kind::Relu, Kind::Fourier] {
            let set = ClusterTeachers::draw(&spec(kind), 9, d, &ids, None).unwrap();
            assert_eq!(set.ids, vec![2, 7, 40]);
            let y = set.evaluate(&points, &ids).unwrap();
            for (p, &c) in ids.iter().enumerate() {
                let own = AnyTeacher::draw(&spec(kind), 9, c as u64, d, None).unwrap();
                assert_eq!(y[p], own.evaluate(&points[p * d..p * d + d]).unwrap()[0]);
            }
            assert!(matches!(set.evaluate(&points, &ids[..5]), Err(TeacherError::Ids { .. })));
            assert!(set.evaluate(&points, &vec![3; 20]).is_err());
        }
    }

    #[test]
    fn vetting_respects_its_threshold_and_fails_clearly() {
        let s = spec(Kind::Relu);
        let (t, score, draws) = AnyTeacher::vetted(&s, 1, 0, 4, None, Some(0.9), 50, 50).unwrap();
        let score = score.unwrap();
        assert!(score.score <= 0.9, "{score:?}");
        assert_eq!(score, t.nonlinearity(1, draw_index(0, draws - 1), 50));
        // A linear teacher scores 1: no draw can meet a threshold below it.
        let err = AnyTeacher::vetted(&spec(Kind::Linear), 1, 0, 4, None, Some(0.5), 3, 20).unwrap_err();
        assert!(matches!(err, TeacherError::Vetting { draws: 3, .. }), "{err}");
    }

    #[test]
    fn standardization_is_the_sample_mean_and_sd_or_the_range() {
        let s = Standardization::of(&[1.0, 10.0, 3.0, 10.0], 2, StandardizeBy::Sd).unwrap();
        assert_eq!(s, Standardization { offset: vec![2.0, 10.0], scale: vec![1.0, 0.0] });
        let r = Standardization::of(&[1.0, 10.0, 3.0, 10.0, -2.0, 10.0], 2, StandardizeBy::Range).unwrap();
        assert_eq!(r, Standardization { offset: vec![-2.0, 10.0], scale: vec![5.0, 0.0] });
    }

    #[test]
    fn a_standardizer_over_chunks_gives_the_bits_of_one_call() {
        let d = 3;
        let points: Vec<f32> = (0..3000).map(|i| 1e4 + (i as f32 * 0.731).sin() * (1 + i % 7) as f32).collect();
        for by in [StandardizeBy::Range, StandardizeBy::Sd] {
            let whole = Standardization::of(&points, d, by).unwrap();
            let mut s = Standardizer::new(d, by).unwrap();
            for pass in 0..s.passes() {
                if pass > 0 {
                    s.next_pass();
                }
                for chunk in points.chunks(7 * d) {
                    s.observe(chunk).unwrap();
                }
            }
            assert_eq!(s.finish(), whole, "{by:?}");
        }
        assert!(Standardizer::new(2, StandardizeBy::Sd).unwrap().observe(&[1.0, 2.0, 3.0]).is_err());
    }
}
