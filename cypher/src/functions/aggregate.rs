//! Aggregating functions: `count`, `sum`, `avg`, `min`, `max`, `collect`,
//! and (in [`stats`](super::stats)) `stDev`, `stDevP`, `percentileCont`,
//! `percentileDisc`.
//!
//! Every aggregate skips `null`. `DISTINCT` is a wrapper that passes each
//! value (by `CypherValue` equivalence: `1` and `1.0` are one value) on
//! once.

use hashbrown::HashSet;
use std::cmp::Ordering;
use std::sync::Arc;

use graph_model::temporal::DurationValue;
use graph_model::Value;

use super::stats::{Percentile, StdDev};
use super::{arg, type_error, Aggregator};
use crate::error::{ErrorDetail, QueryError};
use crate::value::CypherValue;

/// A fresh accumulator. `distinct` = `count(DISTINCT x)`: duplicates (by `CypherValue`'s `Eq`/`Hash` equivalence) are counted once.
pub fn new_aggregator(name: &str, distinct: bool) -> Option<Box<dyn Aggregator>> {
    let inner: Box<dyn Aggregator> = match &*super::lower_case(name) {
        "count" => Box::new(Count(0)),
        "sum" => Box::new(Sum(SumState::Empty)),
        "avg" => Box::new(Avg::default()),
        "min" => Box::new(Extreme {
            keep: Ordering::Less,
            best: None,
        }),
        "max" => Box::new(Extreme {
            keep: Ordering::Greater,
            best: None,
        }),
        "collect" => Box::new(Collect(Vec::new())),
        "stdev" => Box::new(StdDev::new(true)),
        "stdevp" => Box::new(StdDev::new(false)),
        "percentilecont" => Box::new(Percentile::new(true)),
        "percentiledisc" => Box::new(Percentile::new(false)),
        _ => return None,
    };
    Some(if distinct {
        Box::new(Distinct {
            seen: HashSet::new(),
            inner,
        })
    } else {
        inner
    })
}

/// Passes each distinct non-null first argument on once.
struct Distinct {
    seen: HashSet<CypherValue>,
    inner: Box<dyn Aggregator>,
}

impl Aggregator for Distinct {
    fn update(&mut self, args: &[CypherValue]) -> Result<(), QueryError> {
        let value = arg(args, 0);
        if value.is_null() || self.seen.contains(value) {
            return Ok(());
        }
        self.inner.update(args)?;
        self.seen.insert(value.clone());
        Ok(())
    }

    fn finish(&mut self) -> Result<CypherValue, QueryError> {
        self.inner.finish()
    }
}

/// `count(x)`: the non-null values.
struct Count(i64);

impl Aggregator for Count {
    fn update(&mut self, args: &[CypherValue]) -> Result<(), QueryError> {
        if !arg(args, 0).is_null() {
            self.0 += 1;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<CypherValue, QueryError> {
        Ok(CypherValue::Integer(self.0))
    }
}

/// `collect(x)`: the non-null values, in row order.
struct Collect(Vec<CypherValue>);

impl Aggregator for Collect {
    fn update(&mut self, args: &[CypherValue]) -> Result<(), QueryError> {
        let value = arg(args, 0);
        if !value.is_null() {
            self.0.push(value.clone());
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<CypherValue, QueryError> {
        Ok(CypherValue::List(std::mem::take(&mut self.0).into()))
    }
}

/// `min(x)` / `max(x)` in the global sort order of `ORDER BY` (so over
/// mixed types too: `max(1, 'a', [1])` is `1`).
struct Extreme {
    /// `Less` for `min`, `Greater` for `max`: a value that orders this way
    /// against the best so far replaces it.
    keep: Ordering,
    best: Option<CypherValue>,
}

impl Aggregator for Extreme {
    fn update(&mut self, args: &[CypherValue]) -> Result<(), QueryError> {
        let value = arg(args, 0);
        if value.is_null() {
            return Ok(());
        }
        let better = self
            .best
            .as_ref()
            .is_none_or(|best| value.cmp_order(best) == self.keep);
        if better {
            self.best = Some(value.clone());
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<CypherValue, QueryError> {
        Ok(self.best.take().unwrap_or_default())
    }
}

/// The duration in a value, if it is one.
fn duration(value: &CypherValue) -> Option<&DurationValue> {
    match value {
        CypherValue::Temporal(Value::Duration(d)) => Some(d),
        _ => None,
    }
}

/// The sum of two durations, component by component.
fn add_durations(a: &DurationValue, b: &DurationValue) -> Result<DurationValue, QueryError> {
    let overflow = || {
        QueryError::arithmetic(
            ErrorDetail::ArithmeticOverflow,
            "sum(): the durations add up to more than a duration can hold",
        )
    };
    let months = a.months().checked_add(b.months()).ok_or_else(overflow)?;
    let days = a.days().checked_add(b.days()).ok_or_else(overflow)?;
    let seconds = a.seconds().checked_add(b.seconds()).ok_or_else(overflow)?;
    let nanos = i64::from(a.nanos()) + i64::from(b.nanos());
    DurationValue::new(months, days, seconds, nanos).ok_or_else(overflow)
}

fn not_summable(function: &str, value: &CypherValue) -> QueryError {
    type_error(function, "numbers or durations", value)
}

/// The running total of `sum`.
enum SumState {
    Empty,
    Integer(i64),
    Float(f64),
    Duration(DurationValue),
}

/// `sum(x)`: integers stay integers (overflow is an error); a float makes
/// the sum a float; durations add up to a duration. `0` for no rows.
struct Sum(SumState);

impl Aggregator for Sum {
    fn update(&mut self, args: &[CypherValue]) -> Result<(), QueryError> {
        let value = arg(args, 0);
        self.0 = match (&self.0, value) {
            (_, CypherValue::Null) => return Ok(()),
            (SumState::Empty, CypherValue::Integer(i)) => SumState::Integer(*i),
            (SumState::Empty, CypherValue::Float(x)) => SumState::Float(*x),
            (SumState::Integer(a), CypherValue::Integer(b)) => {
                SumState::Integer(a.checked_add(*b).ok_or_else(|| {
                    QueryError::arithmetic(
                        ErrorDetail::ArithmeticOverflow,
                        format!("sum(): {a} + {b} does not fit a 64-bit integer"),
                    )
                })?)
            }
            (SumState::Integer(a), CypherValue::Float(b)) => SumState::Float(*a as f64 + b),
            (SumState::Float(a), CypherValue::Integer(b)) => SumState::Float(a + *b as f64),
            (SumState::Float(a), CypherValue::Float(b)) => SumState::Float(a + b),
            (SumState::Empty, other) => match duration(other) {
                Some(d) => SumState::Duration(*d),
                None => return Err(not_summable("sum", other)),
            },
            (SumState::Duration(a), other) => match duration(other) {
                Some(b) => SumState::Duration(add_durations(a, b)?),
                None => return Err(not_summable("sum", other)),
            },
            (SumState::Integer(_) | SumState::Float(_), other) => {
                return Err(not_summable("sum", other))
            }
        };
        Ok(())
    }

    fn finish(&mut self) -> Result<CypherValue, QueryError> {
        Ok(match &self.0 {
            SumState::Empty => CypherValue::Integer(0),
            SumState::Integer(i) => CypherValue::Integer(*i),
            SumState::Float(x) => CypherValue::Float(*x),
            SumState::Duration(d) => CypherValue::Temporal(Value::Duration(Arc::new(*d))),
        })
    }
}

/// `avg(x)`: the mean of numbers as a float (integers summed exactly), or
/// of durations as a duration; `null` for no rows.
#[derive(Default)]
struct Avg {
    count: u64,
    integers: i128,
    floats: f64,
    /// The sum of durations, when the values are durations.
    durations: Option<DurationValue>,
}

impl Aggregator for Avg {
    fn update(&mut self, args: &[CypherValue]) -> Result<(), QueryError> {
        let value = arg(args, 0);
        let numbers_so_far = self.count > 0 && self.durations.is_none();
        match value {
            CypherValue::Null => return Ok(()),
            CypherValue::Integer(i) if self.durations.is_none() => self.integers += i128::from(*i),
            CypherValue::Float(x) if self.durations.is_none() => self.floats += x,
            other => match (duration(other), &self.durations) {
                (Some(d), None) if !numbers_so_far => self.durations = Some(*d),
                (Some(d), Some(total)) => self.durations = Some(add_durations(total, d)?),
                _ => return Err(not_summable("avg", other)),
            },
        }
        self.count += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<CypherValue, QueryError> {
        if self.count == 0 {
            return Ok(CypherValue::Null);
        }
        if let Some(total) = &self.durations {
            return Ok(CypherValue::Temporal(Value::Duration(Arc::new(
                divide_duration(total, self.count),
            ))));
        }
        let n = self.count as f64;
        Ok(CypherValue::Float(
            self.integers as f64 / n + self.floats / n,
        ))
    }
}

/// A duration divided by a count, as Neo4j divides durations: months and
/// days each on their own, their fractional parts turned into seconds (a
/// month counting its average 30.436875 days).
fn divide_duration(total: &DurationValue, count: u64) -> DurationValue {
    const NANOS_PER_DAY: f64 = 86_400e9;
    const NANOS_PER_MONTH: f64 = 2_629_746e9;
    let n = count as f64;
    let months = total.months() as f64 / n;
    let days = total.days() as f64 / n;
    let (whole_months, whole_days) = (months.trunc(), days.trunc());
    let nanos = (total.total_nanos() as f64 / n
        + (months - whole_months) * NANOS_PER_MONTH
        + (days - whole_days) * NANOS_PER_DAY)
        .round();
    let seconds = (nanos / 1e9).trunc();
    let rest = nanos - seconds * 1e9;
    DurationValue::new(
        whole_months as i64,
        whole_days as i64,
        seconds as i64,
        rest as i64,
    )
    .unwrap_or(DurationValue::ZERO)
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact results are the point
mod tests {
    use super::*;
    use crate::error::QueryErrorKind;

    fn i(n: i64) -> CypherValue {
        CypherValue::Integer(n)
    }

    fn f(x: f64) -> CypherValue {
        CypherValue::Float(x)
    }

    fn aggregate(
        name: &str,
        distinct: bool,
        values: &[CypherValue],
    ) -> Result<CypherValue, QueryError> {
        let mut agg = new_aggregator(name, distinct).expect("an aggregate");
        for value in values {
            agg.update(std::slice::from_ref(value))?;
        }
        agg.finish()
    }

    fn run(name: &str, values: &[CypherValue]) -> CypherValue {
        aggregate(name, false, values).expect("no error")
    }

    fn dur(months: i64, days: i64, seconds: i64, nanos: i64) -> CypherValue {
        let d = DurationValue::new(months, days, seconds, nanos).expect("in range");
        CypherValue::Temporal(Value::Duration(Arc::new(d)))
    }

    #[test]
    fn empty_groups() {
        assert_eq!(run("count", &[]), i(0));
        assert_eq!(run("collect", &[]), CypherValue::list([]));
        assert_eq!(run("sum", &[]), i(0));
        for name in ["avg", "min", "max", "percentilecont", "percentiledisc"] {
            assert!(run(name, &[]).is_null(), "{name}");
        }
    }

    #[test]
    fn count_and_collect_skip_nulls() {
        let values = [i(1), CypherValue::Null, i(1), CypherValue::string("a")];
        assert_eq!(run("count", &values), i(3));
        assert_eq!(
            run("collect", &values),
            CypherValue::list([i(1), i(1), CypherValue::string("a")])
        );
        assert_eq!(run("count", &[CypherValue::Null]), i(0));
        assert_eq!(
            run("collect", &[CypherValue::Null, CypherValue::Null]),
            CypherValue::list([])
        );
    }

    #[test]
    fn distinct_counts_equivalent_values_once() {
        let values = [
            i(1),
            f(1.0),
            CypherValue::Null,
            i(2),
            i(2),
            CypherValue::Null,
        ];
        assert_eq!(aggregate("count", true, &values).expect("ok"), i(2));
        assert_eq!(
            aggregate("collect", true, &values).expect("ok"),
            CypherValue::list([i(1), i(2)])
        );
        assert_eq!(aggregate("sum", true, &values).expect("ok"), i(3));
        assert_eq!(
            aggregate("collect", true, &[CypherValue::Null, CypherValue::Null]).expect("ok"),
            CypherValue::list([])
        );
        assert_eq!(aggregate("count", true, &[]).expect("ok"), i(0));
    }

    #[test]
    fn sums() {
        assert_eq!(run("sum", &[i(33), CypherValue::Null, i(42)]), i(75));
        let total: i64 = (1_000_000..1_003_000).sum();
        let values: Vec<CypherValue> = (1_000_000..1_003_000).map(i).collect();
        assert_eq!(run("sum", &values), i(total));
        assert_eq!(total, 3_004_498_500);
        assert!(matches!(run("sum", &[i(1), f(0.5)]), CypherValue::Float(x) if x == 1.5));
        assert!(matches!(run("sum", &[f(0.5), i(1)]), CypherValue::Float(x) if x == 1.5));
        let err = aggregate("sum", false, &[i(i64::MAX), i(1)]).expect_err("overflow");
        assert_eq!(err.kind, QueryErrorKind::ArithmeticError);
        assert_eq!(err.detail, Some(ErrorDetail::ArithmeticOverflow));
        let err = aggregate("sum", false, &[i(1), CypherValue::string("a")]).expect_err("a string");
        assert_eq!(err.kind, QueryErrorKind::TypeError);
        assert_eq!(err.detail, Some(ErrorDetail::InvalidArgumentType));
    }

    #[test]
    fn sums_of_durations() {
        let total = run(
            "sum",
            &[
                dur(1, 2, 3, 600_000_000),
                CypherValue::Null,
                dur(0, 1, 1, 500_000_000),
            ],
        );
        assert_eq!(total, dur(1, 3, 5, 100_000_000));
        assert!(aggregate("sum", false, &[dur(0, 1, 0, 0), i(1)]).is_err());
        assert!(aggregate("sum", false, &[i(1), dur(0, 1, 0, 0)]).is_err());
    }

    #[test]
    fn averages() {
        assert!(
            matches!(run("avg", &[i(1), i(2), CypherValue::Null]), CypherValue::Float(x) if x == 1.5)
        );
        assert!(matches!(run("avg", &[i(1), f(2.5)]), CypherValue::Float(x) if x == 1.75));
        assert!(
            matches!(run("avg", &[i(i64::MAX), i(i64::MAX)]), CypherValue::Float(x) if x == i64::MAX as f64)
        );
        assert!(run("avg", &[CypherValue::Null]).is_null());
        assert_eq!(
            run("avg", &[dur(0, 2, 0, 0), dur(0, 4, 0, 0)]),
            dur(0, 3, 0, 0)
        );
        assert_eq!(
            run("avg", &[dur(0, 1, 0, 0), dur(0, 0, 0, 0)]),
            dur(0, 0, 43_200, 0)
        );
        assert_eq!(
            run("avg", &[dur(0, 0, 1, 0), dur(0, 0, 2, 0)]),
            dur(0, 0, 1, 500_000_000)
        );
        assert_eq!(
            run("avg", &[dur(1, 0, 0, 0), dur(0, 0, 0, 0)]),
            dur(0, 0, 1_314_873, 0)
        );
        assert!(aggregate("avg", false, &[i(1), dur(0, 1, 0, 0)]).is_err());
        assert!(aggregate("avg", false, &[dur(0, 1, 0, 0), f(1.0)]).is_err());
        assert!(aggregate("avg", false, &[CypherValue::Boolean(true)]).is_err());
    }

    #[test]
    fn minimum_and_maximum() {
        let ints = [i(1), i(2), i(0), CypherValue::Null, i(-1)];
        assert_eq!(run("max", &ints), i(2));
        assert_eq!(run("min", &ints), i(-1));
        let mixed_numbers = [i(1), f(2.0), i(5), CypherValue::Null, f(3.2), f(0.1)];
        assert_eq!(run("max", &mixed_numbers), i(5));
        assert!(matches!(run("min", &mixed_numbers), CypherValue::Float(x) if x == 0.1));
        let strings: Vec<CypherValue> = ["a", "b", "B", "abc", "abc1"]
            .into_iter()
            .map(CypherValue::string)
            .collect();
        assert_eq!(run("max", &strings), CypherValue::string("b"));
        assert_eq!(run("min", &strings), CypherValue::string("B"));
        let lists = [
            CypherValue::list([i(1)]),
            CypherValue::list([i(2)]),
            CypherValue::list([i(2), i(1)]),
        ];
        assert_eq!(run("max", &lists), CypherValue::list([i(2), i(1)]));
        assert_eq!(run("min", &lists), CypherValue::list([i(1)]));
        let mixed = [
            i(1),
            CypherValue::string("a"),
            CypherValue::Null,
            CypherValue::list([i(1), i(2)]),
            f(0.2),
            CypherValue::string("b"),
        ];
        assert_eq!(run("max", &mixed), i(1));
        assert_eq!(run("min", &mixed), CypherValue::list([i(1), i(2)]));
    }
}
