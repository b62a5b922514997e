//! Controls of known intrinsic dimension `D`, to check estimators and scaling against the percolation data:
//! uniform samples of the cube `[0, s]^D` (or `[-s/2, s/2]^D`), the sphere `S^D` of radius `s` in
//! `R^(D+1)`, and the flat torus `T^D`, a product of `D` circles of radius `s` in `R^(2D)`. Each is placed
//! in `R^d` by a linear isometry: its native coordinates times a random orthonormal frame (`native`
//! orthonormal vectors in `R^d`, Haar-distributed: a Gaussian matrix orthonormalised by Gram–Schmidt,
//! which is its QR factor with a positive diagonal).
//!
//! Streams: points from `(Manifold, index)` (one point after another, so chunks concatenate to the
//! whole); the frame from `(Manifold, 2^44 | index)`, drawn column after column.

use percolab_random::{stream, ChaCha8Rng, Purpose, RngExt};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

const FRAME: u64 = 1 << 44;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Manifold {
    /// `[0, s]^D`, or `[-s/2, s/2]^D` when centred.
    Cube,
    /// `S^D`: the unit `D`-sphere in `R^(D+1)`, scaled by `s`.
    Sphere,
    /// `T^D`: `(s cos t_1, s sin t_1, ..., s cos t_D, s sin t_D)`, flat (a product of circles).
    Torus,
}

impl Manifold {
    /// Dimension of the space it natively lives in: `D`, `D + 1` or `2D`.
    pub fn native_dimension(self, intrinsic: usize) -> usize {
        match self {
            Manifold::Cube => intrinsic,
            Manifold::Sphere => intrinsic + 1,
            Manifold::Torus => 2 * intrinsic,
        }
    }

    /// `"cube"`, `"sphere"` or `"torus"`.
    pub fn from_name(name: &str) -> Option<Manifold> {
        match name {
            "cube" => Some(Manifold::Cube),
            "sphere" => Some(Manifold::Sphere),
            "torus" => Some(Manifold::Torus),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ManifoldOptions {
    pub manifold: Manifold,
    /// Intrinsic dimension `D >= 1`.
    pub intrinsic: usize,
    /// Ambient dimension `d >= native_dimension(D)`.
    pub ambient: usize,
    /// `s`: cube side, sphere radius, or circle radius of the torus; finite and `> 0`.
    pub scale: f64,
    /// Cube only: centre it on the origin.
    pub centred: bool,
}

impl Default for ManifoldOptions {
    fn default() -> Self {
        ManifoldOptions { manifold: Manifold::Cube, intrinsic: 4, ambient: 16, scale: 1.0, centred: false }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ManifoldError {
    Intrinsic(usize),
    Ambient { ambient: usize, native: usize },
    Scale(f64),
    Index(u64),
}

impl std::fmt::Display for ManifoldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManifoldError::Intrinsic(k) => write!(f, "intrinsic dimension must be at least 1, got {k}"),
            ManifoldError::Ambient { ambient, native } => write!(
                f,
                "ambient dimension {ambient} is below the manifold's native dimension {native}: an isometric linear \
                 embedding needs at least {native}"
            ),
            ManifoldError::Scale(s) => write!(f, "scale must be finite and > 0, got {s}"),
            ManifoldError::Index(i) => write!(f, "manifold index must be below 2^44, got {i}"),
        }
    }
}

impl std::error::Error for ManifoldError {}

/// One uniform point of the manifold in its native coordinates (`out.len()` = native dimension).
pub fn native_point<R: Rng + ?Sized>(rng: &mut R, options: &ManifoldOptions, out: &mut [f64]) {
    let s = options.scale;
    match options.manifold {
        Manifold::Cube => {
            let shift = if options.centred { s / 2.0 } else { 0.0 };
            out.iter_mut().for_each(|x| *x = rng.random::<f64>() * s - shift);
        }
        Manifold::Sphere => {
            // A standard Gaussian vector is isotropic: its direction is uniform on the sphere.
            loop {
                out.iter_mut().for_each(|x| *x = StandardNormal.sample(rng));
                let norm = libm::sqrt(out.iter().map(|x| x * x).sum());
                if norm > 0.0 {
                    out.iter_mut().for_each(|x| *x *= s / norm);
                    break;
                }
            }
        }
        Manifold::Torus => {
            for pair in out.chunks_exact_mut(2) {
                let t = rng.random::<f64>() * std::f64::consts::TAU;
                pair[0] = s * libm::cos(t);
                pair[1] = s * libm::sin(t);
            }
        }
    }
}

/// `native` orthonormal vectors in `R^ambient`, row-major `[native, ambient]`, distributed as the first
/// `native` columns of a Haar orthogonal matrix: Gaussian vectors orthonormalised by Gram–Schmidt
/// (applied twice, which keeps them orthogonal to rounding).
pub fn haar_frame<R: Rng + ?Sized>(rng: &mut R, ambient: usize, native: usize) -> Vec<f64> {
    assert!(native <= ambient, "{native} orthonormal vectors do not fit in R^{ambient}");
    let mut q = vec![0.0; native * ambient];
    for c in 0..native {
        let (done, rest) = q.split_at_mut(c * ambient);
        let v = &mut rest[..ambient];
        loop {
            v.iter_mut().for_each(|x| *x = StandardNormal.sample(rng));
            for _ in 0..2 {
                for u in done.chunks_exact(ambient) {
                    let dot: f64 = u.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
                    v.iter_mut().zip(u).for_each(|(x, a)| *x -= dot * a);
                }
            }
            let norm = libm::sqrt(v.iter().map(|x| x * x).sum());
            if norm > 1e-8 {
                v.iter_mut().for_each(|x| *x /= norm);
                break;
            }
        }
    }
    q
}

/// Draws points of one manifold in `R^d`, in chunks; `(seed, index, options)` fixes every point.
pub struct ManifoldSampler {
    options: ManifoldOptions,
    frame: Vec<f64>,
    rng: ChaCha8Rng,
    native: Vec<f64>,
}

impl ManifoldSampler {
    pub fn new(seed: u64, index: u64, options: ManifoldOptions) -> Result<ManifoldSampler, ManifoldError> {
        if options.intrinsic == 0 {
            return Err(ManifoldError::Intrinsic(0));
        }
        let native = options.manifold.native_dimension(options.intrinsic);
        if options.ambient < native {
            return Err(ManifoldError::Ambient { ambient: options.ambient, native });
        }
        if !(options.scale.is_finite() && options.scale > 0.0) {
            return Err(ManifoldError::Scale(options.scale));
        }
        if index >= FRAME {
            return Err(ManifoldError::Index(index));
        }
        let frame = haar_frame(&mut stream(seed, Purpose::Manifold, FRAME | index), options.ambient, native);
        Ok(ManifoldSampler { options, frame, rng: stream(seed, Purpose::Manifold, index), native: vec![0.0; native] })
    }

    pub fn options(&self) -> &ManifoldOptions {
        &self.options
    }

    /// The frame, row-major `[native, ambient]`: row `c` is where native axis `c` goes.
    pub fn frame(&self) -> &[f64] {
        &self.frame
    }

    /// Appends `rows` points (row-major f32 `[rows, d]`) to `out`; with `native`, also their native
    /// coordinates (f64 `[rows, native]`).
    pub fn fill(&mut self, out: &mut Vec<f32>, mut native: Option<&mut Vec<f64>>, rows: usize) {
        let d = self.options.ambient;
        for _ in 0..rows {
            native_point(&mut self.rng, &self.options, &mut self.native);
            let start = out.len();
            out.resize(start + d, 0.0);
            for (j, o) in out[start..].iter_mut().enumerate() {
                *o = self.native.iter().enumerate().map(|(c, x)| x * self.frame[c * d + j]).sum::<f64>() as f32;
            }
            if let Some(n) = native.as_deref_mut() {
                n.extend_from_slice(&self.native);
            }
        }
    }

    /// The next `rows` points as a new array.
    pub fn next_chunk(&mut self, rows: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(rows * self.options.ambient);
        self.fill(&mut out, None, rows);
        out
    }
}

/// `n` points of the manifold in `R^d`, row-major `[n, d]` f32.
pub fn sample(seed: u64, index: u64, options: ManifoldOptions, n: usize) -> Result<Vec<f32>, ManifoldError> {
    Ok(ManifoldSampler::new(seed, index, options)?.next_chunk(n))
}

#[cfg(test)]
mod tests;
