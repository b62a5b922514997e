use super::*;
use crate::{stream, Purpose};

/// The sequence by its definition, one normal after another from word 0: each word through the whole
/// ziggurat, each segment's companion stream made at its start.
fn reference(rng: &ChaCha8Rng, n: usize) -> (Vec<f64>, Vec<bool>) {
    let table = ziggurat();
    let main = Keystream::of(rng);
    let mut words = FastChaCha8::at_word(main.clone(), 0);
    let mut companion = FastChaCha8::at_word(main.companion(), 0);
    (0..n as u64)
        .map(|k| {
            if k % SEGMENT == 0 {
                companion = FastChaCha8::at_word(main.companion(), (k / SEGMENT) << 32);
            }
            let (layer, m) = split(words.next_u32());
            (table.finish(layer, m, &mut companion), m.unsigned_abs() >= table.inside[layer])
        })
        .unzip()
}

#[test]
fn the_layers_have_equal_areas_and_close_at_the_top() {
    let z = ziggurat();
    assert!(z.x[..LAYERS].windows(2).all(|w| w[0] > w[1]), "abscissae decrease");
    assert_eq!(z.x[LAYERS], 0.0);
    let area = z.x[0] * z.f[1];
    // Layer i (i >= 1): width x_i, height f(x_{i+1}) - f(x_i); the top one's area closes at f(0) = 1.
    for i in 1..LAYERS {
        let layer = z.x[i] * (z.f[i + 1] - z.f[i]);
        assert!((layer / area - 1.0).abs() < 1e-12, "layer {i}: area {layer} vs {area}");
    }
    // Every layer but the top one has a rectangle, narrower than the layer.
    for i in 0..LAYERS - 1 {
        assert!(z.inside[i] > 0 && z.inside[i] < 1 << 24, "layer {i}: {}", z.inside[i]);
    }
    assert_eq!(z.inside[LAYERS - 1], 0);
}

#[test]
fn every_way_of_cutting_the_sequence_gives_the_reference() {
    for seed in [1u64, 2] {
        let rng = stream(seed, Purpose::Embedding, seed);
        let mut normals = Normals::new(&rng);
        let mut got = Vec::new();
        // Short fills (one span, or across a segment's end), then many segments on the team.
        for want in [1usize, 5, 8191, 1, PIECE_NORMALS, 3 * PIECE_NORMALS + 17, 0, 100_000, 7] {
            let before = got.len();
            normals.fill(&mut got, want, |z| z);
            assert_eq!(got.len() - before, want);
        }
        let (want, _) = reference(&rng, got.len());
        assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "seed {seed}");
        assert_eq!(normals.next, got.len() as u64);
    }
}

#[test]
fn a_stream_taken_up_mid_segment_continues_the_sequence_from_word_0() {
    let rng = stream(3, Purpose::Embedding, 4);
    let (want, _) = reference(&rng, 4 * PIECE_NORMALS);
    for at in [1u64, 8000, SEGMENT, SEGMENT + 4321] {
        let mut from = rng.clone();
        from.set_word_pos(at as u128);
        let mut got = Vec::new();
        Normals::new(&from).fill(&mut got, 2 * PIECE_NORMALS, |z| z);
        assert_eq!(got[..], want[at as usize..at as usize + 2 * PIECE_NORMALS], "from normal {at}");
    }
}

#[test]
fn prefetched_segments_continue_the_sequence_like_decoded_ones() {
    let rng = stream(5, Purpose::Embedding, 2);
    let mut normals = Normals::new(&rng);
    let mut got = Vec::new();
    with_team(|team| {
        assert!(normals.prefetch(team, PIECE_NORMALS - 1, |z| z).is_none(), "less than a piece is not prefetched");
        normals.fill_on(team, &mut got, 100, &|z| z, || {});
        for want in [PIECE_NORMALS, 5 * PIECE_NORMALS + 3, 2 * PIECE_NORMALS - 1, 100 * PIECE_NORMALS] {
            let ahead = normals.prefetch(team, want, |z| z).expect("a piece or more");
            let (mut ran, before) = (false, got.len());
            // Away for a while (or not): the segments begun by then are taken, the rest decoded here.
            std::thread::sleep(std::time::Duration::from_micros(want as u64 / 64));
            normals.take_prefetched(team, ahead, &mut got, || ran = true);
            assert!(ran);
            let have = got.len() - before;
            normals.fill_on(team, &mut got, want.saturating_sub(have) + 10, &|z| z, || {});
        }
    });
    let (want, _) = reference(&rng, got.len());
    assert_eq!(got, want);
    assert_eq!(normals.next, got.len() as u64);
}

/// `P(Z <= z)` for a standard normal.
fn cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / core::f64::consts::SQRT_2)
}

#[test]
fn the_values_are_standard_normal() {
    // 2^22 normals; each bound below is 5 standard deviations of its statistic under the normal law.
    let n = 1usize << 22;
    let rng = stream(11, Purpose::Embedding, 0);
    let mut z = Vec::new();
    Normals::new(&rng).fill(&mut z, n, |z| z);
    let nf = n as f64;
    let moment = |p: i32| z.iter().map(|v| v.powi(p)).sum::<f64>() / nf;
    assert!(moment(1).abs() < 5.0 / nf.sqrt(), "mean {}", moment(1));
    assert!((moment(2) - 1.0).abs() < 5.0 * (2.0 / nf).sqrt(), "variance {}", moment(2));
    assert!((moment(4) - 3.0).abs() < 5.0 * (96.0 / nf).sqrt(), "fourth moment {}", moment(4));
    let positive = z.iter().filter(|&&v| v > 0.0).count() as f64;
    assert!((positive - nf / 2.0).abs() < 5.0 * nf.sqrt() / 2.0, "{positive} positive");

    // Equal-probability bins: chi-square with 1023 degrees of freedom (sd sqrt(2 * 1023)).
    let bins = 1024;
    let mut counts = vec![0u32; bins];
    for &v in &z {
        counts[((cdf(v) * bins as f64) as usize).min(bins - 1)] += 1;
    }
    let expected = nf / bins as f64;
    let chi2: f64 = counts.iter().map(|&c| (f64::from(c) - expected).powi(2) / expected).sum();
    assert!(chi2 < 1023.0 + 5.0 * (2.0f64 * 1023.0).sqrt(), "chi-square {chi2}");
}

#[test]
fn the_words_outside_their_rectangle_are_as_many_as_the_layers_say() {
    // A word is outside with probability 1 - (odd m with |m| < inside) / 2^24, averaged over layers.
    let z = ziggurat();
    let p = 1.0 - z.inside.iter().map(|&t| f64::from(2 * (t / 2))).sum::<f64>() / (LAYERS as f64 * (1u64 << 24) as f64);
    assert!(p > 0.005 && p < 0.02, "{p}");
    let n = 1usize << 20;
    let (_, slow) = reference(&stream(12, Purpose::Embedding, 1), n);
    let slow = slow.iter().filter(|&&s| s).count();
    let expected = p * n as f64;
    assert!((slow as f64 - expected).abs() < 5.0 * (expected * (1.0 - p)).sqrt(), "{slow} slow draws vs {expected}");
}

#[test]
fn the_slow_draws_fill_the_wedges_and_the_tail() {
    // Where the first word is outside its rectangle, the value has density phi(x) - c(x), c being the
    // rectangles' (each layer i adds 1 / (512 x_i) where |x| < x_{i+1}): per band |x| in [x_{j+1}, x_j)
    // and beyond R, a chi-square on these 256 bands (their total is not fixed: 256 degrees of freedom).
    let z = ziggurat();
    let (values, slow) = reference(&stream(13, Purpose::Embedding, 2), 1 << 24);
    let n = values.len() as f64;
    let mut counts = vec![0u32; LAYERS];
    for (v, _) in values.iter().zip(&slow).filter(|(_, &s)| s) {
        // Band j: x_{j+1} <= |v| < x_j (j >= 1); band 0: beyond R.
        let j = if v.abs() >= R { 0 } else { (1..LAYERS).find(|&j| v.abs() >= z.x[j + 1]).expect("a band") };
        counts[j] += 1;
    }
    let mut rectangles = 0.0;
    let mut chi2 = 0.0;
    for (j, &count) in counts.iter().enumerate() {
        let expected = if j == 0 {
            2.0 * (1.0 - cdf(R))
        } else {
            rectangles += 1.0 / (512.0 * z.x[j - 1]);
            2.0 * (cdf(z.x[j]) - cdf(z.x[j + 1])) - 2.0 * (z.x[j] - z.x[j + 1]) * rectangles
        } * n;
        assert!(expected > 5.0, "band {j}: {expected}");
        chi2 += (f64::from(count) - expected).powi(2) / expected;
    }
    assert!(chi2 < 256.0 + 5.0 * (2.0f64 * 256.0).sqrt(), "chi-square {chi2}");

    // The tail beyond R (drawn by the companion stream): its share, and the mean excess of a normal
    // truncated at R, lambda - R with lambda = phi(R) / Q(R), variance 1 + R lambda - lambda^2.
    let q = 1.0 - cdf(R);
    let beyond: Vec<f64> = values.iter().filter(|v| v.abs() > R).map(|v| v.abs() - R).collect();
    let count = beyond.len() as f64;
    assert!((count - 2.0 * q * n).abs() < 5.0 * (2.0 * q * n).sqrt(), "{count} beyond R");
    let lambda = density(R) / (2.0 * core::f64::consts::PI).sqrt() / q;
    let (mean, var) = (lambda - R, 1.0 + R * lambda - lambda * lambda);
    let excess = beyond.iter().sum::<f64>() / count;
    assert!((excess - mean).abs() < 5.0 * (var / count).sqrt(), "mean excess {excess} vs {mean}");
}

/// FNV-1a (32 bits) of the values' little-endian bytes: `test/kernels.test.ts` computes it of the wasm
/// build's normals (`standardNormals(1, 0, 2^20)`) and expects the same number.
fn fnv1a(values: &[f64]) -> u32 {
    values.iter().flat_map(|v| v.to_le_bytes()).fold(0x811c_9dc5, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

#[test]
fn the_wasm_build_checks_the_same_first_normals() {
    let (values, _) = reference(&stream(1, Purpose::Embedding, 0), 1 << 20);
    assert_eq!(fnv1a(&values), 3_385_788_662, "the data version's normals changed");
}

#[test]
fn the_wedge_bounds_decide_as_exp_does() {
    // Every wedge, abscissae across it (its ends, one ulp inside and outside them, uniform between) and
    // heights uniform on its band and within 1e-9 .. 1e-17 of the curve, on both sides: the bounds' answer
    // is always `y < density(t)`'s. Most uniform heights are decided without `exp` (the point of the bounds).
    let z = ziggurat();
    let mut rng = stream(5, Purpose::Embedding, 0);
    let (mut uniform, mut decided) = (0u32, 0u32);
    for layer in 1..LAYERS {
        let (a, b) = (z.x[layer + 1], z.x[layer]);
        let mut ts = vec![a, b, f64::from_bits(a.to_bits() + 1), f64::from_bits(b.to_bits() - 1)];
        if a > 0.0 {
            ts.push(f64::from_bits(a.to_bits() - 1));
        }
        ts.extend((0..200).map(|_| a + (b - a) * unit_f64(&mut rng)));
        for &t in &ts {
            let curve = density(t);
            let mut heights: Vec<f64> = (0..20).map(|_| z.f[layer] + (z.f[layer + 1] - z.f[layer]) * unit_f64(&mut rng)).collect();
            for gap in [1e-9, 1e-11, 1e-12, 1e-13, 1e-15, 1e-17] {
                heights.extend([curve - gap, curve + gap]);
            }
            heights.extend([curve, f64::from_bits(curve.to_bits() - 1), f64::from_bits(curve.to_bits() + 1)]);
            for (i, &y) in heights.iter().enumerate() {
                assert_eq!(z.under_curve(layer, t, y), y < curve, "layer {layer}, t {t}, y {y}");
                if let (true, Some((lower, upper))) = (i < 20, z.wedge_bounds(layer, t)) {
                    uniform += 1;
                    decided += u32::from(y < lower - WEDGE_MARGIN || y > upper + WEDGE_MARGIN);
                }
            }
        }
    }
    assert!(f64::from(decided) > 0.97 * f64::from(uniform), "{decided} of {uniform} heights decided by the bounds");
}

fn unit_f64(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

#[test]
fn the_rectangle_test_in_one_comparison_is_the_absolute_value_test() {
    // Every layer, every abscissa around its rectangle's edges and both ends of the range (m is odd).
    let z = ziggurat();
    for layer in 0..LAYERS {
        let edge = z.inside[layer] as i32;
        let around = [-(1 << 24) + 1, (1 << 24) - 1, 1, -1].into_iter().chain((-3..=3).flat_map(|k| [edge + k, -edge + k]));
        for m in around.filter(|m| m % 2 != 0 && m.unsigned_abs() < 1 << 24) {
            let word = (((m >> 1) as u32) << 8) | layer as u32;
            assert_eq!(split(word), (layer, m), "layer {layer}: the word of m = {m}");
            assert_eq!(z.rectangle(word).1, m.unsigned_abs() < z.inside[layer], "layer {layer}, m {m}");
        }
    }
}
