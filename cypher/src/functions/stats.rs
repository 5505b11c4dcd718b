//! Statistical aggregates: `stDev`, `stDevP`, `percentileCont`,
//! `percentileDisc`.

use super::{arg, out_of_range, type_error, Aggregator};
use crate::error::QueryError;
use crate::value::CypherValue;

/// `stDev(x)` (sample, `n - 1`) and `stDevP(x)` (population, `n`) of
/// numbers, by Welford's method. As in Neo4j, fewer values than the
/// formula needs give `0.0`, not `null`.
pub(super) struct StdDev {
    sample: bool,
    count: u64,
    mean: f64,
    /// The sum of squared differences from the mean.
    m2: f64,
}

impl StdDev {
    /// A sample (`true`) or population standard deviation.
    pub(super) fn new(sample: bool) -> StdDev {
        StdDev {
            sample,
            count: 0,
            mean: 0.0,
            m2: 0.0,
        }
    }
}

impl Aggregator for StdDev {
    fn update(&mut self, args: &[CypherValue]) -> Result<(), QueryError> {
        let x = match arg(args, 0) {
            CypherValue::Null => return Ok(()),
            CypherValue::Integer(i) => *i as f64,
            CypherValue::Float(x) => *x,
            other => {
                let name = if self.sample { "stDev" } else { "stDevP" };
                return Err(type_error(name, "numbers", other));
            }
        };
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        Ok(())
    }

    fn finish(&mut self) -> Result<CypherValue, QueryError> {
        let divisor = if self.sample {
            self.count.saturating_sub(1)
        } else {
            self.count
        };
        Ok(CypherValue::Float(if divisor == 0 {
            0.0
        } else {
            (self.m2 / divisor as f64).sqrt()
        }))
    }
}

/// `percentileCont(x, p)` (linear interpolation, a float) and
/// `percentileDisc(x, p)` (the nearest value at or above the rank, of the
/// value's own type). `p` must lie in `[0, 1]` (else `ArgumentError:
/// NumberOutOfRange`); the first row's `p` is the one used.
pub(super) struct Percentile {
    continuous: bool,
    fraction: Option<f64>,
    values: Vec<CypherValue>,
}

impl Percentile {
    /// `percentileCont` (`true`) or `percentileDisc`.
    pub(super) fn new(continuous: bool) -> Percentile {
        Percentile {
            continuous,
            fraction: None,
            values: Vec::new(),
        }
    }

    fn name(&self) -> &'static str {
        if self.continuous {
            "percentileCont"
        } else {
            "percentileDisc"
        }
    }
}

impl Aggregator for Percentile {
    fn update(&mut self, args: &[CypherValue]) -> Result<(), QueryError> {
        let value = arg(args, 0);
        let percentile = match arg(args, 1) {
            CypherValue::Null if value.is_null() => return Ok(()),
            CypherValue::Integer(i) => *i as f64,
            CypherValue::Float(x) => *x,
            other => return Err(type_error(self.name(), "a Float percentile", other)),
        };
        if !(0.0..=1.0).contains(&percentile) {
            return Err(out_of_range(format!(
                "{}(): the percentile must be between 0.0 and 1.0, was {percentile}",
                self.name()
            )));
        }
        match value {
            CypherValue::Null => return Ok(()),
            CypherValue::Integer(_) | CypherValue::Float(_) => {}
            other => return Err(type_error(self.name(), "numbers", other)),
        }
        self.fraction.get_or_insert(percentile);
        self.values.push(value.clone());
        Ok(())
    }

    fn finish(&mut self) -> Result<CypherValue, QueryError> {
        let (Some(p), false) = (self.fraction, self.values.is_empty()) else {
            return Ok(CypherValue::Null);
        };
        let mut values = std::mem::take(&mut self.values);
        values.sort_by(CypherValue::cmp_order);
        let n = values.len();
        if self.continuous {
            let float_index = p * (n - 1) as f64;
            let (lower, upper) = (float_index.floor(), float_index.ceil());
            let at = |i: f64| values[(i as usize).min(n - 1)].as_f64().unwrap_or(f64::NAN);
            let result = if (lower as usize) == (upper as usize) {
                at(lower)
            } else {
                at(lower) * (upper - float_index) + at(upper) * (float_index - lower)
            };
            Ok(CypherValue::Float(result))
        } else {
            let float_index = p * n as f64;
            let index = float_index as usize;
            let index = if float_index.fract() > 0.0 || index == 0 {
                index
            } else {
                index - 1
            };
            Ok(values.swap_remove(index.min(n - 1)))
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact results are the point
mod tests {
    use super::*;
    use crate::error::{ErrorDetail, QueryErrorKind};

    fn f(x: f64) -> CypherValue {
        CypherValue::Float(x)
    }

    fn i(n: i64) -> CypherValue {
        CypherValue::Integer(n)
    }

    fn percentile(
        continuous: bool,
        values: &[CypherValue],
        p: &CypherValue,
    ) -> Result<CypherValue, QueryError> {
        let mut agg = Percentile::new(continuous);
        for value in values {
            agg.update(&[value.clone(), p.clone()])?;
        }
        agg.finish()
    }

    fn deviation(sample: bool, values: &[CypherValue]) -> f64 {
        let mut agg = StdDev::new(sample);
        for value in values {
            agg.update(std::slice::from_ref(value)).expect("a number");
        }
        match agg.finish().expect("no error") {
            CypherValue::Float(x) => x,
            other => panic!("not a float: {other:?}"),
        }
    }

    #[test]
    fn standard_deviations() {
        let values = [
            i(2),
            i(4),
            i(4),
            i(4),
            i(5),
            i(5),
            i(7),
            i(9),
            CypherValue::Null,
        ];
        assert!((deviation(false, &values) - 2.0).abs() < 1e-12);
        assert!((deviation(true, &values) - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        // The Neo4j manual's example.
        let manual: Vec<CypherValue> = [8, 9, 10, 11, 12, 15].into_iter().map(i).collect();
        assert!((deviation(true, &manual) - 2.483_277_404_291_89).abs() < 1e-12);
        assert!((deviation(false, &manual) - 2.266_911_751_455_907).abs() < 1e-12);
        assert_eq!(deviation(true, &[i(3)]), 0.0);
        assert_eq!(deviation(false, &[i(3)]), 0.0);
        assert_eq!(deviation(true, &[]), 0.0);
        assert_eq!(deviation(false, &[CypherValue::Null]), 0.0);
        let mut agg = StdDev::new(true);
        let err = agg
            .update(&[CypherValue::string("a")])
            .expect_err("a string");
        assert_eq!(err.kind, QueryErrorKind::TypeError);
    }

    #[test]
    fn percentiles_of_the_tck() {
        let prices = [f(10.0), f(20.0), f(30.0)];
        for (p, expected) in [(0.0, 10.0), (0.5, 20.0), (1.0, 30.0)] {
            for continuous in [true, false] {
                let result = percentile(continuous, &prices, &f(p)).expect("in range");
                assert!(
                    matches!(result, CypherValue::Float(x) if x == expected),
                    "{continuous} {p}"
                );
            }
        }
    }

    #[test]
    fn percentiles_interpolate_or_pick() {
        let values = [i(30), i(10), CypherValue::Null, i(20), i(40)];
        let cont = percentile(true, &values, &f(0.5)).expect("ok");
        assert!(matches!(cont, CypherValue::Float(x) if x == 25.0));
        let cont = percentile(true, &values, &f(0.1)).expect("ok");
        assert!(matches!(cont, CypherValue::Float(x) if (x - 13.0).abs() < 1e-9));
        assert_eq!(percentile(false, &values, &f(0.5)).expect("ok"), i(20));
        assert_eq!(percentile(false, &values, &f(0.51)).expect("ok"), i(30));
        assert_eq!(percentile(false, &values, &i(1)).expect("ok"), i(40));
        assert_eq!(percentile(false, &values, &i(0)).expect("ok"), i(10));
        assert!(percentile(false, &[], &f(0.5)).expect("ok").is_null());
        assert!(percentile(true, &[CypherValue::Null], &f(0.5))
            .expect("ok")
            .is_null());
    }

    #[test]
    fn percentiles_outside_the_unit_interval_fail() {
        for p in [i(1000), i(-1), f(1.1), f(f64::NAN)] {
            for continuous in [true, false] {
                let err = percentile(continuous, &[f(10.0)], &p).expect_err("out of range");
                assert_eq!(err.kind, QueryErrorKind::ArgumentError);
                assert_eq!(err.detail, Some(ErrorDetail::NumberOutOfRange));
            }
        }
        // percentileDisc(0.90, deg) with deg > 2: the percentile is the
        // second argument.
        let err = percentile(false, &[f(0.9)], &i(3)).expect_err("out of range");
        assert_eq!(err.detail, Some(ErrorDetail::NumberOutOfRange));
        let err = percentile(true, &[CypherValue::string("a")], &f(0.5)).expect_err("a string");
        assert_eq!(err.kind, QueryErrorKind::TypeError);
    }
}
