//! Reading the curated tables (`data/*.tsv`, formats in their headers).

use std::collections::HashMap;
use std::sync::Arc;

use super::{Ingredient, Interaction, Product, Severity, SubstanceRule, Target};
use crate::error::{RecommendError, Result};

/// The data lines of a table: (1-based line number, tab-separated fields).
pub(super) fn lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| (i + 1, l.split('\t').map(str::trim).collect()))
}

/// A comma-separated list, trimmed, empty items left out.
pub(super) fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// `true` for an all-digit code (an RXCUI or a SNOMED CT id).
fn is_code(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit())
}

/// The ingredients of `drug_classes.tsv`, by RXCUI.
pub(super) fn ingredients(text: &str) -> Result<HashMap<Arc<str>, Ingredient>> {
    let mut out: HashMap<Arc<str>, Ingredient> = HashMap::new();
    for (line, fields) in lines(text) {
        let bad = |message: String| RecommendError::Table {
            table: "drug_classes.tsv",
            line,
            message,
        };
        if fields.len() < 2 || !is_code(fields[0]) || fields[1].is_empty() {
            return Err(bad(
                "expected rxcui<TAB>name<TAB>classes<TAB>aliases<TAB>checked".to_owned(),
            ));
        }
        let rxcui: Arc<str> = Arc::from(fields[0]);
        let ingredient = Ingredient {
            name: Arc::from(fields[1]),
            classes: fields
                .get(2)
                .map(|c| list(c).map(Arc::from).collect())
                .unwrap_or_default(),
            aliases: fields
                .get(3)
                .map(|a| list(a).map(str::to_lowercase).collect())
                .unwrap_or_default(),
        };
        if out.insert(rxcui, ingredient).is_some() {
            return Err(bad(format!("ingredient {} listed twice", fields[0])));
        }
    }
    Ok(out)
}

/// The products of `rxnorm_products.tsv`: code → (ingredient RXCUIs,
/// brand).
pub(super) fn products(
    text: &str,
    ingredients: &HashMap<Arc<str>, Ingredient>,
) -> Result<HashMap<Arc<str>, Product>> {
    let mut out = HashMap::new();
    for (line, fields) in lines(text) {
        let bad = |message: String| RecommendError::Table {
            table: "rxnorm_products.tsv",
            line,
            message,
        };
        if fields.len() < 2 || !is_code(fields[0]) {
            return Err(bad(
                "expected rxcui<TAB>ingredients<TAB>brand<TAB>display".to_owned()
            ));
        }
        let mut parts = Vec::new();
        for rxcui in list(fields[1]) {
            let Some((key, _)) = ingredients.get_key_value(rxcui) else {
                return Err(bad(format!(
                    "ingredient {rxcui} is not in drug_classes.tsv"
                )));
            };
            parts.push(key.clone());
        }
        if parts.is_empty() {
            return Err(bad(format!("{} has no ingredient", fields[0])));
        }
        let brand = fields
            .get(2)
            .filter(|b| !b.is_empty())
            .map(|b| Arc::from(*b));
        if out.insert(Arc::from(fields[0]), (parts, brand)).is_some() {
            return Err(bad(format!("product {} listed twice", fields[0])));
        }
    }
    Ok(out)
}

/// A `class:NAME` or `ingredient:RXCUI` of a table.
pub(super) fn target(
    table: &'static str,
    line: usize,
    text: &str,
    ingredients: &HashMap<Arc<str>, Ingredient>,
) -> Result<Target> {
    let bad = |message: String| RecommendError::Table {
        table,
        line,
        message,
    };
    match text.split_once(':') {
        Some(("class", name)) if !name.is_empty() => Ok(Target::Class(Arc::from(name))),
        Some(("ingredient", rxcui)) => match ingredients.get_key_value(rxcui) {
            Some((key, ingredient)) => Ok(Target::Ingredient {
                rxcui: key.clone(),
                name: ingredient.name.clone(),
            }),
            None => Err(bad(format!(
                "`{text}`: ingredient {rxcui} is not in drug_classes.tsv"
            ))),
        },
        _ => Err(bad(format!(
            "`{text}`: expected class:NAME or ingredient:RXCUI"
        ))),
    }
}

/// Builds the error of one table row.
fn row_error(table: &'static str, line: usize) -> impl Fn(&str) -> RecommendError {
    move |message| RecommendError::Table {
        table,
        line,
        message: message.to_owned(),
    }
}

/// The rows of `allergy_exclusions.tsv`.
pub(super) fn allergy_rules(
    text: &str,
    ingredients: &HashMap<Arc<str>, Ingredient>,
) -> Result<Vec<SubstanceRule>> {
    const TABLE: &str = "allergy_exclusions.tsv";
    let mut out = Vec::new();
    for (line, fields) in lines(text) {
        let bad = row_error(TABLE, line);
        if fields.len() < 3 || fields[1].is_empty() {
            return Err(bad("expected system<TAB>code<TAB>excludes<TAB>note"));
        }
        let by_code = match fields[0] {
            "rxnorm" | "snomed" if is_code(fields[1]) => true,
            "name" => false,
            _ => {
                return Err(bad(
                    "system must be rxnorm or snomed (with a numeric code) or name",
                ))
            }
        };
        let excludes = if fields[2] == "none" {
            Vec::new()
        } else {
            list(fields[2])
                .map(|t| target(TABLE, line, t, ingredients))
                .collect::<Result<Vec<_>>>()?
        };
        out.push(SubstanceRule {
            key: if by_code {
                Arc::from(fields[1])
            } else {
                Arc::from(fields[1].to_lowercase())
            },
            by_code,
            excludes,
            note: Arc::from(fields.get(3).copied().unwrap_or("")),
        });
    }
    Ok(out)
}

/// The rows of `interactions.tsv`.
pub(super) fn interactions(
    text: &str,
    ingredients: &HashMap<Arc<str>, Ingredient>,
) -> Result<Vec<Interaction>> {
    const TABLE: &str = "interactions.tsv";
    let mut out = Vec::new();
    for (line, fields) in lines(text) {
        let bad = row_error(TABLE, line);
        if fields.len() < 5 {
            return Err(bad(
                "expected a<TAB>b<TAB>severity<TAB>description<TAB>source",
            ));
        }
        let severity = match fields[2] {
            "contraindicated" => Severity::Contraindicated,
            "major" => Severity::Major,
            _ => return Err(bad("severity must be contraindicated or major")),
        };
        out.push(Interaction {
            a: target(TABLE, line, fields[0], ingredients)?,
            b: target(TABLE, line, fields[1], ingredients)?,
            severity,
            description: Arc::from(fields[3]),
            source: Arc::from(fields[4]),
        });
    }
    Ok(out)
}
