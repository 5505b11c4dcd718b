//! Safety, applied to every method's output: the curated tables
//! (`data/*.tsv`, sources in their headers) of drug classes, of what an
//! allergy excludes, and of severe drug-drug interactions.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::error::{RecommendError, Result};

/// Ingredient keyword → classes.
pub const DRUG_CLASSES: &str = include_str!("../data/drug_classes.tsv");
/// Allergy substance → excluded classes and ingredients.
pub const ALLERGY_EXCLUSIONS: &str = include_str!("../data/allergy_exclusions.tsv");
/// Severe interactions between classes.
pub const INTERACTIONS: &str = include_str!("../data/interactions.tsv");

/// A class or one ingredient.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A drug class (`class:NAME`).
    Class(Arc<str>),
    /// An ingredient keyword (`ingredient:KEYWORD`).
    Ingredient(Arc<str>),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Class(c) => write!(f, "class {c}"),
            Target::Ingredient(i) => write!(f, "ingredient {i}"),
        }
    }
}

/// How severe an interaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Serious; monitor or avoid.
    Major,
    /// Never together.
    Contraindicated,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Major => "major",
            Severity::Contraindicated => "contraindicated",
        })
    }
}

/// The ingredients and classes of one medication.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DrugProfile {
    /// Ingredient keywords found in its display.
    pub ingredients: Vec<Arc<str>>,
    /// Their classes.
    pub classes: Vec<Arc<str>>,
}

impl DrugProfile {
    /// `true` when `target` names one of its classes or ingredients.
    pub fn matches(&self, target: &Target) -> bool {
        match target {
            Target::Class(c) => self.classes.contains(c),
            Target::Ingredient(i) => self.ingredients.contains(i),
        }
    }
}

/// Why a medication conflicts with an allergy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllergyConflict {
    /// The allergy's substance code.
    pub substance_code: Arc<str>,
    /// Its display.
    pub substance_display: Arc<str>,
    /// What the allergy excludes that the medication is.
    pub excluded: Target,
    /// The table's note.
    pub note: Arc<str>,
}

/// A severe interaction with one of the patient's active medications.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractionFlag {
    /// The active medication's code.
    pub medication_code: Arc<str>,
    /// Its display.
    pub medication_display: Arc<str>,
    /// Severity.
    pub severity: Severity,
    /// What happens.
    pub description: Arc<str>,
    /// Where the table has it from.
    pub source: Arc<str>,
}

#[derive(Clone, Debug)]
enum SubstanceMatch {
    Code(Arc<str>),
    Keyword(Arc<str>),
}

#[derive(Clone, Debug)]
struct Interaction {
    a: Target,
    b: Target,
    severity: Severity,
    description: Arc<str>,
    source: Arc<str>,
}

/// An allergy (code, display), what it excludes, and the table's note.
type Exclusion<'a> = (&'a (Arc<str>, Arc<str>), &'a [Target], &'a Arc<str>);

/// The three tables.
#[derive(Clone, Debug)]
pub struct SafetyTables {
    keywords: HashMap<Arc<str>, Vec<Arc<str>>>,
    allergies: Vec<(SubstanceMatch, Vec<Target>, Arc<str>)>,
    interactions: Vec<Interaction>,
}

/// The lower-cased words of a display text.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The data lines of a table: (1-based line number, tab-separated fields).
fn lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| (i + 1, l.split('\t').map(str::trim).collect()))
}

fn parse_target(table: &'static str, line: usize, text: &str) -> Result<Target> {
    let bad = |message: String| RecommendError::Table {
        table,
        line,
        message,
    };
    match text.split_once(':') {
        Some(("class", name)) if !name.is_empty() => Ok(Target::Class(Arc::from(name))),
        Some(("ingredient", name)) if !name.is_empty() => Ok(Target::Ingredient(Arc::from(name))),
        _ => Err(bad(format!(
            "`{text}`: expected class:NAME or ingredient:KEYWORD"
        ))),
    }
}

impl SafetyTables {
    /// The tables shipped with the crate.
    pub fn bundled() -> Result<SafetyTables> {
        SafetyTables::parse(DRUG_CLASSES, ALLERGY_EXCLUSIONS, INTERACTIONS)
    }

    /// Parses the three tables (formats in the files' headers).
    pub fn parse(classes: &str, allergies: &str, interactions: &str) -> Result<SafetyTables> {
        let mut keywords: HashMap<Arc<str>, Vec<Arc<str>>> = HashMap::new();
        for (line, fields) in lines(classes) {
            if fields.len() < 2 || fields[0].is_empty() {
                return Err(RecommendError::Table {
                    table: "drug_classes.tsv",
                    line,
                    message: "expected keyword<TAB>classes".to_owned(),
                });
            }
            let entry = keywords
                .entry(Arc::from(fields[0].to_lowercase()))
                .or_default();
            entry.extend(
                fields[1]
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(Arc::from),
            );
        }
        let mut allergy_rows = Vec::new();
        for (line, fields) in lines(allergies) {
            if fields.len() < 2 || fields[0].is_empty() {
                return Err(RecommendError::Table {
                    table: "allergy_exclusions.tsv",
                    line,
                    message: "expected substance<TAB>excludes<TAB>note".to_owned(),
                });
            }
            let matcher = if fields[0].chars().all(|c| c.is_ascii_digit()) {
                SubstanceMatch::Code(Arc::from(fields[0]))
            } else {
                SubstanceMatch::Keyword(Arc::from(fields[0].to_lowercase()))
            };
            let targets = fields[1]
                .split(',')
                .map(|t| parse_target("allergy_exclusions.tsv", line, t.trim()))
                .collect::<Result<Vec<_>>>()?;
            let note = Arc::from(fields.get(2).copied().unwrap_or(""));
            allergy_rows.push((matcher, targets, note));
        }
        let mut interaction_rows = Vec::new();
        for (line, fields) in lines(interactions) {
            let bad = |message: &str| RecommendError::Table {
                table: "interactions.tsv",
                line,
                message: message.to_owned(),
            };
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
            interaction_rows.push(Interaction {
                a: parse_target("interactions.tsv", line, fields[0])?,
                b: parse_target("interactions.tsv", line, fields[1])?,
                severity,
                description: Arc::from(fields[3]),
                source: Arc::from(fields[4]),
            });
        }
        Ok(SafetyTables {
            keywords,
            allergies: allergy_rows,
            interactions: interaction_rows,
        })
    }

    /// The ingredients and classes of a medication, from its display.
    pub fn drug(&self, display: &str) -> DrugProfile {
        let mut profile = DrugProfile::default();
        for word in words(display) {
            if let Some((keyword, classes)) = self.keywords.get_key_value(word.as_str()) {
                if !profile.ingredients.contains(keyword) {
                    profile.ingredients.push(keyword.clone());
                }
                for c in classes {
                    if !profile.classes.contains(c) {
                        profile.classes.push(c.clone());
                    }
                }
            }
        }
        profile
    }

    /// What a patient's allergies exclude: (allergy code, display, targets,
    /// note) per matching table row.
    fn exclusions<'a>(
        &'a self,
        allergies: &'a [(Arc<str>, Arc<str>)],
    ) -> impl Iterator<Item = Exclusion<'a>> {
        allergies.iter().flat_map(move |allergy| {
            let allergy_words = words(&allergy.1);
            self.allergies
                .iter()
                .filter(move |(m, _, _)| match m {
                    SubstanceMatch::Code(c) => *c == allergy.0,
                    SubstanceMatch::Keyword(k) => allergy_words.iter().any(|w| **w == **k),
                })
                .map(move |(_, targets, note)| (allergy, targets.as_slice(), note))
        })
    }

    /// The allergies (substance code, display) that exclude `drug`.
    pub fn allergy_conflicts(
        &self,
        allergies: &[(Arc<str>, Arc<str>)],
        drug: &DrugProfile,
    ) -> Vec<AllergyConflict> {
        let mut out: Vec<AllergyConflict> = Vec::new();
        for (allergy, targets, note) in self.exclusions(allergies) {
            for t in targets {
                if drug.matches(t) && !out.iter().any(|c| c.substance_code == allergy.0) {
                    out.push(AllergyConflict {
                        substance_code: allergy.0.clone(),
                        substance_display: allergy.1.clone(),
                        excluded: t.clone(),
                        note: note.clone(),
                    });
                }
            }
        }
        out
    }

    /// Severe interactions of `drug` with the `active` medications (code,
    /// display), most severe first.
    pub fn interactions(
        &self,
        drug: &DrugProfile,
        active: &[(Arc<str>, Arc<str>, DrugProfile)],
    ) -> Vec<InteractionFlag> {
        let mut out = Vec::new();
        for (code, display, other) in active {
            for i in &self.interactions {
                let hit = (drug.matches(&i.a) && other.matches(&i.b))
                    || (drug.matches(&i.b) && other.matches(&i.a));
                if hit
                    && !out.iter().any(|f: &InteractionFlag| {
                        f.medication_code == *code && f.description == i.description
                    })
                {
                    out.push(InteractionFlag {
                        medication_code: code.clone(),
                        medication_display: display.clone(),
                        severity: i.severity,
                        description: i.description.clone(),
                        source: i.source.clone(),
                    });
                }
            }
        }
        out.sort_by_key(|f| std::cmp::Reverse(f.severity));
        out
    }
}
