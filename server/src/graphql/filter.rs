//! Filters: a `<Label>Filter` input becomes a Cypher condition on a
//! variable; values become parameters (dates and date-times converted in
//! the query), relationship filters `EXISTS { }` subqueries.

use async_graphql::Value;
use cypher::CypherValue;

use super::compile::{hop_pattern, quote, target_of, Compiler};
use super::error::GqlError;
use super::model::{Label, Prop, PropType, Rel};

impl Compiler<'_> {
    /// The condition of a `<Label>Filter` on `var` (`None`: no condition).
    pub fn node_filter(
        &mut self,
        label: &'static Label,
        var: &str,
        filter: &Value,
    ) -> Result<Option<String>, GqlError> {
        let Value::Object(entries) = filter else {
            return match filter {
                Value::Null => Ok(None),
                other => Err(GqlError::BadInput(format!(
                    "a {} filter must be an object, got {other}",
                    label.name
                ))),
            };
        };
        let mut conditions = Vec::new();
        for (name, value) in entries {
            if matches!(value, Value::Null) {
                continue;
            }
            match name.as_str() {
                "AND" | "OR" => {
                    let Value::List(items) = value else {
                        return Err(GqlError::BadInput(format!("`{name}` takes a list")));
                    };
                    let mut parts = Vec::new();
                    for item in items {
                        parts.extend(self.node_filter(label, var, item)?);
                    }
                    if !parts.is_empty() {
                        let joiner = if name.as_str() == "AND" {
                            " AND "
                        } else {
                            " OR "
                        };
                        conditions.push(format!("({})", parts.join(joiner)));
                    } else if name.as_str() == "OR" {
                        conditions.push("false".to_owned());
                    }
                }
                "NOT" => {
                    if let Some(inner) = self.node_filter(label, var, value)? {
                        conditions.push(format!("NOT ({inner})"));
                    }
                }
                other => {
                    if let Some(prop) = label.prop(other) {
                        conditions.extend(self.scalar_filter(prop, var, value)?);
                    } else if let Some(rel) = label.rel(other) {
                        conditions.extend(self.rel_filter(var, rel, value)?);
                    } else {
                        return Err(GqlError::BadInput(format!(
                            "{} has no field `{other}` to filter on",
                            label.name
                        )));
                    }
                }
            }
        }
        Ok(join_and(conditions))
    }

    /// A filter over the properties of a relationship.
    pub(super) fn props_filter(
        &mut self,
        props: &'static [Prop],
        var: &str,
        filter: &Value,
    ) -> Result<Option<String>, GqlError> {
        let Value::Object(entries) = filter else {
            return Ok(None);
        };
        let mut conditions = Vec::new();
        for (name, value) in entries {
            if matches!(value, Value::Null) {
                continue;
            }
            let prop = props
                .iter()
                .find(|p| p.name == name.as_str())
                .ok_or_else(|| GqlError::BadInput(format!("no edge property `{name}`")))?;
            conditions.extend(self.scalar_filter(prop, var, value)?);
        }
        Ok(join_and(conditions))
    }

    /// `{some|none|all: {node: ..., edge: ...}}` on a relationship field.
    pub(super) fn rel_filter(
        &mut self,
        var: &str,
        rel: &'static Rel,
        value: &Value,
    ) -> Result<Option<String>, GqlError> {
        let Value::Object(entries) = value else {
            return Err(GqlError::BadInput(format!(
                "`{}` takes {{some, none, all}}",
                rel.field
            )));
        };
        let target = target_of(rel)?;
        let mut conditions = Vec::new();
        for (quantifier, wanted) in entries {
            if matches!(wanted, Value::Null) {
                continue;
            }
            let inner = self.var("f");
            let rel_var = (!rel.props.is_empty()).then(|| self.var("e"));
            let pattern = hop_pattern(var, rel, &inner, rel_var.as_deref());
            let mut parts = Vec::new();
            if let Value::Object(spec) = wanted {
                if let Some(node) = spec.get("node") {
                    parts.extend(self.node_filter(target, &inner, node)?);
                }
                if let (Some(edge), Some(rel_var)) = (spec.get("edge"), rel_var.as_deref()) {
                    parts.extend(self.props_filter(rel.props, rel_var, edge)?);
                }
            }
            let condition = join_and(parts);
            conditions.push(match (quantifier.as_str(), condition) {
                ("some", Some(c)) => format!("EXISTS {{ {pattern} WHERE {c} }}"),
                ("some", None) => format!("EXISTS {{ {pattern} }}"),
                ("none", Some(c)) => format!("NOT EXISTS {{ {pattern} WHERE {c} }}"),
                ("none", None) => format!("NOT EXISTS {{ {pattern} }}"),
                ("all", Some(c)) => {
                    format!("NOT EXISTS {{ {pattern} WHERE NOT coalesce({c}, false) }}")
                }
                ("all", None) => "true".to_owned(),
                (other, _) => {
                    return Err(GqlError::BadInput(format!(
                        "`{}` takes some, none or all, not `{other}`",
                        rel.field
                    )))
                }
            });
        }
        Ok(join_and(conditions))
    }

    /// `{eq, in, lt, ...}` on one property.
    pub(super) fn scalar_filter(
        &mut self,
        prop: &Prop,
        var: &str,
        value: &Value,
    ) -> Result<Option<String>, GqlError> {
        let Value::Object(ops) = value else {
            return Err(GqlError::BadInput(format!(
                "`{}` takes an operator object such as {{eq: ...}}",
                prop.name
            )));
        };
        let access = format!("{var}.{}", quote(prop.name));
        let mut conditions = Vec::new();
        for (op, operand) in ops {
            let op = op.as_str();
            if op == "isNull" {
                match operand {
                    Value::Boolean(true) => conditions.push(format!("{access} IS NULL")),
                    Value::Boolean(false) => conditions.push(format!("{access} IS NOT NULL")),
                    _ => {}
                }
                continue;
            }
            if matches!(operand, Value::Null) {
                continue;
            }
            let condition = match op {
                "in" | "notIn" => {
                    let Value::List(items) = operand else {
                        return Err(GqlError::BadInput(format!(
                            "`{}.{op}` takes a list",
                            prop.name
                        )));
                    };
                    let values = items
                        .iter()
                        .map(|v| input_value(prop, v))
                        .collect::<Result<Vec<_>, _>>()?;
                    let list = self.param(CypherValue::List(values.into()));
                    let list = match prop.ty {
                        PropType::Date => format!("[x IN {list} | date(x)]"),
                        PropType::DateTime => format!("[x IN {list} | datetime(x)]"),
                        _ => list,
                    };
                    if op == "in" {
                        format!("{access} IN {list}")
                    } else {
                        format!("NOT ({access} IN {list})")
                    }
                }
                _ => {
                    let operand = self.typed_param(prop, operand)?;
                    let cypher_op = match op {
                        "eq" => "=",
                        "ne" => "<>",
                        "lt" => "<",
                        "lte" => "<=",
                        "gt" => ">",
                        "gte" => ">=",
                        "contains" => "CONTAINS",
                        "startsWith" => "STARTS WITH",
                        "endsWith" => "ENDS WITH",
                        other => {
                            return Err(GqlError::BadInput(format!(
                                "`{}` has no operator `{other}`",
                                prop.name
                            )))
                        }
                    };
                    format!("{access} {cypher_op} {operand}")
                }
            };
            conditions.push(condition);
        }
        Ok(join_and(conditions))
    }

    /// A parameter for a property value, converted to its Cypher type
    /// (`date($p)` / `datetime($p)` for temporal properties).
    pub fn typed_param(&mut self, prop: &Prop, value: &Value) -> Result<String, GqlError> {
        let param = self.param(input_value(prop, value)?);
        Ok(match prop.ty {
            PropType::Date => format!("date({param})"),
            PropType::DateTime => format!("datetime({param})"),
            _ => param,
        })
    }
}

/// A GraphQL input value as the Cypher value of a property (temporal
/// values stay strings; the query converts them).
pub fn input_value(prop: &Prop, value: &Value) -> Result<CypherValue, GqlError> {
    let bad = || {
        GqlError::BadInput(format!(
            "`{}` takes a {}, got {value}",
            prop.name,
            prop.ty.scalar()
        ))
    };
    Ok(match (prop.ty, value) {
        (_, Value::Null) => CypherValue::Null,
        (PropType::Key | PropType::String, Value::String(s)) => {
            CypherValue::String(s.as_str().into())
        }
        (PropType::Date, Value::String(s)) => {
            if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err() {
                return Err(GqlError::BadInput(format!(
                    "`{}`: `{s}` is not a date (YYYY-MM-DD)",
                    prop.name
                )));
            }
            CypherValue::String(s.as_str().into())
        }
        (PropType::DateTime, Value::String(s)) => {
            if chrono::DateTime::parse_from_rfc3339(s).is_err()
                && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err()
            {
                return Err(GqlError::BadInput(format!(
                    "`{}`: `{s}` is not an ISO 8601 date-time with offset",
                    prop.name
                )));
            }
            CypherValue::String(s.as_str().into())
        }
        (PropType::Int, Value::Number(n)) => CypherValue::Integer(n.as_i64().ok_or_else(bad)?),
        (PropType::Float, Value::Number(n)) => CypherValue::Float(n.as_f64().ok_or_else(bad)?),
        (PropType::Boolean, Value::Boolean(b)) => CypherValue::Boolean(*b),
        _ => return Err(bad()),
    })
}

pub(super) fn join_and(conditions: Vec<String>) -> Option<String> {
    match conditions.len() {
        0 => None,
        1 => conditions.into_iter().next(),
        _ => Some(format!("({})", conditions.join(" AND "))),
    }
}
