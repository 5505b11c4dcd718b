//! Mathematical functions: `abs`, `ceil`, `floor`, `round`, `sign`,
//! `rand`, `sqrt`, `exp`, `log`, `log10`, `e`, `pi`, the trigonometric
//! functions, `degrees`, `radians` and `isNaN`.
//!
//! As in Neo4j: `abs` keeps the argument's type; `sign` returns an
//! integer; everything else returns a float (`ceil(1)` is `1.0`); results
//! outside a function's domain are `NaN` (`sqrt(-1)`), not errors.

use super::rounding::{round_half_up_to_positive, round_to_precision};
use super::{arg, random, type_error, Outcome};
use crate::error::{ErrorDetail, QueryError};
use crate::value::CypherValue;

/// Dispatch a math function; `None` when `name` is not one.
pub(super) fn call(name: &str, args: &[CypherValue]) -> Option<Outcome> {
    let float = |f: fn(f64) -> f64| unary_float(name, arg(args, 0), f);
    Some(match name {
        "abs" => abs(arg(args, 0)),
        "ceil" => float(f64::ceil),
        "floor" => float(f64::floor),
        "round" => round(args),
        "sign" => sign(arg(args, 0)),
        "rand" => Ok(CypherValue::Float(random::next_f64())),
        "sqrt" => float(f64::sqrt),
        "exp" => float(f64::exp),
        "log" => float(f64::ln),
        "log10" => float(f64::log10),
        "e" => Ok(CypherValue::Float(std::f64::consts::E)),
        "pi" => Ok(CypherValue::Float(std::f64::consts::PI)),
        "sin" => float(f64::sin),
        "cos" => float(f64::cos),
        "tan" => float(f64::tan),
        "cot" => float(|x| 1.0 / x.tan()),
        "asin" => float(f64::asin),
        "acos" => float(f64::acos),
        "atan" => float(f64::atan),
        "atan2" => atan2(args),
        "haversin" => float(|x| (1.0 - x.cos()) / 2.0),
        "degrees" => float(f64::to_degrees),
        "radians" => float(f64::to_radians),
        "isnan" => is_nan(arg(args, 0)),
        _ => return None,
    })
}

/// A numeric argument as a float: `Ok(None)` for `null`.
fn number(function: &str, value: &CypherValue) -> Result<Option<f64>, QueryError> {
    match value {
        CypherValue::Null => Ok(None),
        CypherValue::Integer(i) => Ok(Some(*i as f64)),
        CypherValue::Float(x) => Ok(Some(*x)),
        other => Err(type_error(function, "Float or Integer", other)),
    }
}

fn unary_float(function: &str, value: &CypherValue, f: impl Fn(f64) -> f64) -> Outcome {
    Ok(number(function, value)?.map_or(CypherValue::Null, |x| CypherValue::Float(f(x))))
}

fn abs(value: &CypherValue) -> Outcome {
    match value {
        CypherValue::Integer(i) => i.checked_abs().map(CypherValue::Integer).ok_or_else(|| {
            QueryError::arithmetic(
                ErrorDetail::ArithmeticOverflow,
                format!("abs({i}) does not fit a 64-bit integer"),
            )
        }),
        CypherValue::Float(x) => Ok(CypherValue::Float(x.abs())),
        CypherValue::Null => Ok(CypherValue::Null),
        other => Err(type_error("abs", "Float or Integer", other)),
    }
}

/// `sign(x)`: -1, 0 or 1 as an integer (0 for `NaN`).
fn sign(value: &CypherValue) -> Outcome {
    Ok(match value {
        CypherValue::Integer(i) => CypherValue::Integer(i.signum()),
        CypherValue::Float(x) if x.is_nan() || *x == 0.0 => CypherValue::Integer(0),
        CypherValue::Float(x) => CypherValue::Integer(if *x > 0.0 { 1 } else { -1 }),
        CypherValue::Null => CypherValue::Null,
        other => return Err(type_error("sign", "Float or Integer", other)),
    })
}

/// `round(x)` rounds half towards positive infinity; `round(x, precision
/// [, mode])` rounds the decimal value of `x` to `precision` fractional
/// digits with a `java.math.RoundingMode` (`HALF_UP` by default).
fn round(args: &[CypherValue]) -> Outcome {
    let Some(x) = number("round", arg(args, 0))? else {
        return Ok(CypherValue::Null);
    };
    if args.len() == 1 {
        return Ok(CypherValue::Float(round_half_up_to_positive(x)));
    }
    let precision = match arg(args, 1) {
        CypherValue::Null => return Ok(CypherValue::Null),
        CypherValue::Integer(p) => *p,
        other => return Err(type_error("round", "Integer", other)),
    };
    let mode = match arg(args, 2) {
        CypherValue::Null if args.len() > 2 => return Ok(CypherValue::Null),
        CypherValue::Null => "HALF_UP",
        CypherValue::String(mode) => mode,
        other => return Err(type_error("round", "String", other)),
    };
    round_to_precision(x, precision, mode).map(CypherValue::Float)
}

fn atan2(args: &[CypherValue]) -> Outcome {
    let y = number("atan2", arg(args, 0))?;
    let x = number("atan2", arg(args, 1))?;
    Ok(match (y, x) {
        (Some(y), Some(x)) => CypherValue::Float(y.atan2(x)),
        _ => CypherValue::Null,
    })
}

fn is_nan(value: &CypherValue) -> Outcome {
    Ok(match value {
        CypherValue::Integer(_) => CypherValue::Boolean(false),
        CypherValue::Float(x) => CypherValue::Boolean(x.is_nan()),
        CypherValue::Null => CypherValue::Null,
        other => return Err(type_error("isNaN", "Float or Integer", other)),
    })
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact results are the point
mod tests {
    use super::*;
    use crate::error::QueryErrorKind;

    fn run(name: &str, args: &[CypherValue]) -> CypherValue {
        call(name, args)
            .expect("a math function")
            .expect("no error")
    }

    fn float(name: &str, x: f64) -> f64 {
        match run(name, &[CypherValue::Float(x)]) {
            CypherValue::Float(y) => y,
            other => panic!("{name}({x}) gave {other:?}"),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn absolute_values_keep_the_type() {
        assert_eq!(
            run("abs", &[CypherValue::Integer(-1)]),
            CypherValue::Integer(1)
        );
        assert!(
            matches!(run("abs", &[CypherValue::Float(-2.5)]), CypherValue::Float(x) if x == 2.5)
        );
        assert!(run("abs", &[CypherValue::Null]).is_null());
        let err = call("abs", &[CypherValue::Integer(i64::MIN)])
            .expect("known")
            .expect_err("overflow");
        assert_eq!(err.kind, QueryErrorKind::ArithmeticError);
        let err = call("abs", &[CypherValue::string("1")])
            .expect("known")
            .expect_err("type");
        assert_eq!(err.detail, Some(ErrorDetail::InvalidArgumentType));
    }

    #[test]
    fn ceil_floor_and_sign() {
        assert!(
            matches!(run("ceil", &[CypherValue::Float(0.1)]), CypherValue::Float(x) if x == 1.0)
        );
        assert!(
            matches!(run("ceil", &[CypherValue::Integer(1)]), CypherValue::Float(x) if x == 1.0)
        );
        assert!(
            matches!(run("floor", &[CypherValue::Float(-0.1)]), CypherValue::Float(x) if x == -1.0)
        );
        assert_eq!(
            run("sign", &[CypherValue::Integer(-7)]),
            CypherValue::Integer(-1)
        );
        assert_eq!(
            run("sign", &[CypherValue::Float(0.5)]),
            CypherValue::Integer(1)
        );
        assert_eq!(
            run("sign", &[CypherValue::Float(-0.0)]),
            CypherValue::Integer(0)
        );
        assert_eq!(
            run("sign", &[CypherValue::Float(f64::NAN)]),
            CypherValue::Integer(0)
        );
        assert!(run("sign", &[CypherValue::Null]).is_null());
    }

    #[test]
    fn rounding() {
        assert_eq!(float("round", 5.141_592), 5.0);
        assert_eq!(float("round", 2.5), 3.0);
        assert_eq!(float("round", -1.5), -1.0);
        assert_eq!(float("round", -2.7), -3.0);
        let r = |x: f64, p: i64| run("round", &[CypherValue::Float(x), CypherValue::Integer(p)]);
        assert!(matches!(r(5.141_592, 3), CypherValue::Float(x) if x == 5.142));
        assert!(matches!(r(-1.55, 1), CypherValue::Float(x) if x == -1.6));
        let m = |x: f64, p: i64, mode: &str| {
            run(
                "round",
                &[
                    CypherValue::Float(x),
                    CypherValue::Integer(p),
                    CypherValue::string(mode),
                ],
            )
        };
        assert!(matches!(m(1.249, 1, "CEILING"), CypherValue::Float(x) if x == 1.3));
        assert!(matches!(m(2.5, 0, "HALF_EVEN"), CypherValue::Float(x) if x == 2.0));
        assert!(run("round", &[CypherValue::Null]).is_null());
        assert!(run("round", &[CypherValue::Float(1.0), CypherValue::Null]).is_null());
    }

    #[test]
    fn roots_logs_and_constants() {
        assert_eq!(float("sqrt", 12.96), 3.6);
        assert!(float("sqrt", -1.0).is_nan());
        assert!(close(float("exp", 2.0), std::f64::consts::E.powi(2)));
        assert!(close(float("log", std::f64::consts::E), 1.0));
        assert_eq!(float("log10", 100.0), 2.0);
        assert_eq!(float("log", 0.0), f64::NEG_INFINITY);
        assert!(matches!(run("e", &[]), CypherValue::Float(x) if x == std::f64::consts::E));
        assert!(matches!(run("pi", &[]), CypherValue::Float(x) if x == std::f64::consts::PI));
        assert!(run("sqrt", &[CypherValue::Null]).is_null());
        assert!(call("sqrt", &[CypherValue::Boolean(true)])
            .expect("known")
            .is_err());
    }

    #[test]
    fn trigonometry() {
        assert!(close(float("sin", std::f64::consts::FRAC_PI_2), 1.0));
        assert!(close(float("cos", 0.0), 1.0));
        assert!(close(float("tan", std::f64::consts::FRAC_PI_4), 1.0));
        assert!(close(float("cot", std::f64::consts::FRAC_PI_4), 1.0));
        assert!(close(float("asin", 1.0), std::f64::consts::FRAC_PI_2));
        assert!(close(float("acos", 1.0), 0.0));
        assert!(close(float("atan", 1.0), std::f64::consts::FRAC_PI_4));
        assert!(close(float("haversin", 0.5), (1.0 - 0.5f64.cos()) / 2.0));
        assert!(close(float("degrees", std::f64::consts::PI), 180.0));
        assert!(close(float("radians", 180.0), std::f64::consts::PI));
        let atan2 = run("atan2", &[CypherValue::Float(0.5), CypherValue::Float(0.6)]);
        assert!(matches!(atan2, CypherValue::Float(x) if close(x, 0.5f64.atan2(0.6))));
        assert!(run("atan2", &[CypherValue::Null, CypherValue::Float(0.6)]).is_null());
        assert!(float("asin", 2.0).is_nan());
    }

    #[test]
    fn random_and_nan() {
        for _ in 0..100 {
            assert!(matches!(run("rand", &[]), CypherValue::Float(x) if (0.0..1.0).contains(&x)));
        }
        assert_eq!(
            run("isnan", &[CypherValue::Float(f64::NAN)]),
            CypherValue::Boolean(true)
        );
        assert_eq!(
            run("isnan", &[CypherValue::Integer(1)]),
            CypherValue::Boolean(false)
        );
        assert!(run("isnan", &[CypherValue::Null]).is_null());
    }
}
