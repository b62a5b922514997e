use crate::EmbedError;

/// A generator of embedded points consumed in chunks of rows, holding only what the next rows need.
pub trait PointStream {
    /// Coordinates per row (the ambient dimension `d`).
    fn dimension(&self) -> usize;
    /// Rows the stream yields in total.
    fn len(&self) -> u64;
    /// Rows yielded so far.
    fn position(&self) -> u64;
    /// Appends up to `rows` rows (row-major f32) to `out` and returns how many; 0 once exhausted.
    fn fill(&mut self, out: &mut Vec<f32>, rows: usize) -> usize;
    /// Floats `fill` may reserve in `out` past what it holds, for `rows` rows: a caller that reserves as
    /// much first (e.g. to place the rows) keeps `out` where it is.
    fn room(&self, rows: usize) -> usize {
        rows * self.dimension()
    }

    /// Work before the first rows that can be done in steps: does up to about `sites` sites of it (if it is
    /// this thread's to do) and returns the fraction done, 1 once the first rows are ready to compute.
    fn prepare(&mut self, _sites: usize) -> f64 {
        1.0
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn remaining(&self) -> u64 {
        self.len() - self.position()
    }
    /// The next chunk of at most `rows` rows, or `None` once exhausted (or if `rows` is 0).
    fn next_chunk(&mut self, rows: usize) -> Option<Vec<f32>> {
        let take = (rows as u64).min(self.remaining()) as usize;
        if take == 0 {
            return None;
        }
        let mut out = Vec::with_capacity(take * self.dimension());
        self.fill(&mut out, take);
        Some(out)
    }
}

/// Rows times dimension as a `Vec` length, if an array that long can exist.
pub(crate) fn array_len(rows: u64, dimension: usize) -> Result<usize, EmbedError> {
    rows.checked_mul(dimension as u64)
        .filter(|&n| n <= isize::MAX as u64 / 4)
        .map(|n| n as usize)
        .ok_or(EmbedError::TooLarge { rows, dimension })
}

/// The rest of a stream as one row-major array, allocated once at its exact size.
pub fn collect<S: PointStream + ?Sized>(stream: &mut S) -> Result<Vec<f32>, EmbedError> {
    let rows = stream.remaining();
    let mut out = Vec::with_capacity(array_len(rows, stream.dimension())?);
    stream.fill(&mut out, rows as usize);
    Ok(out)
}
