//! Rounding for `round()`: to an integer (ties towards positive infinity,
//! like `java.lang.Math.round`), and to a number of decimal places with a
//! `java.math.RoundingMode`, applied to the shortest decimal form of the
//! float (as `BigDecimal.valueOf(x).setScale(precision, mode)` does).

use super::invalid_value;
use crate::error::QueryError;

/// Round to the nearest integer, ties towards positive infinity (`-1.5`
/// gives `-1.0`). `-0.0` comes out as `0.0`; `NaN` and infinities are
/// returned as they are.
pub(super) fn round_half_up_to_positive(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let floor = x.floor();
    // Exact: x and its floor are close enough for the difference to be
    // representable.
    let fraction = x - floor;
    let rounded = if fraction >= 0.5 { floor + 1.0 } else { floor };
    rounded + 0.0
}

/// The rounding modes of `java.math.RoundingMode` that `round()` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Up,
    Down,
    Ceiling,
    Floor,
    HalfUp,
    HalfDown,
    HalfEven,
    Unnecessary,
}

impl Mode {
    fn parse(name: &str) -> Option<Mode> {
        Some(match name.to_ascii_uppercase().as_str() {
            "UP" => Mode::Up,
            "DOWN" => Mode::Down,
            "CEILING" => Mode::Ceiling,
            "FLOOR" => Mode::Floor,
            "HALF_UP" => Mode::HalfUp,
            "HALF_DOWN" => Mode::HalfDown,
            "HALF_EVEN" => Mode::HalfEven,
            "UNNECESSARY" => Mode::Unnecessary,
            _ => return None,
        })
    }
}

/// Round `x` to `precision` decimal places (negative: to tens, hundreds...)
/// with the rounding mode named `mode`.
pub(super) fn round_to_precision(x: f64, precision: i64, mode: &str) -> Result<f64, QueryError> {
    let mode = Mode::parse(mode).ok_or_else(|| {
        invalid_value(format!(
            "round(): unknown rounding mode '{mode}' (expected one of UP, DOWN, CEILING, \
             FLOOR, HALF_UP, HALF_DOWN, HALF_EVEN, UNNECESSARY)"
        ))
    })?;
    if !x.is_finite() || x == 0.0 {
        return Ok(x);
    }
    let negative = x < 0.0;
    // Shortest round-trip digits: "d.ddde-5" → digits "dddd", exponent -5.
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific
        .split_once('e')
        .ok_or_else(|| invalid_value(format!("round(): cannot read {x}")))?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i128 = exponent
        .parse()
        .map_err(|_| invalid_value(format!("round(): cannot read {x}")))?;
    let n = digits.len() as i128;
    // x = digits × 10^unit_exponent.
    let unit_exponent = exponent - (n - 1);
    let target = -i128::from(precision);
    if unit_exponent >= target {
        return Ok(x);
    }
    let dropped = target - unit_exponent;
    let (kept, discarded): (&str, &str) = if dropped >= n {
        ("", &digits)
    } else {
        digits.split_at((n - dropped) as usize)
    };
    let kept_value: u128 = if kept.is_empty() {
        0
    } else {
        kept.parse()
            .map_err(|_| invalid_value(format!("round(): cannot read {x}")))?
    };
    // The discarded part compared with half a unit of the last kept digit.
    let nonzero = discarded.bytes().any(|b| b != b'0');
    let half = if dropped > n {
        // Leading zeros were dropped too: less than a tenth of a unit.
        std::cmp::Ordering::Less
    } else {
        let first = discarded.as_bytes().first().map_or(0, |b| b - b'0');
        let rest_nonzero = discarded.bytes().skip(1).any(|b| b != b'0');
        first.cmp(&5).then(if rest_nonzero {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        })
    };
    let increment = match mode {
        Mode::Up => nonzero,
        Mode::Ceiling => nonzero && !negative,
        Mode::Floor => nonzero && negative,
        Mode::HalfUp => half.is_ge(),
        Mode::HalfDown => half.is_gt(),
        Mode::HalfEven => half.is_gt() || (half.is_eq() && kept_value % 2 == 1),
        Mode::Unnecessary if nonzero => {
            return Err(invalid_value(format!(
            "round(): {x} cannot be represented with {precision} decimal places without rounding"
        )))
        }
        Mode::Down | Mode::Unnecessary => false,
    };
    let magnitude = kept_value + u128::from(increment);
    let text = format!("{}{magnitude}e{target}", if negative { "-" } else { "" });
    text.parse::<f64>()
        .map_err(|_| invalid_value(format!("round(): cannot read {text}")))
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact results are the point
mod tests {
    use super::*;

    fn r(x: f64, precision: i64, mode: &str) -> f64 {
        round_to_precision(x, precision, mode).expect("valid mode")
    }

    #[test]
    fn integer_rounding_breaks_ties_upwards() {
        assert_eq!(round_half_up_to_positive(0.5), 1.0);
        assert_eq!(round_half_up_to_positive(-0.5), 0.0);
        assert!(round_half_up_to_positive(-0.4).is_sign_positive());
        assert_eq!(round_half_up_to_positive(-2.5), -2.0);
        assert_eq!(round_half_up_to_positive(0.499_999_999_999_999_94), 0.0);
        assert_eq!(round_half_up_to_positive(1e300), 1e300);
        assert!(round_half_up_to_positive(f64::NAN).is_nan());
    }

    #[test]
    fn half_modes() {
        assert_eq!(r(5.141_592, 3, "HALF_UP"), 5.142);
        assert_eq!(r(1.005, 2, "HALF_UP"), 1.01);
        assert_eq!(r(-1.25, 1, "HALF_UP"), -1.3);
        assert_eq!(r(-1.25, 1, "HALF_DOWN"), -1.2);
        assert_eq!(r(-1.251, 1, "HALF_DOWN"), -1.3);
        assert_eq!(r(1.25, 1, "HALF_EVEN"), 1.2);
        assert_eq!(r(1.35, 1, "HALF_EVEN"), 1.4);
        assert_eq!(r(2.5, 0, "half_even"), 2.0);
    }

    #[test]
    fn directed_modes() {
        assert_eq!(r(1.21, 1, "UP"), 1.3);
        assert_eq!(r(-1.21, 1, "UP"), -1.3);
        assert_eq!(r(1.29, 1, "DOWN"), 1.2);
        assert_eq!(r(-1.21, 1, "CEILING"), -1.2);
        assert_eq!(r(1.21, 1, "CEILING"), 1.3);
        assert_eq!(r(-1.21, 1, "FLOOR"), -1.3);
        assert_eq!(r(1.2, 1, "UNNECESSARY"), 1.2);
        assert!(round_to_precision(1.25, 1, "UNNECESSARY").is_err());
    }

    #[test]
    fn scales_beyond_the_digits() {
        assert_eq!(r(1234.5, -2, "HALF_UP"), 1200.0);
        assert_eq!(r(0.001, 1, "HALF_UP"), 0.0);
        assert_eq!(r(0.001, 1, "UP"), 0.1);
        assert_eq!(r(0.06, 1, "HALF_UP"), 0.1);
        assert_eq!(r(0.05, 1, "HALF_UP"), 0.1);
        assert_eq!(r(0.04, 1, "HALF_UP"), 0.0);
        assert_eq!(r(9.99, 1, "HALF_UP"), 10.0);
        assert_eq!(r(1.5, 10, "HALF_UP"), 1.5);
        assert_eq!(r(1.5, i64::MAX, "HALF_UP"), 1.5);
        assert_eq!(r(1.5, i64::MIN, "HALF_UP"), 0.0);
    }

    #[test]
    fn unknown_modes_are_rejected() {
        let err = round_to_precision(1.0, 1, "SIDEWAYS").expect_err("unknown mode");
        assert_eq!(err.detail, Some(crate::ErrorDetail::InvalidArgumentValue));
    }
}
