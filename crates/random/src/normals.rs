//! The standard normals that `rand_distr::StandardNormal` draws one after another from a stream, made
//! in pieces that threads decode at once, with the same values in the same order.
//!
//! A normal takes one `u64` (two words) unless its ziggurat test fails (about 1.2% of draws), when it
//! takes more; so where the `k`-th normal starts is known only after the ones before it. Each piece of
//! the keystream is therefore decoded as if a normal started at its first word, recording where its
//! first normals start. The merge, in order, knows where the previous piece's last normal really
//! ended: at the piece's first word (the usual case), or at one of the recorded starts (the two
//! decodings agree from there on, since decoding depends only on the position), or, failing both, the
//! piece is decoded again from there. The values are thus exactly the sequential ones, for any number
//! of threads.

use crate::chacha::{FastChaCha8, Keystream, BUFFER_WORDS};
use crate::team::{with_team, OpenPhase, Team};
use std::sync::Arc;
use rand::TryRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::sync::{Mutex, OnceLock};

/// Words per piece: 8192 draws, about 8100 normals.
const PIECE_WORDS: u64 = 1 << 14;
/// Most normals one piece yields (one per draw).
pub const PIECE_NORMALS: usize = (PIECE_WORDS / 2) as usize;
/// Starts recorded per piece; a misaligned decoding meets the true one within a few normals.
const RECORDED_STARTS: usize = 64;

/// The normal sequence of one stream, from a position on.
#[derive(Clone, Debug)]
pub struct Normals {
    keystream: Keystream,
    /// Word where the next normal starts.
    next: u64,
    /// Starts recorded per piece ([`RECORDED_STARTS`]; tests lower it to exercise decoding again).
    recorded: usize,
}

/// Layers of the ziggurat whose first test [`fast_normal`] makes itself (the last two: always the full draw).
const FAST_LAYERS: usize = 254;

/// `StandardNormal`'s ziggurat abscissae `x_0 .. x_254`, read off `StandardNormal` itself: a draw whose
/// layer is `i` and whose uniform is `u = -2^-10` (exact) passes the first test (`|u x_i| < x_{i+1}`) and
/// returns `u x_i`, an exact power-of-two multiple of `x_i`.
fn abscissae() -> &'static [f64; FAST_LAYERS + 1] {
    static TABLE: OnceLock<[f64; FAST_LAYERS + 1]> = OnceLock::new();
    TABLE.get_or_init(|| {
        /// Yields one chosen `u64`, then counts any further draw (there must be none).
        struct One(u64, u32);
        impl TryRng for One {
            type Error = core::convert::Infallible;
            fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
                Ok(self.try_next_u64()? as u32)
            }
            fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
                self.1 += 1;
                // Past the first draw, words from a stream, so that any further loop ends.
                Ok(if self.1 == 1 { self.0 } else { u64::from(self.1).wrapping_mul(0x9e37_79b9_7f4a_7c15) })
            }
            fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
                dst.fill(0);
                Ok(())
            }
        }
        // (bits >> 12) | exponent 1 = 2 (1 + m / 2^52) = 3 - 2^-10 for m = 2^51 - 2^41.
        let mantissa: u64 = (1 << 51) - (1 << 41);
        core::array::from_fn(|i| {
            let mut rng = One((mantissa << 12) | i as u64, 0);
            let x: f64 = StandardNormal.sample(&mut rng);
            assert_eq!(rng.1, 1, "layer {i}: the probe took the slow path");
            -x * 1024.0
        })
    })
}

/// The normal `StandardNormal` draws from `rng`: its first test made here on the buffered word (the
/// same operations on the same bits, about 98% of draws), else the full draw from the same position.
#[inline(always)]
fn fast_normal(rng: &mut FastChaCha8, x: &[f64; FAST_LAYERS + 1]) -> f64 {
    if let Some(z) = rng.peek_u64().and_then(|bits| first_test(bits, x)) {
        rng.skip_u64();
        return z;
    }
    StandardNormal.sample(rng)
}

/// `StandardNormal`'s first test on the draw `bits`: its value when layer and uniform pass it, else `None`
/// (the draw takes the full path).
#[inline(always)]
fn first_test(bits: u64, x: &[f64; FAST_LAYERS + 1]) -> Option<f64> {
    let i = (bits & 0xff) as usize;
    if i >= FAST_LAYERS {
        return None;
    }
    let u = f64::from_bits((bits >> 12) | (1024u64 << 52)) - 3.0;
    let z = u * x[i];
    (z.abs() < x[i + 1]).then_some(z)
}

/// The spare capacity of an output vector, shared among a phase's items: piece `p` writes its own
/// `PIECE_NORMALS` slots.
struct Room<T>(*mut core::mem::MaybeUninit<T>);

// SAFETY: items write disjoint slots (`Room::piece`), and the vector outlives the phase.
unsafe impl<T: Send> Send for Room<T> {}
unsafe impl<T: Send> Sync for Room<T> {}

impl<T> Room<T> {
    /// SAFETY: the caller has reserved `PIECE_NORMALS` slots for piece `p`, and no one else writes them.
    #[allow(clippy::mut_from_ref)]
    unsafe fn piece(&self, p: usize) -> &mut [core::mem::MaybeUninit<T>] {
        unsafe { std::slice::from_raw_parts_mut(self.0.add(p * PIECE_NORMALS), PIECE_NORMALS) }
    }
}

struct Piece<T> {
    values: Vec<T>,
    starts: Vec<u64>,
    end: u64,
}

fn decode<T>(keystream: &Keystream, from: u64, to: u64, recorded: usize, map: &impl Fn(f64) -> T) -> Piece<T> {
    // A normal takes two words or more: at most this many start in `from..to`.
    let mut values = Vec::with_capacity(to.saturating_sub(from).div_ceil(2) as usize);
    let (written, starts, end) = decode_into(keystream, from, to, recorded, map, values.spare_capacity_mut());
    // SAFETY: `decode_into` initialised the first `written` slots.
    unsafe { values.set_len(written) };
    Piece { values, starts, end }
}

/// The normals that start in words `from..to`, as if one started at `from`, written into `out` (room for
/// one per two words): returns how many, where the first `recorded` of them start, and the word after
/// the last one.
fn decode_into<T>(keystream: &Keystream, from: u64, to: u64, recorded: usize, map: &impl Fn(f64) -> T, out: &mut [core::mem::MaybeUninit<T>]) -> (usize, Vec<u64>, u64) {
    let mut rng = FastChaCha8::at_word(keystream.clone(), from);
    let table = abscissae();
    let mut starts = Vec::with_capacity(recorded);
    while rng.word_pos() < to && starts.len() < recorded {
        starts.push(rng.word_pos());
        out[starts.len() - 1].write(map(fast_normal(&mut rng, table)));
    }
    let done = starts.len();
    let written = normals_before(&mut rng, to, table, &mut out[done..], map);
    (done + written, starts, rng.word_pos())
}

/// Writes `map(z)` into `out` for the normals that start before word `to` and returns how many (`out` has
/// room for one per two words): [`fast_normal`]'s values, with its first test made in a loop over the
/// buffered words (no draw leaves the buffer there; two at a time in SIMD lanes where there are), the
/// rest drawn one by one.
#[inline(always)]
fn normals_before<T>(rng: &mut FastChaCha8, to: u64, x: &[f64; FAST_LAYERS + 1], out: &mut [core::mem::MaybeUninit<T>], map: &impl Fn(f64) -> T) -> usize {
    let mut n = 0;
    while rng.word_pos() < to {
        let (buffer, mut index, first) = rng.buffered();
        // Draws that start below `stop` lie wholly in the buffer and start before `to`.
        let stop = (BUFFER_WORDS - 1).min(to.saturating_sub(first).min(BUFFER_WORDS as u64) as usize);
        while index < stop {
            (index, n) = pairs::first_tests(buffer, index, stop, x, out, n, map);
            if index >= stop {
                break;
            }
            let Some(z) = first_test((u64::from(buffer[index + 1]) << 32) | u64::from(buffer[index]), x) else {
                break;
            };
            out[n].write(map(z));
            n += 1;
            index += 2;
        }
        rng.set_index(index);
        if rng.word_pos() < to {
            out[n].write(map(fast_normal(rng, x)));
            n += 1;
        }
    }
    n
}

/// The first test on two buffered draws at once, for as long as both pass: from `index`, while the
/// draws at `index` and `index + 2` start below `stop`; returns where it stopped and the count written.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod pairs {
    use super::{BUFFER_WORDS, FAST_LAYERS};
    use core::arch::wasm32::*;
    use core::mem::MaybeUninit;

    #[inline(always)]
    pub(super) fn first_tests<T>(buffer: &[u32; BUFFER_WORDS], mut index: usize, stop: usize, x: &[f64; FAST_LAYERS + 1], out: &mut [MaybeUninit<T>], mut n: usize, map: &impl Fn(f64) -> T) -> (usize, usize) {
        let exponent = u64x2_splat(1024u64 << 52);
        let three = f64x2_splat(3.0);
        while index + 2 < stop {
            let (i0, i1) = ((buffer[index] & 0xff) as usize, (buffer[index + 2] & 0xff) as usize);
            if i0 >= FAST_LAYERS || i1 >= FAST_LAYERS {
                break;
            }
            // SAFETY: index + 3 <= stop < BUFFER_WORDS: four words inside the buffer (little-endian, so
            // the two u64 lanes are the draws `(hi << 32) | lo` at `index` and `index + 2`).
            let bits = unsafe { v128_load(buffer.as_ptr().add(index).cast()) };
            let u = f64x2_sub(v128_or(u64x2_shr(bits, 12), exponent), three);
            let z = f64x2_mul(u, f64x2(x[i0], x[i1]));
            if !i64x2_all_true(f64x2_lt(f64x2_abs(z), f64x2(x[i0 + 1], x[i1 + 1]))) {
                break;
            }
            out[n].write(map(f64x2_extract_lane::<0>(z)));
            out[n + 1].write(map(f64x2_extract_lane::<1>(z)));
            n += 2;
            index += 4;
        }
        (index, n)
    }
}

/// Off wasm the scalar loop does it all.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod pairs {
    use super::{BUFFER_WORDS, FAST_LAYERS};
    use core::mem::MaybeUninit;

    #[inline(always)]
    pub(super) fn first_tests<T>(_: &[u32; BUFFER_WORDS], index: usize, _: usize, _: &[f64; FAST_LAYERS + 1], _: &mut [MaybeUninit<T>], n: usize, _: &impl Fn(f64) -> T) -> (usize, usize) {
        (index, n)
    }
}

impl Normals {
    /// The normals `StandardNormal` would draw from `rng` next (`rng` itself is not advanced).
    pub fn new(rng: &ChaCha8Rng) -> Normals {
        Normals { keystream: Keystream::of(rng), next: rng.get_word_pos() as u64, recorded: RECORDED_STARTS }
    }

    /// Appends `map(z)` for at least the next `want` normals `z` (fewer than a piece's worth: exactly
    /// `want`, drawn in turn; more: whole pieces, which may give up to a piece more).
    pub fn fill<T: Send + Sync + Copy>(&mut self, out: &mut Vec<T>, want: usize, map: impl Fn(f64) -> T + Sync) {
        with_team(|team| self.fill_on(team, out, want, &map, || {}));
    }

    /// [`Normals::fill`] with the pieces decoded by `team` (which calls its helper for several pieces),
    /// whose caller first runs `alongside`.
    pub fn fill_on<T: Send + Sync + Copy>(&mut self, team: &Arc<Team>, out: &mut Vec<T>, want: usize, map: &(impl Fn(f64) -> T + Sync), alongside: impl FnOnce()) {
        let per_piece = PIECE_NORMALS;
        let mut alongside = Some(alongside);
        if want < per_piece {
            if let Some(f) = alongside.take() {
                f();
            }
            let mut rng = FastChaCha8::at_word(self.keystream.clone(), self.next);
            let table = abscissae();
            out.extend((0..want).map(|_| map(fast_normal(&mut rng, table))));
            self.next = rng.word_pos();
            return;
        }
        let target = out.len() + want;
        out.reserve_exact(want + per_piece);
        while out.len() < target {
            let first = alongside.take();
            self.extend_on(team, out, (target - out.len()).div_ceil(per_piece), map, || {
                if let Some(f) = first {
                    f();
                }
            });
        }
    }

    /// Appends `map(z)` for the next normals `z`: as many as `pieces` pieces of 8192 draws yield
    /// (about 8100 each), decoded by a [`Team`] (with the `threads` feature, two threads).
    pub fn extend<T: Send + Sync + Copy>(&mut self, out: &mut Vec<T>, pieces: usize, map: impl Fn(f64) -> T + Sync) {
        with_team(|team| self.extend_on(team, out, pieces, &map, || {}));
    }

    fn extend_on<T: Send + Sync + Copy>(&mut self, team: &Arc<Team>, out: &mut Vec<T>, pieces: usize, map: &(impl Fn(f64) -> T + Sync), alongside: impl FnOnce()) {
        let first = self.next;
        // A phase of several pieces is worth a helper's wake (one piece is not).
        if pieces > 1 {
            team.call_helper();
        }
        // Each piece decodes straight into room of its own past `out`'s end (a piece's most normals each),
        // then the pieces close up in order: no piece buffers beside `out`.
        let base = out.len();
        out.reserve(pieces * PIECE_NORMALS);
        let room = Room(out.spare_capacity_mut().as_mut_ptr());
        let decoded: Vec<OnceLock<(usize, Vec<u64>, u64)>> = (0..pieces).map(|_| OnceLock::new()).collect();
        let (keystream, recorded) = (&self.keystream, self.recorded);
        team.for_each_alongside(
            pieces,
            |p| {
                let (from, to) = piece_bounds(first, p);
                // SAFETY: item `p` alone writes these slots of `out`'s spare capacity, which stays where it
                // is until every item has run (nothing touches `out` meanwhile).
                let slots = unsafe { room.piece(p) };
                let _ = decoded[p].set(decode_into(keystream, from, to, recorded, map, slots));
            },
            alongside,
        );
        let (mut at, mut len) = (first, base);
        for (p, piece) in decoded.into_iter().enumerate() {
            let (mut count, starts, mut end) = piece.into_inner().expect("every piece decoded");
            let (from, to) = piece_bounds(first, p);
            let skip = match realigned(at, from, &starts) {
                Some(j) => {
                    count -= j;
                    j
                }
                None => {
                    // SAFETY: as above, and no item runs now.
                    (count, _, end) = decode_into(&self.keystream, at, to, 0, map, unsafe { room.piece(p) });
                    0
                }
            };
            // SAFETY: slots `skip .. skip + count` of piece `p` are initialised; they move down (or stay) to
            // `len`, past every value already kept.
            unsafe { std::ptr::copy(out.as_ptr().add(base + p * PIECE_NORMALS + skip), out.as_mut_ptr().add(len), count) };
            len += count;
            at = end.max(at);
        }
        // SAFETY: `base .. len` now holds the kept values.
        unsafe { out.set_len(len) };
        self.next = at;
    }

    /// Opens the decoding of the next `want` normals or a few more (whole pieces, with room for the
    /// normals that take more than one draw; none if fewer than a piece's worth) on `team`, whose helper
    /// works through it until [`Normals::take_prefetched`]. Nothing else may use `team` in between.
    pub fn prefetch<T: Send + Sync + 'static>(&self, team: &Arc<Team>, want: usize, map: impl Fn(f64) -> T + Send + Sync + 'static) -> Option<Prefetch<T>> {
        if want < PIECE_NORMALS {
            return None;
        }
        // About 2.2% of a piece's draws go to normals that take more than one: 1/32 more draws, so the caller rarely has to
        // decode a short tail itself.
        let pieces = (want + want / 32).div_ceil(PIECE_NORMALS);
        let slots: Arc<[Mutex<Option<Piece<T>>>]> = (0..pieces).map(|_| Mutex::new(None)).collect();
        let (keystream, first, recorded) = (self.keystream.clone(), self.next, self.recorded);
        let decoded = Arc::clone(&slots);
        let phase = team.open(pieces, Arc::new(move |p| *decoded[p].lock().expect("piece") = Some(decode_piece(&keystream, first, p, recorded, &map))));
        Some(Prefetch { first, slots, phase })
    }

    /// Appends the normals `prefetch` has decoded (`map` as given to [`Normals::prefetch`], for any piece
    /// decoded again), the caller first running `alongside` while the helper goes on. Pieces nobody has
    /// begun are not decoded: the caller decodes what it still needs where it needs it (`fill_on`), so
    /// pieces decoded ahead hold memory only for the time the caller was away.
    pub fn take_prefetched<T: Send + Sync>(&mut self, team: &Team, prefetch: Prefetch<T>, out: &mut Vec<T>, map: &(impl Fn(f64) -> T + Sync), alongside: impl FnOnce()) {
        assert_eq!(prefetch.first, self.next, "prefetched from another position");
        alongside();
        let ran = team.close(prefetch.phase);
        // Room for every piece at once (appending piece by piece would double the capacity, and the
        // walker keeps it).
        out.reserve_exact(ran * PIECE_NORMALS);
        // Taken, not unwrapped: the helper may hold the phase's closure, and so the slots, a moment longer.
        let pieces = prefetch.slots.iter().take(ran).map(|slot| slot.lock().expect("piece").take().expect("every claimed piece decoded"));
        self.merge(prefetch.first, pieces, out, map);
    }

    /// Appends the pieces from word `first` on in order, each from where the one before really ended.
    fn merge<T>(&mut self, first: u64, pieces: impl Iterator<Item = Piece<T>>, out: &mut Vec<T>, map: &impl Fn(f64) -> T) {
        let mut at = first;
        for (p, mut piece) in pieces.enumerate() {
            let (from, to) = piece_bounds(first, p);
            match realigned(at, from, &piece.starts) {
                Some(j) => {
                    piece.values.drain(..j);
                }
                None => piece = decode(&self.keystream, at, to, 0, map),
            }
            out.append(&mut piece.values);
            at = piece.end.max(at);
        }
        self.next = at;
    }
}

/// Pieces of a stream's normals being decoded by a team's helper ([`Normals::prefetch`]).
pub struct Prefetch<T> {
    first: u64,
    slots: Arc<[Mutex<Option<Piece<T>>>]>,
    phase: OpenPhase,
}

/// Where a piece decoded from word `from` keeps its values, given that the piece before really ended at
/// word `at`: from its `j`-th value (0 when `at == from`; else the one recorded to start at `at`), or,
/// with `None`, nowhere: it is decoded again from `at` (the two decodings agree from a common start on).
fn realigned(at: u64, from: u64, starts: &[u64]) -> Option<usize> {
    if at == from {
        return Some(0);
    }
    starts.iter().position(|&s| s == at)
}

/// Words of piece `p` of those from word `first` on.
fn piece_bounds(first: u64, p: usize) -> (u64, u64) {
    (first + p as u64 * PIECE_WORDS, first + (p as u64 + 1) * PIECE_WORDS)
}

fn decode_piece<T>(keystream: &Keystream, first: u64, p: usize, recorded: usize, map: &impl Fn(f64) -> T) -> Piece<T> {
    let (from, to) = piece_bounds(first, p);
    decode(keystream, from, to, recorded, map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{stream, Purpose};

    #[test]
    fn the_first_test_made_here_gives_standard_normals_draws_on_every_layer() {
        // 300 000 draws: every layer about 1200 times, and a few thousand full (slow) draws.
        let mut rng = stream(4, Purpose::Embedding, 1);
        let mut fast = FastChaCha8::from_rng(&rng);
        let table = abscissae();
        assert!(table.windows(2).all(|w| w[0] > w[1] && w[1] > 0.0), "abscissae decrease");
        for _ in 0..300_000 {
            let want: f64 = StandardNormal.sample(&mut rng);
            assert_eq!(fast_normal(&mut fast, table).to_bits(), want.to_bits());
            assert_eq!(fast.word_pos(), rng.get_word_pos() as u64);
        }
    }

    #[test]
    fn equal_to_drawing_one_by_one_across_many_pieces() {
        for seed in [1u64, 2, 3] {
            let mut rng = stream(seed, Purpose::Embedding, seed);
            let mut normals = Normals::new(&rng);
            let mut got = Vec::new();
            for pieces in [1usize, 3, 7, 20] {
                normals.extend(&mut got, pieces, |z| z);
            }
            // Drawn in turn (exactly as many as asked), then in pieces (at least as many).
            for want in [1usize, 5, 1000, 20_000] {
                let before = got.len();
                normals.fill(&mut got, want, |z| z);
                assert!(got.len() - before >= want && (want >= 4096 || got.len() - before == want));
            }
            // 31 pieces of 8192 draws, whose first words mostly start a normal (realignment: below).
            let want: Vec<f64> = (0..got.len()).map(|_| StandardNormal.sample(&mut rng)).collect();
            assert_eq!(got, want, "seed {seed}");
            assert_eq!(normals.next, rng.get_word_pos() as u64);
        }
    }

    #[test]
    fn prefetched_pieces_continue_the_sequence_like_decoded_ones() {
        let mut rng = stream(5, Purpose::Embedding, 2);
        let mut normals = Normals::new(&rng);
        let mut got = Vec::new();
        with_team(|team| {
            assert!(normals.prefetch(team, PIECE_NORMALS - 1, |z| z).is_none(), "less than a piece is not prefetched");
            for want in [PIECE_NORMALS, 5 * PIECE_NORMALS + 3, 2 * PIECE_NORMALS - 1, 100 * PIECE_NORMALS] {
                let ahead = normals.prefetch(team, want, |z| z).expect("a piece or more");
                let (mut ran, before) = (false, got.len());
                // Away for a while (or not): the pieces begun by then are taken, the rest decoded here.
                std::thread::sleep(std::time::Duration::from_micros(want as u64 / 64));
                normals.take_prefetched(team, ahead, &mut got, &|z| z, || ran = true);
                assert!(ran);
                let have = got.len() - before;
                normals.fill_on(team, &mut got, want.saturating_sub(have) + 10, &|z| z, || {});
            }
        });
        let want: Vec<f64> = (0..got.len()).map(|_| StandardNormal.sample(&mut rng)).collect();
        assert_eq!(got, want);
        assert_eq!(normals.next, rng.get_word_pos() as u64);
    }

    #[test]
    fn a_piece_boundary_inside_a_normal_is_realigned_by_recorded_starts_or_decoded_again() {
        // True starts over a stretch of the stream; a start S whose S + PIECE_WORDS falls inside a
        // normal that took more than one draw puts the second piece's first word mid-normal.
        let mut walk = stream(9, Purpose::Embedding, 0);
        let mut starts = std::collections::BTreeSet::new();
        while walk.get_word_pos() < 4 * PIECE_WORDS as u128 {
            starts.insert(walk.get_word_pos() as u64);
            let _: f64 = StandardNormal.sample(&mut walk);
        }
        let start = *starts.iter().find(|&&s| s + PIECE_WORDS < 3 * PIECE_WORDS && !starts.contains(&(s + PIECE_WORDS))).expect("a slow normal in the stretch");
        for recorded in [RECORDED_STARTS, 0] {
            let mut rng = stream(9, Purpose::Embedding, 0);
            rng.set_word_pos(start as u128);
            let mut normals = Normals::new(&rng);
            normals.recorded = recorded;
            let mut got = Vec::new();
            normals.extend(&mut got, 2, |z| z);
            let want: Vec<f64> = (0..got.len()).map(|_| StandardNormal.sample(&mut rng)).collect();
            assert_eq!(got, want, "from word {start}, {recorded} recorded starts");
            assert_eq!(normals.next, rng.get_word_pos() as u64);
        }
    }
}
