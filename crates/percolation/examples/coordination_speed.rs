//! Seconds per site of the exact sampler's offspring sequence at large coordination numbers, with a digest
//! of each sequence (equal digests across builds: the same draws).
//!   cargo run --release -p percolab-percolation --example coordination_speed
use percolab_percolation::{conditioned_offspring, Lattice};
use percolab_random::{stream, Purpose};

fn main() {
    for (z, n) in [(32u32, 1_000_000usize), (4096, 100_000), (65_537, 2000), (65_537, 100_000), (100_000, 300), (1_000_000, 30), (1_000_000, 10_000), (1_000_000, 100_000)] {
        let lattice = Lattice::new(z).expect("a valid coordination number");
        let start = std::time::Instant::now();
        let counts = conditioned_offspring(&mut stream(1, Purpose::Cluster, 0), n, lattice.branches());
        let seconds = start.elapsed().as_secs_f64();
        let digest = counts.iter().enumerate().map(|(i, &c)| (i as u64 + 1).wrapping_mul(u64::from(c) + 7)).fold(0u64, u64::wrapping_add);
        println!("z = {z}, n = {n}: {seconds:.3} s, {:.1} us per site, digest {digest}", seconds / n as f64 * 1e6);
    }
}
