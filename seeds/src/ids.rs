//! Deterministic identifiers: UUID-formatted resource ids and NPIs.

use rand::Rng;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A lower-case, hyphenated UUID string (version 4 layout), kept inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct Uuid([u8; 36]);

impl Uuid {
    /// Formats 128 bits as a version 4 / variant 1 UUID.
    pub(crate) fn from_u128(bits: u128) -> Self {
        let v =
            (bits & !(0xF_u128 << 76) | (0x4_u128 << 76)) & !(0x3_u128 << 62) | (0x2_u128 << 62);
        let mut out = [b'-'; 36];
        let mut nibble = 0;
        for (i, slot) in out.iter_mut().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                continue;
            }
            let shift = 124 - 4 * nibble;
            *slot = HEX[((v >> shift) & 0xF) as usize];
            nibble += 1;
        }
        Uuid(out)
    }

    /// A UUID drawn from `rng`.
    pub(crate) fn random<R: Rng>(rng: &mut R) -> Self {
        Self::from_u128(rng.gen())
    }

    /// A UUID derived by hashing `(seed, tag, n)`: stable without an rng.
    pub(crate) fn hashed(seed: u64, tag: u64, n: u64) -> Self {
        let a = splitmix64(seed ^ splitmix64(tag ^ splitmix64(n)));
        let b = splitmix64(a ^ 0x5EED_5EED_5EED_5EED);
        Self::from_u128((u128::from(a) << 64) | u128::from(b))
    }

    /// The 36 ASCII bytes.
    pub(crate) fn as_bytes(&self) -> &[u8; 36] {
        &self.0
    }
}

/// `SplitMix64`'s finaliser: a fast, well-mixing 64-bit hash step.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 10-digit National Provider Identifier with a valid check digit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct Npi([u8; 10]);

/// Multiplier of the index permutation: odd and not a multiple of 5, so it is
/// invertible modulo 10^8 and distinct indices give distinct NPIs.
const NPI_MULTIPLIER: u64 = 7_368_787;
const NPI_SPACE: u64 = 100_000_000;

/// The largest number of distinct NPIs [`Npi::for_index`] can produce.
pub(crate) const MAX_NPIS: u64 = NPI_SPACE;

impl Npi {
    /// The NPI of practitioner `index`: `1` + 8 digits (a permutation of the
    /// index, offset by the seed) + the Luhn check digit computed with the
    /// `80840` prefix, as CMS defines it. Unique for indices below 10^8.
    pub(crate) fn for_index(seed: u64, index: u64) -> Self {
        let offset = splitmix64(seed ^ 0x4E50_4953) % NPI_SPACE;
        let body = (index % NPI_SPACE * NPI_MULTIPLIER + offset) % NPI_SPACE;
        let base = NPI_SPACE + body; // 9 digits, leading 1
        let mut digits = [0u8; 10];
        let mut rest = base;
        for slot in digits[..9].iter_mut().rev() {
            *slot = (rest % 10) as u8;
            rest /= 10;
        }
        digits[9] = luhn_check_digit(&digits[..9]);
        let mut out = [0u8; 10];
        for (o, d) in out.iter_mut().zip(digits) {
            *o = b'0' + d;
        }
        Npi(out)
    }

    /// The 10 ASCII digits.
    pub(crate) fn as_bytes(&self) -> &[u8; 10] {
        &self.0
    }
}

/// The NPI check digit of 9 digits: Luhn over `80840` followed by them.
fn luhn_check_digit(base: &[u8]) -> u8 {
    let mut sum = 0u32;
    // Walk right to left; the rightmost digit of the payload is doubled.
    for (i, &d) in [8u8, 0, 8, 4, 0].iter().chain(base).rev().enumerate() {
        let mut v = u32::from(d);
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::HashSet;

    #[test]
    fn uuid_layout() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            let u = Uuid::random(&mut rng);
            let s = std::str::from_utf8(u.as_bytes()).expect("ascii");
            let parts: Vec<&str> = s.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(parts[2].starts_with('4'));
            assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
        }
        assert_eq!(Uuid::hashed(1, 2, 3), Uuid::hashed(1, 2, 3));
        assert_ne!(Uuid::hashed(1, 2, 3), Uuid::hashed(1, 2, 4));
    }

    #[test]
    fn npi_check_digit_matches_cms_example() {
        // CMS's published example: 123456789 -> check digit 3.
        assert_eq!(luhn_check_digit(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), 3);
    }

    #[test]
    fn npis_are_unique_and_valid() {
        let mut seen = HashSet::new();
        for i in 0..20_000 {
            let npi = Npi::for_index(42, i);
            let digits: Vec<u8> = npi.as_bytes().iter().map(|b| b - b'0').collect();
            assert_eq!(digits[0], 1);
            assert_eq!(luhn_check_digit(&digits[..9]), digits[9]);
            assert!(seen.insert(npi));
        }
    }
}
