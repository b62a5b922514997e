//! Native timing of the pieces of MLE (index build, `search_self` by each strategy, table, fit) on a
//! float32 `.npy` file `[n, d]`, e.g. the points `npm run bench -- estimators` uses:
//! `cargo run -p percolab-estimators --release --example mle_profile -- FILE [reps]`.
//! On x86_64 the row and box kernels are SSE2 spellings of the wasm ones, but the tile kernel of the
//! grouped walk is portable code here: time that path in wasm (crates/neighbors/examples/wasm_bench.mjs).

use std::time::Instant;

use percolab_estimators::{Bootstrap, Mle, NeighborTable};
use percolab_neighbors::{KdTree, Strategy};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[1]).expect("a .npy file");
    let reps: usize = args.get(2).map_or(3, |s| s.parse().expect("a number of repetitions"));
    let header = u16::from_le_bytes([bytes[8], bytes[9]]) as usize + 10;
    let text = std::str::from_utf8(&bytes[10..header]).expect("an ASCII header");
    let shape = text.split("'shape': (").nth(1).expect("a shape");
    let d: usize = shape.split(',').nth(1).expect("two dimensions").trim().trim_end_matches(')').parse().expect("d");
    let points: Vec<f32> = bytes[header..].chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    let k = Mle::default().k;
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    for _ in 0..reps {
        let t = Instant::now();
        let tree = KdTree::new(&points, d).unwrap();
        print!("build {:.1} ms", ms(t));
        let mut found = None;
        for strategy in [Strategy::Tree, Strategy::Blocked, Strategy::Auto] {
            let t = Instant::now();
            let nb = tree.search_self_with(k, strategy).unwrap();
            print!(" | {strategy:?} {:.1} ms", ms(t));
            assert!(found.as_ref().is_none_or(|f| f == &nb), "strategies disagree");
            found = Some(nb);
        }
        let t = Instant::now();
        let table = NeighborTable::from_squared_distances(k, found.unwrap().squared_distances).unwrap();
        print!(" | table {:.1} ms", ms(t));
        let t = Instant::now();
        let fit = Mle { bootstrap: Bootstrap { replicates: 0, ..Default::default() }, ..Default::default() }.fit(&table).unwrap();
        println!(" | fit {:.1} ms | dimension {}", ms(t), fit.dimension);
    }
}
