//! Standard normals from a ChaCha8 stream, one 32-bit word each, decoded in segments that threads take
//! at once.
//!
//! Normal `k` of a stream is decided by its word `k`, a draw of a 256-layer ziggurat (Marsaglia & Tsang
//! 2000): the low 8 bits pick the layer, the high 24 the signed abscissa `m / 2^24` (`m` odd, so the
//! draws are symmetric about zero). Inside the layer's rectangle (about 98.8% of words) the normal is
//! `m x_i / 2^24` at once; the rest finish the ziggurat (wedge tests, the tail, fresh draws after a
//! rejection) with words of a companion stream. Segment `s` of the sequence (normals `8192 s ..
//! 8192 (s + 1)`) draws those in order from word `2^32 s` of the companion stream, so every segment is
//! decoded on its own, by any thread, and the values do not depend on how the sequence is cut.
//!
//! The first data version decoded `rand_distr::StandardNormal` (64 bits a draw, pieces realigned where a
//! draw took more): twice the ChaCha8 work per normal.

use crate::chacha::{FastChaCha8, Keystream, BUFFER_WORDS};
use crate::team::{with_team, OpenPhase, Team};
use core::mem::MaybeUninit;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::sync::{Arc, Mutex, OnceLock};

/// Normals per segment: each draws its slow-path words from its own part of the companion stream.
const SEGMENT: u64 = 1 << 13;
/// Normals of a whole piece (one segment): a piece is the unit of work of a team's phase.
pub const PIECE_NORMALS: usize = SEGMENT as usize;
/// Each segment has 2^32 companion-stream words to itself (it uses a few hundred).
const COMPANION_ROOM_BITS: u32 = 32;

/// Layers of the ziggurat.
const LAYERS: usize = 256;
/// `R`, where the tail starts: the 256-layer value of Marsaglia & Tsang, for which the layers' equal
/// areas close the top layer at 0 (`the_layers_have_equal_areas_and_close_at_the_top`).
const R: f64 = 3.654_152_885_361_009;
/// `m / 2^24` is the abscissa's fraction of the layer's width.
const SCALE: f64 = 1.0 / (1u64 << 24) as f64;

/// The ziggurat: layer `i` spans `[-x_i, x_i]` between heights `f(x_i)` and `f(x_{i+1})`, `f(x) =
/// exp(-x^2/2)`; its rectangle `|x| < x_{i+1}` lies wholly under `f`. Layer 0 is the base strip, of the
/// same area `v` as every layer: `x_0 = v / f(R)`, and beyond `x_1 = R` the tail.
struct Ziggurat {
    /// `|m| < inside[i]` (as integers): the draw lies in layer `i`'s rectangle.
    inside: [u32; LAYERS],
    /// The same test as one unsigned comparison, `m + (reach[i] >> 1) < reach[i]`: `reach[i] = 2 inside[i] - 1`
    /// (0 for an empty rectangle, which nothing is below).
    reach: [u32; LAYERS],
    /// `x_i / 2^24`: the normal is `m width[i]`.
    width: [f64; LAYERS],
    /// `x_0 .. x_256` (`x_256 = 0`).
    x: [f64; LAYERS + 1],
    /// `f(x_0) .. f(x_256)`.
    f: [f64; LAYERS + 1],
}

fn density(x: f64) -> f64 {
    libm::exp(-0.5 * x * x)
}

/// Computed once with the pure-Rust `libm`, so that a seed gives the same normals natively and in wasm.
fn ziggurat() -> &'static Ziggurat {
    static TABLES: OnceLock<Ziggurat> = OnceLock::new();
    TABLES.get_or_init(|| {
        let area = R * density(R) + (core::f64::consts::PI / 2.0).sqrt() * libm::erfc(R / core::f64::consts::SQRT_2);
        let mut x = [0.0; LAYERS + 1];
        x[0] = area / density(R);
        x[1] = R;
        for i in 1..LAYERS - 1 {
            x[i + 1] = (-2.0 * libm::log(area / x[i] + density(x[i]))).sqrt();
        }
        x[LAYERS] = 0.0;
        let f = x.map(density);
        let inside = core::array::from_fn(|i| {
            let edge = if i == 0 { R } else { x[i + 1] };
            libm::ceil(edge / x[i] / SCALE) as u32
        });
        let width = core::array::from_fn(|i| x[i] * SCALE);
        let reach = inside.map(|i: u32| (2 * i).saturating_sub(1));
        Ziggurat { inside, reach, width, x, f }
    })
}

/// How far from the wedge's bounds a height must lie to be decided by them (see `Ziggurat::under_curve`).
const WEDGE_MARGIN: f64 = 1e-12;

/// Layer and odd signed abscissa `m` (`|m| < 2^24`) of a word.
#[inline(always)]
fn split(word: u32) -> (usize, i32) {
    ((word & 0xff) as usize, ((word as i32) >> 7) | 1)
}

impl Ziggurat {
    /// A word's abscissa in its layer, and whether it lies inside the layer's rectangle (then it is the normal).
    #[inline(always)]
    fn rectangle(&self, word: u32) -> (f64, bool) {
        let (layer, m) = split(word);
        let reach = self.reach[layer];
        (f64::from(m) * self.width[layer], (m as u32).wrapping_add(reach >> 1) < reach)
    }

    /// The normal of a word outside its rectangle: the rest of the ziggurat on `rng`.
    fn outside(&self, word: u32, rng: &mut FastChaCha8) -> f64 {
        let (layer, m) = split(word);
        self.finish(layer, m, rng)
    }

    /// The rest of the ziggurat for a draw outside its rectangle: the wedge test, the tail, or a fresh
    /// draw after a rejection, all on `rng`.
    #[inline(never)]
    fn finish(&self, mut layer: usize, mut m: i32, rng: &mut FastChaCha8) -> f64 {
        loop {
            let x = f64::from(m) * self.width[layer];
            if m.unsigned_abs() < self.inside[layer] {
                return x;
            }
            if layer == 0 {
                return (R + self.tail(rng)).copysign(x);
            }
            // Uniform on the wedge's height: under the curve, or rejected.
            if self.under_curve(layer, x.abs(), self.f[layer + 1] + unit(rng) * (self.f[layer] - self.f[layer + 1])) {
                return x;
            }
            (layer, m) = split(rng.next_u32());
        }
    }

    /// `y < density(t)` for `t` in layer `layer`'s wedge (`x_{layer+1} <= t < x_layer`), mostly without
    /// `exp`: the density is convex beyond 1 and concave below, so on the wedge it lies between the chord
    /// through the wedge's corners and the tangents there. Only a `y` within `WEDGE_MARGIN` of the band
    /// between them takes `exp`, so the answer is always the `exp` test's (the lines' rounding and `exp`'s
    /// own error are below 1e-15). `libm`'s `exp` was 2.6% of `percolab generate`'s CPU samples.
    #[inline(always)]
    fn under_curve(&self, layer: usize, t: f64, y: f64) -> bool {
        match self.wedge_bounds(layer, t) {
            Some((lower, _)) if y < lower - WEDGE_MARGIN => true,
            Some((_, upper)) if y > upper + WEDGE_MARGIN => false,
            _ => y < density(t),
        }
    }

    /// Lines below and above the density at `t` on layer `layer`'s wedge; none on the wedge holding 1.
    #[inline(always)]
    fn wedge_bounds(&self, layer: usize, t: f64) -> Option<(f64, f64)> {
        let (a, b, fa, fb) = (self.x[layer + 1], self.x[layer], self.f[layer + 1], self.f[layer]);
        let chord = fa + (fb - fa) / (b - a) * (t - a);
        let tangent = |p: f64, fp: f64| fp - p * fp * (t - p);
        if a >= 1.0 {
            Some((tangent(a, fa).max(tangent(b, fb)), chord))
        } else if b <= 1.0 {
            Some((chord, tangent(a, fa).min(tangent(b, fb))))
        } else {
            None
        }
    }

    /// How far beyond `R` a tail draw lies (Marsaglia 1964).
    fn tail(&self, rng: &mut FastChaCha8) -> f64 {
        loop {
            let x = -libm::log(open_unit(rng)) / R;
            let y = -libm::log(open_unit(rng));
            if 2.0 * y >= x * x {
                return x;
            }
        }
    }
}

/// Uniform on `[0, 1)` in steps of 2^-53.
fn unit(rng: &mut FastChaCha8) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform on `(0, 1]` in steps of 2^-53.
fn open_unit(rng: &mut FastChaCha8) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A segment's companion-stream draws, from where the normals before in the segment left them; the
/// generator is made (a four-block computation) only when a draw needs it.
struct Companion<'a> {
    keystream: &'a Keystream,
    /// Word of the companion stream where the segment's next slow draw starts.
    at: u64,
    rng: Option<FastChaCha8>,
}

impl Companion<'_> {
    fn rng(&mut self) -> &mut FastChaCha8 {
        self.rng.get_or_insert_with(|| FastChaCha8::at_word(self.keystream.clone(), self.at))
    }

    fn end(&self) -> u64 {
        self.rng.as_ref().map_or(self.at, FastChaCha8::word_pos)
    }
}

/// First companion word of the segment of normal `k`.
fn companion_start(k: u64) -> u64 {
    let segment = k / SEGMENT;
    assert!(segment < 1 << (64 - COMPANION_ROOM_BITS), "normal {k}: past the companion stream's room");
    segment << COMPANION_ROOM_BITS
}

/// Where the companion stream stands at normal `from`, the start of a span of a run that starts at normal
/// `first` with the companion at `at_first`: there, else at the start of `from`'s segment.
fn companion_at(from: u64, first: u64, at_first: u64) -> u64 {
    if from == first {
        at_first
    } else {
        companion_start(from)
    }
}

/// Writes `map` of normals `from .. to` (within one segment) into `out`, the segment's companion stream
/// starting at word `companion`; returns where it stands after them.
fn decode_span<T>(streams: &Streams, from: u64, to: u64, companion: u64, out: &mut [MaybeUninit<T>], map: &impl Fn(f64) -> T) -> u64 {
    debug_assert!(from < to && from / SEGMENT == (to - 1) / SEGMENT && out.len() == (to - from) as usize);
    let table = ziggurat();
    let mut companion = Companion { keystream: &streams.companion, at: companion, rng: None };
    let mut rng = FastChaCha8::at_word(streams.main.clone(), from);
    let mut n = 0;
    while n < out.len() {
        let (buffer, index, _) = rng.buffered();
        let take = (BUFFER_WORDS - index).min(out.len() - n);
        let (slots, words) = (&mut out[n..n + take], &buffer[index..index + take]);
        // Every word as if inside its rectangle, the others listed; then those, in order (their companion
        // draws are sequential). No call in the first loop: with `finish` called from it, V8 kept the
        // loop's values on the stack (about twice the instructions per normal).
        let (mut outside, mut listed) = ([0u8; BUFFER_WORDS], 0);
        for (i, (slot, &word)) in slots.iter_mut().zip(words).enumerate() {
            let (x, inside) = table.rectangle(word);
            slot.write(map(x));
            // `listed <= i < BUFFER_WORDS`: the mask only spares the bounds check.
            outside[listed % BUFFER_WORDS] = i as u8;
            listed += usize::from(!inside);
        }
        for &i in &outside[..listed] {
            let i = usize::from(i);
            slots[i].write(map(table.outside(words[i], companion.rng())));
        }
        rng.set_index(index + take);
        n += take;
    }
    companion.end()
}

/// The main stream, whose word `k` is normal `k`'s draw, and its companion.
#[derive(Clone, Debug)]
struct Streams {
    main: Keystream,
    companion: Keystream,
}

/// Normals `from .. to` cut where segments start: the spans that can be decoded apart.
fn spans(from: u64, to: u64) -> impl Iterator<Item = (u64, u64)> {
    let mut at = from;
    core::iter::from_fn(move || {
        (at < to).then(|| {
            let end = ((at / SEGMENT + 1) * SEGMENT).min(to);
            let span = (at, end);
            at = end;
            span
        })
    })
}

/// The normal sequence of one stream, from a position on.
#[derive(Clone, Debug)]
pub struct Normals {
    streams: Streams,
    /// The next normal.
    next: u64,
    /// Companion word where the next normal's segment draws next.
    companion: u64,
}

/// The spare capacity of an output vector, shared among a phase's items: span `s` writes its own slots.
struct Room<T>(*mut MaybeUninit<T>);

// SAFETY: items write disjoint slots (`Room::slots`), and the vector outlives the phase.
unsafe impl<T: Send> Send for Room<T> {}
unsafe impl<T: Send> Sync for Room<T> {}

impl<T> Room<T> {
    /// SAFETY: the caller has reserved slots `at .. at + len`, and no one else writes them.
    #[allow(clippy::mut_from_ref)]
    unsafe fn slots(&self, at: usize, len: usize) -> &mut [MaybeUninit<T>] {
        unsafe { std::slice::from_raw_parts_mut(self.0.add(at), len) }
    }
}

impl Normals {
    /// The normals of `rng`'s stream, from its word position on (`rng` itself is not advanced): those
    /// the sequence from word 0 has there.
    pub fn new(rng: &ChaCha8Rng) -> Normals {
        let main = Keystream::of(rng);
        let next = rng.get_word_pos() as u64;
        let streams = Streams { companion: main.companion(), main };
        let start = next - next % SEGMENT;
        let mut normals = Normals { streams, next: start, companion: companion_start(start) };
        if start < next {
            // Where the normals before `next` in its segment leave the companion stream.
            let mut skipped = vec![MaybeUninit::uninit(); (next - start) as usize];
            let companion = decode_span(&normals.streams, start, next, normals.companion, &mut skipped, &|_| ());
            normals.advance(next, companion);
        }
        normals
    }

    /// Moves past normals up to `to`, the last span ending with the companion stream at `companion`.
    fn advance(&mut self, to: u64, companion: u64) {
        self.next = to;
        self.companion = if to.is_multiple_of(SEGMENT) { companion_start(to) } else { companion };
    }

    /// Appends `map(z)` for the next `want` normals `z`.
    pub fn fill<T: Send + Sync + Copy>(&mut self, out: &mut Vec<T>, want: usize, map: impl Fn(f64) -> T + Sync) {
        with_team(|team| self.fill_on(team, out, want, &map, || {}));
    }

    /// [`Normals::fill`] with the segments decoded by `team` (which calls its helper for several),
    /// whose caller first runs `alongside`.
    pub fn fill_on<T: Send + Sync + Copy>(&mut self, team: &Arc<Team>, out: &mut Vec<T>, want: usize, map: &(impl Fn(f64) -> T + Sync), alongside: impl FnOnce()) {
        let (from, to) = (self.next, self.next + want as u64);
        let cut: Vec<(u64, u64)> = spans(from, to).collect();
        if cut.len() > 1 {
            team.call_helper();
        }
        let base = out.len();
        out.reserve_exact(want);
        let room = Room(out.spare_capacity_mut().as_mut_ptr());
        // Where the last span leaves the companion stream: the next normal's segment goes on from there.
        let last_end = OnceLock::new();
        let (streams, at_first) = (&self.streams, self.companion);
        team.for_each_alongside(
            cut.len(),
            |s| {
                let (a, b) = cut[s];
                // SAFETY: span `s` alone writes these reserved slots, and `out` stays where it is meanwhile.
                let slots = unsafe { room.slots((a - from) as usize, (b - a) as usize) };
                let end = decode_span(streams, a, b, companion_at(a, from, at_first), slots, map);
                if s + 1 == cut.len() {
                    let _ = last_end.set(end);
                }
            },
            alongside,
        );
        // SAFETY: every span has written its slots: `base .. base + want` are initialised.
        unsafe { out.set_len(base + want) };
        if let Some(&end) = last_end.get() {
            self.advance(to, end);
        }
    }

    /// Opens the decoding of the next `want` normals on `team` (none if fewer than a piece's worth),
    /// whose helper works through it, a segment at a time, until [`Normals::take_prefetched`]. Nothing
    /// else may use `team` in between.
    pub fn prefetch<T: Send + Sync + 'static>(&self, team: &Arc<Team>, want: usize, map: impl Fn(f64) -> T + Send + Sync + 'static) -> Option<Prefetch<T>> {
        if want < PIECE_NORMALS {
            return None;
        }
        let cut: Arc<[(u64, u64)]> = spans(self.next, self.next + want as u64).collect();
        let slots: Slots<T> = cut.iter().map(|_| Mutex::new(None)).collect();
        let (decoded, spans_of) = (Arc::clone(&slots), Arc::clone(&cut));
        let (streams, first, first_companion) = (self.streams.clone(), self.next, self.companion);
        let phase = team.open(
            cut.len(),
            Arc::new(move |s| {
                let (a, b) = spans_of[s];
                let companion = companion_at(a, first, first_companion);
                let mut values = Vec::with_capacity((b - a) as usize);
                let end = decode_span(&streams, a, b, companion, &mut values.spare_capacity_mut()[..(b - a) as usize], &map);
                // SAFETY: `decode_span` initialised all `b - a` slots.
                unsafe { values.set_len((b - a) as usize) };
                *decoded[s].lock().expect("span") = Some((values, end));
            }),
        );
        Some(Prefetch { first, cut, slots, phase })
    }

    /// Appends the normals `prefetch` has decoded, the caller first running `alongside` while the helper
    /// goes on. Segments nobody has begun are not decoded: the caller decodes what it still needs where
    /// it needs it (`fill_on`), so segments decoded ahead hold memory only for the time the caller was away.
    pub fn take_prefetched<T: Send + Sync>(&mut self, team: &Team, prefetch: Prefetch<T>, out: &mut Vec<T>, alongside: impl FnOnce()) {
        assert_eq!(prefetch.first, self.next, "prefetched from another position");
        alongside();
        let ran = team.close(prefetch.phase);
        let Some(&(_, to)) = prefetch.cut.get(ran.wrapping_sub(1)) else {
            return;
        };
        out.reserve_exact((to - prefetch.first) as usize);
        let mut end = self.companion;
        // Taken, not unwrapped: the helper may hold the phase's closure, and so the slots, a moment longer.
        for slot in prefetch.slots.iter().take(ran) {
            let (mut values, companion) = slot.lock().expect("span").take().expect("every claimed span decoded");
            out.append(&mut values);
            end = companion;
        }
        self.advance(to, end);
    }
}

/// Segments of a stream's normals being decoded by a team's helper ([`Normals::prefetch`]).
pub struct Prefetch<T> {
    first: u64,
    cut: Arc<[(u64, u64)]>,
    slots: Slots<T>,
    phase: OpenPhase,
}

/// Each prefetched segment's values and where it left the companion stream, once decoded.
type Slots<T> = Arc<[Mutex<Option<(Vec<T>, u64)>>]>;

#[cfg(test)]
mod tests;
