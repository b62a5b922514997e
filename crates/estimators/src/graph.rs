//! Weights mode (NeuroMFA, Xiao et al., ICLR 2025): the network of a stack of dense layers, nodes =
//! neurons, an edge for every non-zero weight with length `1/|w|`, analysed by the sandbox method on
//! shortest-path distances.
//!
//! This is the standard sandbox on the graph metric (masses normalised by the node count, radii
//! log-spaced, centres subsampled), reported in the standard `tau(q)`; [`crate::SandboxFit::neuromfa`]
//! gives NeuroMFA's `q - 1` / `alpha_0` view. Not reproduced from NeuroMFA's code: its neuron
//! sampling and attention wiring when building the network, its rounding of path lengths to integers
//! with the window `1 < l <= 150` and the >10-node filter, its normalisation by each node's own
//! reachable mass, its radii (every distinct rounded length) and its forward-difference `alpha`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::stats::{centres, resolve_scales};
use crate::{rng, sandbox, EstimatorError, Sandbox, SandboxFit};

/// One dense layer: `values` row-major `[outputs, inputs]` (PyTorch's `Linear.weight`).
#[derive(Clone, Copy, Debug)]
pub struct LayerWeights<'a> {
    pub outputs: usize,
    pub inputs: usize,
    pub values: &'a [f32],
}

/// An undirected weighted graph in compressed adjacency form.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightGraph {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    lengths: Vec<f64>,
}

impl WeightGraph {
    /// The network of `layers` applied in order: nodes are layer 0's inputs (indices `0..inputs`),
    /// then each layer's outputs; `layers[l].inputs` must equal `layers[l-1].outputs`.
    pub fn from_layers(layers: &[LayerWeights]) -> Result<Self, EstimatorError> {
        let Some(first) = layers.first() else {
            return Err(EstimatorError::NoLayers);
        };
        let mut edges = Vec::new();
        let (mut base, mut prev) = (0usize, first.inputs);
        for (l, layer) in layers.iter().enumerate() {
            let (o, i) = (layer.outputs, layer.inputs);
            if layer.values.len() != o * i || o == 0 || i == 0 {
                return Err(EstimatorError::WeightShape { layer: l, len: layer.values.len(), outputs: o, inputs: i });
            }
            if i != prev {
                return Err(EstimatorError::LayerMismatch { layer: l, inputs: i, previous_outputs: prev });
            }
            if let Some(p) = layer.values.iter().position(|w| !w.is_finite()) {
                return Err(EstimatorError::NonFiniteWeight { layer: l, index: p, value: layer.values[p] });
            }
            for (idx, &w) in layer.values.iter().enumerate().filter(|(_, w)| **w != 0.0) {
                let (src, dst) = (base + idx % i, base + i + idx / i);
                edges.push((src as u32, dst as u32, 1.0 / (w as f64).abs()));
            }
            base += i;
            prev = o;
        }
        let nodes = base + prev;
        assert!(nodes <= u32::MAX as usize, "more neurons than u32 indices");
        let mut degree = vec![0usize; nodes + 1];
        for &(a, b, _) in &edges {
            degree[a as usize + 1] += 1;
            degree[b as usize + 1] += 1;
        }
        for v in 1..=nodes {
            degree[v] += degree[v - 1];
        }
        let offsets = degree.clone();
        let (mut targets, mut lengths) = (vec![0u32; 2 * edges.len()], vec![0.0; 2 * edges.len()]);
        for &(a, b, len) in &edges {
            for (u, v) in [(a, b), (b, a)] {
                let slot = &mut degree[u as usize];
                targets[*slot] = v;
                lengths[*slot] = len;
                *slot += 1;
            }
        }
        Ok(WeightGraph { offsets, targets, lengths })
    }

    pub fn num_nodes(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn num_edges(&self) -> usize {
        self.targets.len() / 2
    }

    /// Shortest-path lengths from `source` (Dijkstra); `+inf` for unreachable nodes.
    pub fn shortest_paths(&self, source: usize) -> Vec<f64> {
        let mut dist = vec![f64::INFINITY; self.num_nodes()];
        // Non-negative f64 bit patterns order like the values.
        let mut heap = BinaryHeap::new();
        dist[source] = 0.0;
        heap.push(Reverse((0u64, source as u32)));
        while let Some(Reverse((bits, u))) = heap.pop() {
            let (du, u) = (f64::from_bits(bits), u as usize);
            if du > dist[u] {
                continue;
            }
            for e in self.offsets[u]..self.offsets[u + 1] {
                let (v, nd) = (self.targets[e] as usize, du + self.lengths[e]);
                if nd < dist[v] {
                    dist[v] = nd;
                    heap.push(Reverse((nd.to_bits(), v as u32)));
                }
            }
        }
        dist
    }
}

impl Sandbox {
    /// The sandbox analysis of `graph` with shortest-path distances. `M_i(r)` counts the nodes
    /// within path length `r` of centre `i` (itself included, normalised by the node count, when
    /// [`Sandbox::count_centre`] is set, as NeuroMFA and weights mode do; else the other nodes);
    /// unreachable nodes never count. Auto radii run from the median path length to the
    /// `lower_neighbor`-th nearest node (over up to 64 centres) to `upper_fraction` of a double-sweep
    /// diameter (of the component of node 0).
    pub fn fit_graph(&self, graph: &WeightGraph) -> Result<SandboxFit, EstimatorError> {
        self.check()?;
        let n = graph.num_nodes();
        if graph.num_edges() == 0 {
            return Err(EstimatorError::Degenerate { estimator: "the graph sandbox", reason: "the network has no non-zero weight" });
        }
        let cs = centres(n, self.max_centres, &mut rng(self.seed, sandbox::TAG, 0))?;
        let radii = resolve_scales(&self.radii, |k| {
            let mut kth: Vec<f64> = cs
                .iter()
                .take(64)
                .map(|&c| {
                    let mut dist = graph.shortest_paths(c as usize);
                    dist.swap_remove(c as usize);
                    if dist.len() < k {
                        return f64::INFINITY;
                    }
                    *dist.select_nth_unstable_by(k - 1, f64::total_cmp).1
                })
                .collect();
            kth.sort_unstable_by(f64::total_cmp);
            let farthest = |s: usize| {
                graph.shortest_paths(s).into_iter().enumerate().filter(|(_, d)| d.is_finite()).fold((0.0, s), |a, (j, d)| if d > a.0 { (d, j) } else { a })
            };
            (kth[(kth.len() - 1) / 2], farthest(farthest(0).1).0)
        })?;
        let nr = radii.len();
        let mut counts = vec![0u32; cs.len() * nr];
        for (&c, row) in cs.iter().zip(counts.chunks_exact_mut(nr)) {
            for (j, dist) in graph.shortest_paths(c as usize).into_iter().enumerate() {
                if j != c as usize && dist <= radii[nr - 1] {
                    row[radii.partition_point(|&r| r < dist)] += 1;
                }
            }
            for i in 1..nr {
                row[i] += row[i - 1];
            }
        }
        self.analyse(&counts, n, radii)
    }
}
