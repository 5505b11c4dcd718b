//! CDS Hooks cards: suggestions for `patient-view`, warnings for
//! `order-select`.

use recommender::{MatchBasis, OrderCheck, Recommendation, Severity};
use serde::Serialize;
use serde_json::{json, Value};

use super::request::{DraftMedication, RXNORM};

/// How urgent a card is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Indicator {
    /// For information.
    Info,
    /// Worth a look before going on.
    Warning,
    /// Stop: the order would harm the patient.
    Critical,
}

/// The longest summary the specification allows, minus one.
const SUMMARY_CHARS: usize = 139;

/// The source of recommendation cards.
pub const RECOMMENDER_SOURCE: &str = "CareGraph medication recommendations";
/// The source of order-check cards.
pub const SAFETY_SOURCE: &str = "CareGraph medication safety tables";

/// One card.
fn card(
    indicator: Indicator,
    summary: &str,
    detail: &str,
    source: &str,
    suggestions: Vec<Value>,
) -> Value {
    let mut card = json!({
        "uuid": uuid::Uuid::new_v4().to_string(),
        "summary": short(summary),
        "detail": detail,
        "indicator": indicator,
        "source": {"label": source},
    });
    if !suggestions.is_empty() {
        if let Some(map) = card.as_object_mut() {
            map.insert("suggestions".into(), Value::Array(suggestions));
            map.insert("selectionBehavior".into(), json!("at-most-one"));
        }
    }
    card
}

/// `text` cut to fit a summary.
fn short(text: &str) -> String {
    if text.chars().count() <= SUMMARY_CHARS {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(SUMMARY_CHARS - 1).collect();
    out.push('…');
    out
}

/// Escapes the characters Markdown would read as formatting.
/// A sentence saying the safety tables matched a medication or an allergy
/// by its display text (its code is not in them); empty when by code.
fn by_name_note(basis: MatchBasis) -> &'static str {
    match basis {
        MatchBasis::Code => "",
        MatchBasis::Name => {
            " (Matched by name: the safety tables do not have this code, so its display text was matched to ingredient names.)"
        }
    }
}

fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '`' | '[' | ']' | '#' | '<' | '>' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An info card per recommendation, with its evidence and interaction
/// flags in the detail and a suggestion to draft the order.
pub fn recommendation_cards(
    patient_id: &str,
    method: &str,
    found: &[Recommendation],
) -> Vec<Value> {
    found
        .iter()
        .enumerate()
        .map(|(rank, r)| {
            let mut lines = vec![format!(
                "Suggested for this patient ({method}, rank {}, score {:.3}). Why:\n",
                rank + 1,
                r.score
            )];
            lines.extend(r.evidence.iter().map(|e| format!("- {}", md(&e.to_string()))));
            lines.extend(r.flags.iter().map(|f| {
                format!(
                    "\n**{} interaction** with the active {}: {} (source: {}){}",
                    f.severity,
                    md(&f.medication_display),
                    md(&f.description),
                    md(&f.source),
                    by_name_note(f.basis)
                )
            }));
            let detail = lines.join("\n");
            let action = json!({
                "type": "create",
                "description": format!("Draft an order of {}", r.display),
                "resource": {
                    "resourceType": "MedicationRequest",
                    "status": "draft",
                    "intent": "proposal",
                    "subject": {"reference": format!("Patient/{patient_id}")},
                    "medicationCodeableConcept": {
                        "coding": [{"system": RXNORM, "code": &*r.medication_code, "display": &*r.display}],
                        "text": &*r.display,
                    },
                },
            });
            card(
                Indicator::Info,
                &format!("Consider {}", r.display),
                &detail,
                RECOMMENDER_SOURCE,
                vec![json!({
                    "label": short(&format!("Order {}", r.display)),
                    "uuid": uuid::Uuid::new_v4().to_string(),
                    "actions": [action],
                })],
            )
        })
        .collect()
}

/// A suggestion to take the drafted order back.
fn remove_suggestion(draft: &DraftMedication) -> Vec<Value> {
    draft
        .reference()
        .map(|reference| {
            json!({
                "label": short(&format!("Remove the order of {}", draft.name())),
                "uuid": uuid::Uuid::new_v4().to_string(),
                "isRecommended": true,
                "actions": [{"type": "delete", "description": format!("Remove the draft {reference}"), "resourceId": reference}],
            })
        })
        .into_iter()
        .collect()
}

/// The cards of one order check, most urgent first: `critical` for each
/// allergy conflict and each contraindicated interaction, `warning` for
/// each major interaction and for a medication the patient takes already;
/// none when the order is clean.
pub fn order_cards(draft: &DraftMedication, check: &OrderCheck) -> Vec<Value> {
    let name = &check.display;
    let mut cards: Vec<(Indicator, Value)> = Vec::new();
    for conflict in &check.allergy_conflicts {
        let detail = format!(
            "The patient has an allergy to **{}** (code {}), which excludes {}: {}.\n\nThe order of {} ({}) is {}.{}",
            md(&conflict.substance_display),
            md(&conflict.substance_code),
            md(&conflict.excluded.to_string()),
            md(&conflict.note),
            md(name),
            md(&check.medication_code),
            md(&conflict.excluded.to_string()),
            by_name_note(conflict.basis),
        );
        cards.push((
            Indicator::Critical,
            card(
                Indicator::Critical,
                &format!(
                    "Allergy: {} conflicts with the allergy to {}",
                    name, conflict.substance_display
                ),
                &detail,
                SAFETY_SOURCE,
                remove_suggestion(draft),
            ),
        ));
    }
    for flag in &check.interactions {
        let indicator = match flag.severity {
            Severity::Contraindicated => Indicator::Critical,
            Severity::Major => Indicator::Warning,
        };
        let detail = format!(
            "**{}** interaction of {} with the patient's active {} ({}): {}.\n\nSource: {}.{}",
            flag.severity,
            md(name),
            md(&flag.medication_display),
            md(&flag.medication_code),
            md(&flag.description),
            md(&flag.source),
            by_name_note(flag.basis),
        );
        let suggestions = if indicator == Indicator::Critical {
            remove_suggestion(draft)
        } else {
            Vec::new()
        };
        cards.push((
            indicator,
            card(
                indicator,
                &format!(
                    "{} interaction: {} with {} ({})",
                    capitalized(&flag.severity.to_string()),
                    name,
                    flag.medication_display,
                    flag.description
                ),
                &detail,
                SAFETY_SOURCE,
                suggestions,
            ),
        ));
    }
    if check.currently_taking {
        cards.push((
            Indicator::Warning,
            card(
                Indicator::Warning,
                &format!("Duplicate: the patient already takes {name}"),
                &format!(
                    "The patient has an active prescription of {} ({}); this order would duplicate it.",
                    md(name),
                    md(&check.medication_code)
                ),
                SAFETY_SOURCE,
                remove_suggestion(draft),
            ),
        ));
    }
    cards.sort_by_key(|(indicator, _)| std::cmp::Reverse(*indicator));
    cards.into_iter().map(|(_, c)| c).collect()
}

/// The card for an order of a medication neither the catalog nor the
/// order's text identifies: it could not be checked.
pub fn unchecked_card(draft: &DraftMedication) -> Value {
    card(
        Indicator::Info,
        &format!("Not checked: {} is not a medication CareGraph knows", draft.name()),
        &format!(
            "RxNorm {} was never prescribed in this graph and the order carries no display text, so allergies and interactions were not checked.",
            md(&draft.code)
        ),
        SAFETY_SOURCE,
        Vec::new(),
    )
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_fit_the_specification() {
        let long = "x".repeat(500);
        assert_eq!(short(&long).chars().count(), SUMMARY_CHARS);
        assert_eq!(short("short"), "short");
    }

    #[test]
    fn markdown_is_escaped() {
        assert_eq!(md("a*b_[c]"), "a\\*b\\_\\[c\\]");
        assert_eq!(capitalized("major"), "Major");
    }

    #[test]
    fn a_clean_check_has_no_card() {
        let draft = DraftMedication {
            path: "context.draftOrders.entry[0].resource".into(),
            id: Some("a".into()),
            code: "313".into(),
            display: Some("Acetaminophen".into()),
        };
        let check = OrderCheck {
            medication_code: "313".into(),
            display: "Acetaminophen".into(),
            currently_taking: false,
            allergy_conflicts: Vec::new(),
            interactions: Vec::new(),
        };
        assert!(order_cards(&draft, &check).is_empty());
        let taking = OrderCheck {
            currently_taking: true,
            ..check
        };
        let cards = order_cards(&draft, &taking);
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0]["indicator"], "warning");
        assert_eq!(
            cards[0]["suggestions"][0]["actions"][0]["resourceId"],
            "MedicationRequest/a"
        );
        assert_eq!(cards[0]["selectionBehavior"], "at-most-one");
    }
}
