//! Small dense kernels on row-major f64 matrices: a semidefinite Cholesky factor and the quadratic form
//! of a pseudo-inverse, both with a relative rank threshold so that scaling the data scales nothing else.

/// Pivots below this fraction of the largest diagonal entry count as zero (a dependent row).
pub const RANK_TOLERANCE: f64 = 1e-10;

/// Lower-triangular `L` (row-major `n x n`) with `L L^T = A` for a symmetric positive semidefinite `A`,
/// in the original order; a row whose pivot falls below the threshold gets a zero column (it depends on
/// the earlier rows). No pivoting: the factor changes only by rounding when the data are rotated.
pub fn semidefinite_cholesky(a: &[f64], n: usize) -> Vec<f64> {
    let largest = (0..n).map(|i| a[i * n + i]).fold(0.0f64, f64::max);
    let floor = RANK_TOLERANCE * largest;
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let (done, rest) = l.split_at_mut(j * n);
        let row_j = &mut rest[..n];
        // Off-diagonal entries of row j: forward substitution against the rows above.
        for k in 0..j {
            let row_k = &done[k * n..k * n + k + 1];
            let pivot = row_k[k];
            if pivot == 0.0 {
                continue;
            }
            let dot: f64 = row_k[..k].iter().zip(&row_j[..k]).map(|(x, y)| x * y).sum();
            row_j[k] = (a[j * n + k] - dot) / pivot;
        }
        let square = a[j * n + j] - row_j[..j].iter().map(|x| x * x).sum::<f64>();
        if square > floor && square > 0.0 {
            row_j[j] = square.sqrt();
        } else {
            row_j[j] = 0.0;
        }
    }
    l
}

/// `x^T A^+ x` for a symmetric positive semidefinite `A` and `x` in its range (the only case GLUE needs:
/// `S t` lies in the range of `S S^T`): the squared norm of the minimum-norm solution of `L w = x`.
pub fn pseudo_inverse_form(a: &[f64], x: &[f64], n: usize) -> f64 {
    let l = semidefinite_cholesky(a, n);
    let mut w = vec![0.0; n];
    for j in 0..n {
        let pivot = l[j * n + j];
        if pivot == 0.0 {
            continue;
        }
        let dot: f64 = l[j * n..j * n + j].iter().zip(&w[..j]).map(|(p, q)| p * q).sum();
        w[j] = (x[j] - dot) / pivot;
    }
    w.iter().map(|v| v * v).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_reproduces_a_rank_deficient_matrix() {
        // Rows of B (3 x 2) give a rank-2 Gram matrix of size 3.
        let b = [1.0, 2.0, -0.5, 1.5, 0.5, 3.5];
        let n = 3;
        let a: Vec<f64> = (0..9).map(|ij| (0..2).map(|k| b[(ij / 3) * 2 + k] * b[(ij % 3) * 2 + k]).sum()).collect();
        let l = semidefinite_cholesky(&a, n);
        for i in 0..n {
            for j in 0..n {
                let llt: f64 = (0..n).map(|k| l[i * n + k] * l[j * n + k]).sum();
                assert!((llt - a[i * n + j]).abs() < 1e-12, "({i},{j}): {llt} vs {}", a[i * n + j]);
            }
        }
        assert_eq!(l[8], 0.0, "the third row depends on the first two");
        // x = A y lies in the range; x^T A^+ x = y^T A y when y is in the range too (y = B c).
        let c = [0.3, -0.7];
        let y: Vec<f64> = (0..3).map(|i| b[i * 2] * c[0] + b[i * 2 + 1] * c[1]).collect();
        let x: Vec<f64> = (0..3).map(|i| (0..3).map(|j| a[i * 3 + j] * y[j]).sum()).collect();
        let expected: f64 = (0..3).map(|i| x[i] * y[i]).sum();
        assert!((pseudo_inverse_form(&a, &x, n) - expected).abs() < 1e-12 * expected);
    }
}
