//! The float types a network runs in: f32 for training, f64 for gradient checks. The matrix product is
//! defined element by element (a sum in `k` order, multiply then add, never fused), so the SIMD kernel,
//! the scalar one and every thread count give the same bits.

use core::fmt::Debug;
use core::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

pub trait Real:
    Copy
    + Send
    + Sync
    + Debug
    + Default
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + 'static
{
    const ZERO: Self;
    const ONE: Self;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn tanh(self) -> Self;
    fn erf(self) -> Self;
    fn exp(self) -> Self;
    fn sqrt(self) -> Self;

    /// `c[i*ldc + j] += sum_{p < k} a[i*ars + p*acs] * b[p*ldb + j]` for `i < m`, `j < n`; each element is
    /// updated in `p` order, `c = c + a*b`.
    #[allow(clippy::too_many_arguments)]
    fn gemm(m: usize, n: usize, k: usize, a: &[Self], ars: usize, acs: usize, b: &[Self], ldb: usize, c: &mut [Self], ldc: usize) {
        gemm_scalar(m, n, k, a, ars, acs, b, ldb, c, ldc);
    }
}

/// Rows and columns of the register block: 4 rows of A broadcast against 8 columns of B.
const MR: usize = 4;
const NR: usize = 8;

#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn gemm_scalar<T: Real>(m: usize, n: usize, k: usize, a: &[T], ars: usize, acs: usize, b: &[T], ldb: usize, c: &mut [T], ldc: usize) {
    let mut i = 0;
    while i + MR <= m {
        let mut j = 0;
        while j + NR <= n {
            let mut acc = [[T::ZERO; NR]; MR];
            for (r, row) in acc.iter_mut().enumerate() {
                row.copy_from_slice(&c[(i + r) * ldc + j..(i + r) * ldc + j + NR]);
            }
            for p in 0..k {
                let bp = &b[p * ldb + j..p * ldb + j + NR];
                for (r, row) in acc.iter_mut().enumerate() {
                    let av = a[(i + r) * ars + p * acs];
                    for (x, &bv) in row.iter_mut().zip(bp) {
                        *x = *x + av * bv;
                    }
                }
            }
            for (r, row) in acc.iter().enumerate() {
                c[(i + r) * ldc + j..(i + r) * ldc + j + NR].copy_from_slice(row);
            }
            j += NR;
        }
        edge(i, i + MR, j, n, k, a, ars, acs, b, ldb, c, ldc);
        i += MR;
    }
    edge(i, m, 0, n, k, a, ars, acs, b, ldb, c, ldc);
}

/// Rows `i0..i1`, columns `j0..j1`, one element at a time (the same order as the blocks).
#[allow(clippy::too_many_arguments)]
#[inline]
fn edge<T: Real>(i0: usize, i1: usize, j0: usize, j1: usize, k: usize, a: &[T], ars: usize, acs: usize, b: &[T], ldb: usize, c: &mut [T], ldc: usize) {
    for i in i0..i1 {
        for j in j0..j1 {
            let mut x = c[i * ldc + j];
            for p in 0..k {
                x = x + a[i * ars + p * acs] * b[p * ldb + j];
            }
            c[i * ldc + j] = x;
        }
    }
}

impl Real for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    fn from_f64(x: f64) -> f64 {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn tanh(self) -> f64 {
        libm::tanh(self)
    }
    fn erf(self) -> f64 {
        libm::erf(self)
    }
    fn exp(self) -> f64 {
        libm::exp(self)
    }
    fn sqrt(self) -> f64 {
        self.sqrt()
    }
}

impl Real for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    fn from_f64(x: f64) -> f32 {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn tanh(self) -> f32 {
        libm::tanhf(self)
    }
    fn erf(self) -> f32 {
        libm::erff(self)
    }
    fn exp(self) -> f32 {
        libm::expf(self)
    }
    fn sqrt(self) -> f32 {
        self.sqrt()
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    fn gemm(m: usize, n: usize, k: usize, a: &[f32], ars: usize, acs: usize, b: &[f32], ldb: usize, c: &mut [f32], ldc: usize) {
        simd::gemm(m, n, k, a, ars, acs, b, ldb, c, ldc);
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use super::{edge, MR};
    use core::arch::wasm32::*;

    /// The scalar kernel's blocks with each row of 8 columns in two f32x4 lanes: lane-wise multiply then
    /// add, so every element sees exactly the scalar sequence of roundings.
    #[allow(clippy::too_many_arguments)]
    pub fn gemm(m: usize, n: usize, k: usize, a: &[f32], ars: usize, acs: usize, b: &[f32], ldb: usize, c: &mut [f32], ldc: usize) {
        // Bounds once, so the inner loops can read unchecked.
        if m > 0 && n > 0 {
            assert!(c.len() >= (m - 1) * ldc + n);
            if k > 0 {
                assert!(b.len() >= (k - 1) * ldb + n);
                assert!(a.len() > (m - 1) * ars + (k - 1) * acs);
            }
        }
        let (ap, bp, cp) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        let mut i = 0;
        while i + MR <= m {
            let mut j = 0;
            while j + 8 <= n {
                // SAFETY: every index below is inside the bounds asserted above.
                unsafe {
                    let c0 = cp.add(i * ldc + j);
                    let c1 = c0.add(ldc);
                    let c2 = c1.add(ldc);
                    let c3 = c2.add(ldc);
                    let (mut x00, mut x01) = (v128_load(c0 as *const v128), v128_load(c0.add(4) as *const v128));
                    let (mut x10, mut x11) = (v128_load(c1 as *const v128), v128_load(c1.add(4) as *const v128));
                    let (mut x20, mut x21) = (v128_load(c2 as *const v128), v128_load(c2.add(4) as *const v128));
                    let (mut x30, mut x31) = (v128_load(c3 as *const v128), v128_load(c3.add(4) as *const v128));
                    let a0 = ap.add(i * ars);
                    for p in 0..k {
                        let brow = bp.add(p * ldb + j);
                        let (b0, b1) = (v128_load(brow as *const v128), v128_load(brow.add(4) as *const v128));
                        let ak = a0.add(p * acs);
                        let v0 = f32x4_splat(*ak);
                        let v1 = f32x4_splat(*ak.add(ars));
                        let v2 = f32x4_splat(*ak.add(2 * ars));
                        let v3 = f32x4_splat(*ak.add(3 * ars));
                        x00 = f32x4_add(x00, f32x4_mul(v0, b0));
                        x01 = f32x4_add(x01, f32x4_mul(v0, b1));
                        x10 = f32x4_add(x10, f32x4_mul(v1, b0));
                        x11 = f32x4_add(x11, f32x4_mul(v1, b1));
                        x20 = f32x4_add(x20, f32x4_mul(v2, b0));
                        x21 = f32x4_add(x21, f32x4_mul(v2, b1));
                        x30 = f32x4_add(x30, f32x4_mul(v3, b0));
                        x31 = f32x4_add(x31, f32x4_mul(v3, b1));
                    }
                    v128_store(c0 as *mut v128, x00);
                    v128_store(c0.add(4) as *mut v128, x01);
                    v128_store(c1 as *mut v128, x10);
                    v128_store(c1.add(4) as *mut v128, x11);
                    v128_store(c2 as *mut v128, x20);
                    v128_store(c2.add(4) as *mut v128, x21);
                    v128_store(c3 as *mut v128, x30);
                    v128_store(c3.add(4) as *mut v128, x31);
                }
                j += 8;
            }
            // Four columns at a time, then one.
            while j + 4 <= n {
                unsafe {
                    let mut x = [v128_load(cp.add(i * ldc + j) as *const v128); MR];
                    for (r, xr) in x.iter_mut().enumerate() {
                        *xr = v128_load(cp.add((i + r) * ldc + j) as *const v128);
                    }
                    for p in 0..k {
                        let bv = v128_load(bp.add(p * ldb + j) as *const v128);
                        for (r, xr) in x.iter_mut().enumerate() {
                            *xr = f32x4_add(*xr, f32x4_mul(f32x4_splat(*ap.add((i + r) * ars + p * acs)), bv));
                        }
                    }
                    for (r, xr) in x.iter().enumerate() {
                        v128_store(cp.add((i + r) * ldc + j) as *mut v128, *xr);
                    }
                }
                j += 4;
            }
            edge(i, i + MR, j, n, k, a, ars, acs, b, ldb, c, ldc);
            i += MR;
        }
        // Leftover rows, 8 then 4 columns at a time.
        for i in i..m {
            let mut j = 0;
            while j + 4 <= n {
                unsafe {
                    let mut x = v128_load(cp.add(i * ldc + j) as *const v128);
                    for p in 0..k {
                        x = f32x4_add(x, f32x4_mul(f32x4_splat(*ap.add(i * ars + p * acs)), v128_load(bp.add(p * ldb + j) as *const v128)));
                    }
                    v128_store(cp.add(i * ldc + j) as *mut v128, x);
                }
                j += 4;
            }
            edge(i, i + 1, j, n, k, a, ars, acs, b, ldb, c, ldc);
        }
    }
}
