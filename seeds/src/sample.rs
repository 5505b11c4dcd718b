//! Small sampling helpers over a deterministic rng.

use rand::Rng;

/// Index of an item drawn with probability proportional to its weight; the
/// first item if every weight is zero (or the slice is empty).
pub(crate) fn weighted<R: Rng, T>(rng: &mut R, items: &[T], weight: impl Fn(&T) -> u32) -> usize {
    let total: u64 = items.iter().map(|t| u64::from(weight(t))).sum();
    if total == 0 {
        return 0;
    }
    let mut x = rng.gen_range(0..total);
    for (i, t) in items.iter().enumerate() {
        let w = u64::from(weight(t));
        if x < w {
            return i;
        }
        x -= w;
    }
    items.len() - 1
}

/// A uniform index below `n` (`n > 0`). Drawn as a `u32`: a `usize` range
/// would consume the stream differently on 32- and 64-bit platforms.
pub(crate) fn below<R: Rng>(rng: &mut R, n: usize) -> usize {
    rng.gen_range(0..n as u32) as usize
}

/// A uniform integer in `lo..=hi`, platform-independent like [`below`].
pub(crate) fn between<R: Rng>(rng: &mut R, lo: usize, hi: usize) -> usize {
    rng.gen_range(lo as u32..=hi as u32) as usize
}

/// A uniformly chosen item of a non-empty slice.
pub(crate) fn pick<'a, R: Rng, T>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[below(rng, items.len())]
}

/// Whether an event of probability `percent`% happens.
pub(crate) fn chance<R: Rng>(rng: &mut R, percent: u32) -> bool {
    rng.gen_range(0..100) < percent
}
