use super::*;

fn options(manifold: Manifold, intrinsic: usize, ambient: usize) -> ManifoldOptions {
    ManifoldOptions { manifold, intrinsic, ambient, ..Default::default() }
}

fn points_with_native(o: ManifoldOptions, n: usize) -> (Vec<f32>, Vec<f64>) {
    let mut s = ManifoldSampler::new(4, 0, o).unwrap();
    let (mut x, mut native) = (Vec::new(), Vec::new());
    s.fill(&mut x, Some(&mut native), n);
    (x, native)
}

/// Least-squares slope of ln C(r) against ln r, where C(r) counts (centre, point) pairs closer than r.
fn correlation_slope(x: &[f32], d: usize, centres: &[usize], radii: &[f64]) -> (f64, Vec<u64>) {
    let mut counts = vec![0u64; radii.len()];
    let r2: Vec<f64> = radii.iter().map(|r| r * r).collect();
    for &c in centres {
        let centre = &x[c * d..][..d];
        for (i, p) in x.chunks_exact(d).enumerate() {
            if i == c {
                continue;
            }
            let dist = p.iter().zip(centre).map(|(&a, &b)| (a - b) * (a - b)).sum::<f32>() as f64;
            counts.iter_mut().zip(&r2).for_each(|(k, &r)| *k += u64::from(dist < r));
        }
    }
    let (lx, ly): (Vec<f64>, Vec<f64>) = radii.iter().zip(&counts).map(|(r, &c)| (r.ln(), (c as f64).ln())).unzip();
    let (mx, my) = (lx.iter().sum::<f64>() / lx.len() as f64, ly.iter().sum::<f64>() / ly.len() as f64);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx).powi(2)).sum();
    (sxy / sxx, counts)
}

#[test]
fn correlation_dimension_is_the_intrinsic_dimension() {
    // Uniform measure on a D-manifold: C(r) ∝ r^D for r well below the curvature radius, and with no
    // boundary inside the balls. Cube: only centres at least r_max from every face, so each ball lies
    // inside and C(r) = V_D r^D exactly in expectation. Sphere (radius 1): the chord-ball fraction is
    // ∝ r^D (1 - O(r^2)), a slope bias of about -(D-1) D r^2 / (3 (D+2)), under 1% of D at r <= 0.24.
    // Torus (unit circles): chords shorten arcs (2 sin(t/2) = t (1 - t^2/24 ...)), so balls hold a little
    // more and the slope is biased up by O(r^2), measured ~ +0.05 at r in [0.4, 0.8]: smaller radii here.
    // Radii span a factor 2, so the slope's sampling error is about 1 / (ln 2 sqrt(count at r_min)):
    // under 3% of D with >= 500 pairs there.
    let n = 20_000;
    for manifold in [Manifold::Cube, Manifold::Sphere, Manifold::Torus] {
        for dim in [2usize, 3, 5] {
            let o = options(manifold, dim, manifold.native_dimension(dim) + 2);
            let (x, native) = points_with_native(o, n);
            let (r_min, r_max): (f64, f64) = match manifold {
                Manifold::Cube => (0.1, 0.2),
                Manifold::Sphere => (0.12, 0.24),
                Manifold::Torus => (0.35, 0.7),
            };
            let radii: Vec<f64> = (0..5).map(|k| r_min * (r_max / r_min).powf(k as f64 / 4.0)).collect();
            let centres: Vec<usize> = match manifold {
                Manifold::Cube => (0..n)
                    .filter(|&i| native[i * dim..][..dim].iter().all(|&v| v >= r_max && v <= 1.0 - r_max))
                    .collect(),
                // Small balls hold few pairs at D = 5: use every point as a centre there.
                _ => (0..if dim < 5 { 4000 } else { n }).collect(),
            };
            let (slope, counts) = correlation_slope(&x, o.ambient, &centres, &radii);
            eprintln!("{manifold:?} D={dim}: slope {slope:.3} ({} centres, counts {counts:?})", centres.len());
            assert!(counts[0] >= 500, "too few pairs for a 3% slope: {counts:?}");
            assert!((slope - dim as f64).abs() < 0.05 * dim as f64, "{manifold:?} D={dim}: slope {slope}");
        }
    }
}

#[test]
fn points_lie_on_their_manifold() {
    for (manifold, dim, centred) in [
        (Manifold::Cube, 3, false),
        (Manifold::Cube, 4, true),
        (Manifold::Sphere, 4, false),
        (Manifold::Torus, 3, false),
    ] {
        let o = ManifoldOptions { manifold, intrinsic: dim, ambient: 12, scale: 2.5, centred };
        let (_, native) = points_with_native(o, 2000);
        for p in native.chunks_exact(manifold.native_dimension(dim)) {
            match manifold {
                Manifold::Cube => {
                    let (lo, hi) = if centred { (-1.25, 1.25) } else { (0.0, 2.5) };
                    assert!(p.iter().all(|&v| (lo..hi).contains(&v)));
                }
                Manifold::Sphere => assert!((p.iter().map(|v| v * v).sum::<f64>().sqrt() - 2.5).abs() < 1e-12),
                Manifold::Torus => assert!(p.chunks(2).all(|c| (c[0].hypot(c[1]) - 2.5).abs() < 1e-12)),
            }
        }
    }
}

#[test]
fn the_embedding_preserves_pairwise_distances() {
    // f64 frame: distances kept to rounding (1e-12). f32 output: each coordinate is rounded once, at most
    // 2^-24 |y_j| <= 6e-8 * scale, so a distance moves by at most sqrt(d) * 1.2e-7 * scale, about 5e-7 here:
    // 1e-5 relative for every pair further apart than 0.05, and 1e-6 absolute for all pairs.
    for manifold in [Manifold::Cube, Manifold::Sphere, Manifold::Torus] {
        let o = options(manifold, 3, 16);
        let mut s = ManifoldSampler::new(8, 2, o).unwrap();
        let (mut x, mut native) = (Vec::new(), Vec::new());
        s.fill(&mut x, Some(&mut native), 300);
        let k = manifold.native_dimension(3);
        let frame = s.frame();
        for i in 0..300 {
            let yi: Vec<f64> = (0..16).map(|j| (0..k).map(|c| native[i * k + c] * frame[c * 16 + j]).sum()).collect();
            for j in 0..i {
                let yj: Vec<f64> =
                    (0..16).map(|m| (0..k).map(|c| native[j * k + c] * frame[c * 16 + m]).sum()).collect();
                let dn = (0..k).map(|c| (native[i * k + c] - native[j * k + c]).powi(2)).sum::<f64>().sqrt();
                let d64 = yi.iter().zip(&yj).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
                let d32 = (0..16).map(|m| (x[i * 16 + m] as f64 - x[j * 16 + m] as f64).powi(2)).sum::<f64>().sqrt();
                assert!((d64 - dn).abs() <= 1e-12 * dn.max(1e-3), "{manifold:?}: f64 {d64} vs {dn}");
                assert!((d32 - dn).abs() <= 1e-6, "{manifold:?}: f32 {d32} vs {dn}");
                if dn > 0.05 {
                    assert!((d32 - dn).abs() <= 1e-5 * dn, "{manifold:?}: f32 {d32} vs {dn}");
                }
            }
        }
    }
}

#[test]
fn frame_is_orthonormal_and_haar() {
    let f = haar_frame(&mut stream(1, Purpose::Manifold, 0), 20, 20);
    for a in 0..20 {
        for b in 0..20 {
            let dot: f64 = (0..20).map(|j| f[a * 20 + j] * f[b * 20 + j]).sum();
            assert!((dot - if a == b { 1.0 } else { 0.0 }).abs() < 1e-13);
        }
    }
    // Haar: each entry u has E[u^2] = 1/d and E[u^4] = 3/(d(d+2)); the mean of u^2 over 4000 frames
    // has sd sqrt((3/(d(d+2)) - 1/d^2) / 4000).
    let (d, reps) = (8usize, 4000);
    let mut rng = stream(2, Purpose::Manifold, 0);
    let (mut first, mut last) = (0.0, 0.0);
    for _ in 0..reps {
        let f = haar_frame(&mut rng, d, 3);
        first += f[0].powi(2);
        last += f[2 * d + d - 1].powi(2);
    }
    let sd = ((3.0 / (d * (d + 2)) as f64 - 1.0 / (d * d) as f64) / reps as f64).sqrt();
    for m in [first / reps as f64, last / reps as f64] {
        assert!((m - 1.0 / d as f64).abs() < 4.0 * sd, "E[u^2] {m} vs {} (sd {sd})", 1.0 / d as f64);
    }
}

#[test]
fn chunks_concatenate_and_seeds_fix_the_points() {
    let o = options(Manifold::Torus, 2, 6);
    let whole = sample(5, 1, o, 1000).unwrap();
    assert_eq!(whole.len(), 6000);
    let mut s = ManifoldSampler::new(5, 1, o).unwrap();
    let mut got = Vec::new();
    for rows in [1, 10, 300, 689] {
        got.extend(s.next_chunk(rows));
    }
    assert_eq!(got, whole);
    assert_ne!(sample(6, 1, o, 10).unwrap(), whole[..60]);
    assert_ne!(sample(5, 2, o, 10).unwrap(), whole[..60]);
    assert_eq!(Manifold::from_name("sphere"), Some(Manifold::Sphere));
    assert_eq!(Manifold::from_name("ball"), None);
}

#[test]
fn rejects_impossible_options() {
    let err = |o: ManifoldOptions| ManifoldSampler::new(0, 0, o).err();
    assert_eq!(err(options(Manifold::Cube, 0, 4)), Some(ManifoldError::Intrinsic(0)));
    assert_eq!(err(options(Manifold::Cube, 5, 4)), Some(ManifoldError::Ambient { ambient: 4, native: 5 }));
    assert_eq!(err(options(Manifold::Sphere, 4, 4)), Some(ManifoldError::Ambient { ambient: 4, native: 5 }));
    assert_eq!(err(options(Manifold::Torus, 3, 5)), Some(ManifoldError::Ambient { ambient: 5, native: 6 }));
    assert!(err(options(Manifold::Torus, 3, 6)).is_none());
    assert_eq!(err(ManifoldOptions { scale: 0.0, ..Default::default() }), Some(ManifoldError::Scale(0.0)));
    assert!(matches!(err(ManifoldOptions { scale: f64::NAN, ..Default::default() }), Some(ManifoldError::Scale(_))));
    assert_eq!(ManifoldSampler::new(0, 1 << 44, Default::default()).err(), Some(ManifoldError::Index(1 << 44)));
    assert!(ManifoldError::Ambient { ambient: 4, native: 5 }.to_string().contains("at least 5"));
}
