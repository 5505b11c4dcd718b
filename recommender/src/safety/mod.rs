//! Safety, applied to every method's output: the curated tables
//! (`data/*.tsv`, sources in their headers) of `RxNorm` products and their
//! ingredients, drug classes by ingredient, what an allergy excludes, and
//! severe drug-drug interactions. Everything matches on codes: a
//! medication's `RxNorm` code gives its ingredients, an allergy's substance
//! code (`RxNorm` or SNOMED CT) what it excludes. A code the tables do not
//! have falls back to the display text (ingredient names, brand names,
//! allergy keywords), and whatever was matched that way says so
//! ([`MatchBasis::Name`]).

mod tables;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::error::Result;

/// Ingredient (`RxNorm` RXCUI) → name, classes, aliases.
pub const DRUG_CLASSES: &str = include_str!("../../data/drug_classes.tsv");
/// `RxNorm` medication code → ingredient RXCUIs.
pub const RXNORM_PRODUCTS: &str = include_str!("../../data/rxnorm_products.tsv");
/// Allergy substance code → excluded classes and ingredients.
pub const ALLERGY_EXCLUSIONS: &str = include_str!("../../data/allergy_exclusions.tsv");
/// Severe interactions between classes and ingredients.
pub const INTERACTIONS: &str = include_str!("../../data/interactions.tsv");

/// A class or one ingredient.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A drug class (`class:NAME`).
    Class(Arc<str>),
    /// An ingredient (`ingredient:RXCUI`).
    Ingredient {
        /// Its `RxNorm` code.
        rxcui: Arc<str>,
        /// Its name.
        name: Arc<str>,
    },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Class(c) => write!(f, "class {c}"),
            Target::Ingredient { rxcui, name } => write!(f, "ingredient {name} (RxNorm {rxcui})"),
        }
    }
}

/// How a medication or an allergy was matched to the tables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MatchBasis {
    /// By its code (the tables have it).
    #[default]
    Code,
    /// By words of its display text (the tables do not have its code).
    Name,
}

impl MatchBasis {
    /// `Name` when either is.
    #[must_use]
    pub fn and(self, other: MatchBasis) -> MatchBasis {
        if self == MatchBasis::Name || other == MatchBasis::Name {
            MatchBasis::Name
        } else {
            MatchBasis::Code
        }
    }
}

impl fmt::Display for MatchBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchBasis::Code => "by code",
            MatchBasis::Name => "by name",
        })
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
    /// Its ingredients' `RxNorm` codes.
    pub ingredients: Vec<Arc<str>>,
    /// Their classes.
    pub classes: Vec<Arc<str>>,
    /// From its code, or (a code the tables do not have) its display.
    pub basis: MatchBasis,
}

impl DrugProfile {
    /// `true` when `target` names one of its classes or ingredients.
    pub fn matches(&self, target: &Target) -> bool {
        match target {
            Target::Class(c) => self.classes.contains(c),
            Target::Ingredient { rxcui, .. } => self.ingredients.contains(rxcui),
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
    /// `Name` when the allergy or the medication was matched by display
    /// text rather than by code.
    pub basis: MatchBasis,
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
    /// `Name` when either medication was matched by display text rather
    /// than by code.
    pub basis: MatchBasis,
}

/// An ingredient of `drug_classes.tsv`.
#[derive(Clone, Debug)]
struct Ingredient {
    name: Arc<str>,
    classes: Vec<Arc<str>>,
    /// Lower-cased other spellings.
    aliases: Vec<String>,
}

/// A row of `allergy_exclusions.tsv`.
#[derive(Clone, Debug)]
struct SubstanceRule {
    /// The code, or the lower-cased keyword.
    key: Arc<str>,
    by_code: bool,
    excludes: Vec<Target>,
    note: Arc<str>,
}

#[derive(Clone, Debug)]
struct Interaction {
    a: Target,
    b: Target,
    severity: Severity,
    description: Arc<str>,
    source: Arc<str>,
}

/// A product of `rxnorm_products.tsv`: its ingredient RXCUIs and brand.
type Product = (Vec<Arc<str>>, Option<Arc<str>>);

/// What one allergy excludes: (targets, note) and how it was matched.
type Exclusions = (Vec<(Target, Arc<str>)>, MatchBasis);

/// The tables.
#[derive(Clone, Debug)]
pub struct SafetyTables {
    ingredients: HashMap<Arc<str>, Ingredient>,
    products: HashMap<Arc<str>, Product>,
    /// Normalized ingredient names, aliases and brand names (` word word `)
    /// → ingredient RXCUIs: the name-based fallback.
    names: Vec<(String, Vec<Arc<str>>)>,
    allergy_rules: Vec<SubstanceRule>,
    interactions: Vec<Interaction>,
}

/// The lower-cased words of a text joined by single spaces, with a space at
/// each end (so that ` word ` finds whole words): how names are matched
/// against displays.
pub fn normalized(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push_str(&word.to_lowercase());
        out.push(' ');
    }
    out
}

impl SafetyTables {
    /// The tables shipped with the crate.
    pub fn bundled() -> Result<SafetyTables> {
        SafetyTables::parse(
            DRUG_CLASSES,
            RXNORM_PRODUCTS,
            ALLERGY_EXCLUSIONS,
            INTERACTIONS,
        )
    }

    /// Parses the four tables (formats in the files' headers).
    pub fn parse(
        classes: &str,
        products: &str,
        allergies: &str,
        interactions: &str,
    ) -> Result<SafetyTables> {
        let ingredients = tables::ingredients(classes)?;
        let products = tables::products(products, &ingredients)?;
        let allergy_rules = tables::allergy_rules(allergies, &ingredients)?;
        let interactions = tables::interactions(interactions, &ingredients)?;
        let mut names: HashMap<String, Vec<Arc<str>>> = HashMap::new();
        for (rxcui, ingredient) in &ingredients {
            for name in std::iter::once(&*ingredient.name)
                .chain(ingredient.aliases.iter().map(String::as_str))
            {
                names
                    .entry(normalized(name))
                    .or_default()
                    .push(rxcui.clone());
            }
        }
        for (parts, brand) in products.values() {
            if let Some(brand) = brand {
                let slot = names.entry(normalized(brand)).or_default();
                slot.extend(parts.iter().cloned());
            }
        }
        let mut names: Vec<(String, Vec<Arc<str>>)> = names
            .into_iter()
            .map(|(k, mut v)| {
                v.sort();
                v.dedup();
                (k, v)
            })
            .collect();
        names.sort();
        Ok(SafetyTables {
            ingredients,
            products,
            names,
            allergy_rules,
            interactions,
        })
    }

    /// The ingredients (RXCUI, name) of a medication code the tables have.
    pub fn product_ingredients(&self, code: &str) -> Option<Vec<(Arc<str>, Arc<str>)>> {
        let (parts, _) = self.products.get(code)?;
        Some(
            parts
                .iter()
                .filter_map(|r| self.ingredients.get(r).map(|i| (r.clone(), i.name.clone())))
                .collect(),
        )
    }

    /// The brand name the products table gives a medication code.
    pub fn product_brand(&self, code: &str) -> Option<&Arc<str>> {
        self.products
            .get(code)
            .and_then(|(_, brand)| brand.as_ref())
    }

    /// The name and aliases of an ingredient.
    pub fn ingredient_names(&self, rxcui: &str) -> Vec<&str> {
        self.ingredients.get(rxcui).map_or_else(Vec::new, |i| {
            std::iter::once(&*i.name)
                .chain(i.aliases.iter().map(String::as_str))
                .collect()
        })
    }

    /// `true` when `allergy_exclusions.tsv` has a row for this substance
    /// code.
    pub fn knows_allergy_code(&self, code: &str) -> bool {
        self.allergy_rules
            .iter()
            .any(|r| r.by_code && &*r.key == code)
    }

    /// The ingredients whose name, alias or brand appears in `text`.
    fn ingredients_named_in(&self, text: &str) -> Vec<Arc<str>> {
        let text = normalized(text);
        let found: Vec<&(String, Vec<Arc<str>>)> = self
            .names
            .iter()
            .filter(|(name, _)| text.contains(name.as_str()))
            .collect();
        // A name inside a longer one found too ("estradiol" in "ethinyl
        // estradiol") is that longer name's word, not an ingredient.
        let mut out: Vec<Arc<str>> = found
            .iter()
            .filter(|(name, _)| {
                !found
                    .iter()
                    .any(|(other, _)| other.len() > name.len() && other.contains(name.as_str()))
            })
            .flat_map(|(_, parts)| parts.iter().cloned())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The profile of ingredient RXCUIs.
    fn profile_of(&self, ingredients: Vec<Arc<str>>, basis: MatchBasis) -> DrugProfile {
        let mut classes: Vec<Arc<str>> = Vec::new();
        for rxcui in &ingredients {
            if let Some(ingredient) = self.ingredients.get(rxcui) {
                for c in &ingredient.classes {
                    if !classes.contains(c) {
                        classes.push(c.clone());
                    }
                }
            }
        }
        DrugProfile {
            ingredients,
            classes,
            basis,
        }
    }

    /// The ingredients and classes of a medication: from its `RxNorm` code
    /// (a product of `rxnorm_products.tsv` or an ingredient itself), else
    /// from the ingredient and brand names in its display
    /// ([`MatchBasis::Name`]).
    pub fn drug(&self, code: &str, display: &str) -> DrugProfile {
        if let Some((parts, _)) = self.products.get(code) {
            return self.profile_of(parts.clone(), MatchBasis::Code);
        }
        if let Some((rxcui, _)) = self.ingredients.get_key_value(code) {
            return self.profile_of(vec![rxcui.clone()], MatchBasis::Code);
        }
        self.profile_of(self.ingredients_named_in(display), MatchBasis::Name)
    }

    /// What one allergy (substance code, display) excludes: by code (a row
    /// of the table, else an `RxNorm` ingredient or product of the tables),
    /// else by the keywords and ingredient names in its display.
    fn exclusions(&self, code: &str, display: &str) -> Exclusions {
        let rows: Vec<&SubstanceRule> = self
            .allergy_rules
            .iter()
            .filter(|r| r.by_code && &*r.key == code)
            .collect();
        if !rows.is_empty() {
            let targets = rows
                .iter()
                .flat_map(|r| r.excludes.iter().map(|t| (t.clone(), r.note.clone())))
                .collect();
            return (targets, MatchBasis::Code);
        }
        let as_ingredient = |rxcui: &Arc<str>, note: &str| {
            self.ingredients.get(rxcui).map(|i| {
                (
                    Target::Ingredient {
                        rxcui: rxcui.clone(),
                        name: i.name.clone(),
                    },
                    Arc::from(format!("{note} {}", i.name)),
                )
            })
        };
        if let Some((rxcui, _)) = self.ingredients.get_key_value(code) {
            return (
                as_ingredient(rxcui, "allergy to").into_iter().collect(),
                MatchBasis::Code,
            );
        }
        if let Some((parts, _)) = self.products.get(code) {
            let targets = parts
                .iter()
                .filter_map(|r| as_ingredient(r, "allergy to a product of"))
                .collect();
            return (targets, MatchBasis::Code);
        }
        let words = normalized(display);
        let mut targets: Vec<(Target, Arc<str>)> = self
            .allergy_rules
            .iter()
            .filter(|r| !r.by_code && words.contains(&format!(" {} ", r.key)))
            .flat_map(|r| r.excludes.iter().map(|t| (t.clone(), r.note.clone())))
            .collect();
        targets.extend(
            self.ingredients_named_in(display)
                .iter()
                .filter_map(|r| as_ingredient(r, "allergy to")),
        );
        (targets, MatchBasis::Name)
    }

    /// The allergies (substance code, display) that exclude `drug`, one
    /// conflict per allergy.
    pub fn allergy_conflicts(
        &self,
        allergies: &[(Arc<str>, Arc<str>)],
        drug: &DrugProfile,
    ) -> Vec<AllergyConflict> {
        let mut out: Vec<AllergyConflict> = Vec::new();
        for (code, display) in allergies {
            if out.iter().any(|c| c.substance_code == *code) {
                continue;
            }
            let (targets, basis) = self.exclusions(code, display);
            if let Some((target, note)) = targets.into_iter().find(|(t, _)| drug.matches(t)) {
                out.push(AllergyConflict {
                    substance_code: code.clone(),
                    substance_display: display.clone(),
                    excluded: target,
                    note,
                    basis: basis.and(drug.basis),
                });
            }
        }
        out
    }

    /// Severe interactions of `drug` with the `active` medications (code,
    /// display, profile), most severe first.
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
                        basis: drug.basis.and(other.basis),
                    });
                }
            }
        }
        out.sort_by_key(|f| std::cmp::Reverse(f.severity));
        out
    }
}
