//! Time of drawing one exact cluster's offspring sequence (the serial start of `percolab generate`):
//! `cargo run --release -p percolab-percolation --example offspring_speed [-- SITES [COORDINATION]]`.
use percolab_percolation::{exact_offspring, Lattice};
use percolab_random::{fast_stream, Purpose};
use std::time::Instant;

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let n = *args.first().unwrap_or(&10_000_000) as usize;
    let z = *args.get(1).unwrap_or(&32) as u32;
    let lattice = Lattice::new(z).expect("a coordination of at least 2");
    let mut best = f64::INFINITY;
    let mut check = 0u64;
    for rep in 0..5 {
        let start = Instant::now();
        let seq = exact_offspring(&mut fast_stream(7, Purpose::Cluster, rep), lattice, n);
        best = best.min(start.elapsed().as_secs_f64());
        check = check.wrapping_mul(31).wrapping_add(seq.iter().enumerate().map(|(i, c)| (i as u64 + 1) * c as u64).sum::<u64>());
    }
    println!("n {n} z {z}: best of 5 {:.1} ms (check {check})", best * 1e3);
}
