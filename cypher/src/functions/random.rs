//! Randomness for `rand()` and `randomUUID()`: a per-thread xoshiro256++
//! generator seeded from the standard library's per-process random hash
//! keys (which come from the operating system) and the clock.
//!
//! Not cryptographically secure; `randomUUID()` values are unique in
//! practice, not unguessable.

use std::cell::RefCell;
use std::collections::hash_map::RandomState;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// xoshiro256++ state.
struct Xoshiro([u64; 4]);

impl Xoshiro {
    fn seeded() -> Xoshiro {
        let mut hasher = RandomState::new().build_hasher();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        hasher.write_u128(nanos);
        let mut seed = hasher.finish();
        let mut state = [0u64; 4];
        for word in &mut state {
            *word = splitmix64(&mut seed);
        }
        Xoshiro(state)
    }

    fn next(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

thread_local! {
    static RNG: RefCell<Xoshiro> = RefCell::new(Xoshiro::seeded());
}

/// A random 64-bit word.
fn next_u64() -> u64 {
    RNG.with(|rng| rng.borrow_mut().next())
}

/// A uniformly distributed float in `[0, 1)`.
pub(super) fn next_f64() -> f64 {
    // The top 53 bits, scaled: every value is a multiple of 2^-53 below 1.
    (next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A random (version 4, variant 1) UUID in its lower-case hyphenated form.
pub(super) fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&next_u64().to_le_bytes());
    bytes[6] = (bytes[6] & 0x0F) | 0x40;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact results are the point
mod tests {
    use super::*;

    #[test]
    fn floats_stay_in_the_unit_interval_and_vary() {
        let values: Vec<f64> = (0..1000).map(|_| next_f64()).collect();
        assert!(values.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = values.iter().sum::<f64>() / 1000.0;
        assert!((0.4..0.6).contains(&mean), "mean {mean}");
        assert!(values.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn uuids_have_version_and_variant_bits() {
        for _ in 0..100 {
            let id = uuid_v4();
            let groups: Vec<usize> = id.split('-').map(str::len).collect();
            assert_eq!(groups, [8, 4, 4, 4, 12]);
            assert_eq!(id.chars().nth(14), Some('4'));
            assert!(matches!(id.chars().nth(19), Some('8' | '9' | 'a' | 'b')));
        }
    }
}
