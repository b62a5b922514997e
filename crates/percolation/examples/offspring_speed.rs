//! Time of drawing one exact cluster's offspring sequence (the serial start of `percolab generate`),
//! stored, and streamed (the rotation found, then the counts read):
//! `cargo run --release -p percolab-percolation --example offspring_speed [-- SITES [COORDINATION]]`.
use percolab_percolation::{exact_offspring, Lattice, OffspringStream};
use percolab_random::{fast_stream, Purpose};
use std::time::Instant;

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let n = *args.first().unwrap_or(&10_000_000) as usize;
    let z = *args.get(1).unwrap_or(&32) as u32;
    let lattice = Lattice::new(z).expect("a coordination of at least 2");
    let weigh = |counts: &mut dyn Iterator<Item = u32>| counts.enumerate().map(|(i, c)| (i as u64 + 1) * c as u64).sum::<u64>();
    let (mut stored, mut rotation, mut read) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    let (mut check, mut streamed_check) = (0u64, 0u64);
    for rep in 0..5 {
        let start = Instant::now();
        let seq = exact_offspring(&mut fast_stream(7, Purpose::Cluster, rep), lattice, n);
        stored = stored.min(start.elapsed().as_secs_f64());
        check = check.wrapping_mul(31).wrapping_add(weigh(&mut seq.iter()));

        let start = Instant::now();
        let mut stream = OffspringStream::new(fast_stream(7, Purpose::Cluster, rep), lattice, n);
        let found = Instant::now();
        let weight = weigh(&mut stream);
        rotation = rotation.min((found - start).as_secs_f64());
        read = read.min(found.elapsed().as_secs_f64());
        streamed_check = streamed_check.wrapping_mul(31).wrapping_add(weight);
    }
    assert_eq!(check, streamed_check, "the stream reads the stored sequence");
    println!("n {n} z {z}, best of 5: stored {:.1} ms; streamed: rotation {:.1} ms, reading {:.1} ms (check {check})", stored * 1e3, rotation * 1e3, read * 1e3);
}
