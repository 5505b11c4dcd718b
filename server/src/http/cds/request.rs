//! Reading a CDS Hooks request: the common fields, and the drafted
//! `MedicationRequest`s of an `order-select` call, each error naming the
//! JSON path it is at.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::error::CdsError;

/// The `RxNorm` code system.
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

/// The fields every hook call has.
#[derive(Clone, Debug, PartialEq)]
pub struct HookRequest {
    /// The hook (checked against the service's).
    pub hook: String,
    /// The client's id of this call.
    pub hook_instance: String,
    /// `context.userId` (`Practitioner/123`), when given.
    pub user_id: Option<String>,
    /// `context.patientId`.
    pub patient_id: String,
    /// The whole `context`.
    pub context: Map<String, Value>,
}

/// A drafted medication order to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftMedication {
    /// The JSON path of the `MedicationRequest`.
    pub path: String,
    /// Its `id`, when it has one.
    pub id: Option<String>,
    /// The `RxNorm` code.
    pub code: String,
    /// The coding's display, or the concept's text.
    pub display: Option<String>,
}

impl DraftMedication {
    /// `MedicationRequest/<id>`, when it has an id.
    pub fn reference(&self) -> Option<String> {
        self.id.as_ref().map(|id| format!("MedicationRequest/{id}"))
    }

    /// What to call it on a card.
    pub fn name(&self) -> String {
        match &self.display {
            Some(d) => d.clone(),
            None => format!("RxNorm {}", self.code),
        }
    }
}

/// Parses the body of a call to a service for `hook`.
pub fn parse(body: &[u8], hook: &str) -> Result<HookRequest, CdsError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| CdsError::bad("$", format!("the body is not JSON: {e}")))?;
    let Value::Object(mut root) = value else {
        return Err(CdsError::bad("$", "the body must be a JSON object"));
    };
    let given = string(&root, "hook", "hook")?;
    if given != hook {
        return Err(CdsError::bad(
            "hook",
            format!("this service answers the `{hook}` hook, not `{given}`"),
        ));
    }
    let hook_instance = string(&root, "hookInstance", "hookInstance")?;
    let context = match root.remove("context") {
        Some(Value::Object(map)) => map,
        Some(_) => return Err(CdsError::bad("context", "must be an object")),
        None => return Err(CdsError::bad("context", "missing")),
    };
    let patient_id = string(&context, "patientId", "context.patientId")?;
    if patient_id.trim().is_empty() {
        return Err(CdsError::bad("context.patientId", "must not be empty"));
    }
    let user_id = optional_string(&context, "userId", "context.userId")?;
    Ok(HookRequest {
        hook: given,
        hook_instance,
        user_id,
        patient_id,
        context,
    })
}

fn string(map: &Map<String, Value>, key: &str, path: &str) -> Result<String, CdsError> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(CdsError::bad(path, "must be a string")),
        None => Err(CdsError::bad(path, "missing")),
    }
}

fn optional_string(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, CdsError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(CdsError::bad(path, "must be a string")),
    }
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, CdsError> {
    value
        .as_object()
        .ok_or_else(|| CdsError::bad(path, "must be an object"))
}

fn array<'a>(value: &'a Value, path: &str) -> Result<&'a Vec<Value>, CdsError> {
    value
        .as_array()
        .ok_or_else(|| CdsError::bad(path, "must be an array"))
}

/// A resource of the draft bundle.
struct Entry<'a> {
    path: String,
    resource: &'a Map<String, Value>,
}

/// The drafted `MedicationRequest`s of an `order-select` context to check:
/// those `context.selections` names, or all of them when it is absent.
/// Orders of other kinds (`ServiceRequest`, ...) are not checked.
pub fn draft_medications(context: &Map<String, Value>) -> Result<Vec<DraftMedication>, CdsError> {
    const BUNDLE: &str = "context.draftOrders";
    let bundle = context.get("draftOrders").ok_or_else(|| {
        CdsError::bad(
            BUNDLE,
            "missing: order-select needs the drafted orders as a FHIR Bundle",
        )
    })?;
    let bundle = object(bundle, BUNDLE)?;
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(CdsError::bad(
            format!("{BUNDLE}.resourceType"),
            "must be \"Bundle\"",
        ));
    }
    let no_entries = Vec::new();
    let entries = match bundle.get("entry") {
        None | Some(Value::Null) => &no_entries,
        Some(v) => array(v, &format!("{BUNDLE}.entry"))?,
    };
    let mut requests = Vec::new();
    // Medication resources by `Medication/<id>` and by `fullUrl`.
    let mut medications: HashMap<String, Entry<'_>> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let entry_path = format!("{BUNDLE}.entry[{i}]");
        let entry = object(entry, &entry_path)?;
        let path = format!("{entry_path}.resource");
        let resource = object(
            entry
                .get("resource")
                .ok_or_else(|| CdsError::bad(&path, "missing"))?,
            &path,
        )?;
        let kind = string(resource, "resourceType", &format!("{path}.resourceType"))?;
        let id = optional_string(resource, "id", &format!("{path}.id"))?;
        match kind.as_str() {
            "MedicationRequest" => requests.push((id, Entry { path, resource })),
            "Medication" => {
                if let Some(url) = entry.get("fullUrl").and_then(Value::as_str) {
                    medications.insert(
                        url.to_owned(),
                        Entry {
                            path: path.clone(),
                            resource,
                        },
                    );
                }
                if let Some(id) = id {
                    medications.insert(format!("Medication/{id}"), Entry { path, resource });
                }
            }
            _ => {}
        }
    }
    let selected: Option<Vec<String>> = match context.get("selections") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let list = array(v, "context.selections")?;
            let mut out = Vec::new();
            for (j, s) in list.iter().enumerate() {
                let path = format!("context.selections[{j}]");
                let s = s
                    .as_str()
                    .ok_or_else(|| CdsError::bad(&path, "must be a string"))?;
                if let Some(id) = s.strip_prefix("MedicationRequest/") {
                    if !requests.iter().any(|(rid, _)| rid.as_deref() == Some(id)) {
                        return Err(CdsError::bad(
                            path,
                            format!("names {s}, which context.draftOrders does not hold"),
                        ));
                    }
                    out.push(id.to_owned());
                }
            }
            Some(out)
        }
    };
    let mut drafts = Vec::new();
    for (id, entry) in &requests {
        if let Some(selected) = &selected {
            if !id.as_ref().is_some_and(|id| selected.contains(id)) {
                continue;
            }
        }
        let (code, display) = medication_of(entry, &medications)?;
        drafts.push(DraftMedication {
            path: entry.path.clone(),
            id: id.clone(),
            code,
            display,
        });
    }
    Ok(drafts)
}

/// The `RxNorm` code and display of a `MedicationRequest`'s medication:
/// its `medicationCodeableConcept`, or the `code` of the `Medication` its
/// `medicationReference` names (contained, or in the bundle).
fn medication_of(
    request: &Entry<'_>,
    medications: &HashMap<String, Entry<'_>>,
) -> Result<(String, Option<String>), CdsError> {
    let path = &request.path;
    if let Some(concept) = request.resource.get("medicationCodeableConcept") {
        return rxnorm(concept, &format!("{path}.medicationCodeableConcept"));
    }
    let Some(reference) = request.resource.get("medicationReference") else {
        return Err(CdsError::bad(
            format!("{path}.medicationCodeableConcept"),
            "missing: a MedicationRequest names its medication by medicationCodeableConcept (RxNorm) or medicationReference",
        ));
    };
    let ref_path = format!("{path}.medicationReference.reference");
    let target = string(
        object(reference, &format!("{path}.medicationReference"))?,
        "reference",
        &ref_path,
    )?;
    if let Some(local) = target.strip_prefix('#') {
        let contained = match request.resource.get("contained") {
            Some(v) => array(v, &format!("{path}.contained"))?.as_slice(),
            None => &[],
        };
        for (k, c) in contained.iter().enumerate() {
            if c.get("resourceType").and_then(Value::as_str) == Some("Medication")
                && c.get("id").and_then(Value::as_str) == Some(local)
            {
                let code = c.get("code").ok_or_else(|| {
                    CdsError::bad(format!("{path}.contained[{k}].code"), "missing")
                })?;
                return rxnorm(code, &format!("{path}.contained[{k}].code"));
            }
        }
    } else if let Some(medication) = medications.get(&target) {
        let code_path = format!("{}.code", medication.path);
        let code = medication
            .resource
            .get("code")
            .ok_or_else(|| CdsError::bad(&code_path, "missing"))?;
        return rxnorm(code, &code_path);
    }
    Err(CdsError::bad(
        ref_path,
        format!(
            "`{target}` is neither a contained Medication nor a Medication in context.draftOrders"
        ),
    ))
}

/// The `RxNorm` coding of a `CodeableConcept`.
fn rxnorm(concept: &Value, path: &str) -> Result<(String, Option<String>), CdsError> {
    let concept = object(concept, path)?;
    let coding_path = format!("{path}.coding");
    let codings = array(
        concept
            .get("coding")
            .ok_or_else(|| CdsError::bad(&coding_path, "missing"))?,
        &coding_path,
    )?;
    for (j, coding) in codings.iter().enumerate() {
        let here = format!("{coding_path}[{j}]");
        let coding = object(coding, &here)?;
        if coding.get("system").and_then(Value::as_str) != Some(RXNORM) {
            continue;
        }
        let code = string(coding, "code", &format!("{here}.code"))?;
        if code.trim().is_empty() {
            return Err(CdsError::bad(format!("{here}.code"), "must not be empty"));
        }
        let display = optional_string(coding, "display", &format!("{here}.display"))?
            .or(optional_string(concept, "text", &format!("{path}.text"))?);
        return Ok((code.trim().to_owned(), display));
    }
    Err(CdsError::bad(
        coding_path,
        format!("no RxNorm coding (system {RXNORM})"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context(draft: &Value) -> Map<String, Value> {
        match json!({"patientId": "p1", "userId": "Practitioner/1", "draftOrders": draft}) {
            Value::Object(m) => m,
            _ => unreachable!("an object literal"),
        }
    }

    fn bundle(resources: &[Value]) -> Value {
        json!({"resourceType": "Bundle", "entry": resources.iter().map(|r| json!({"resource": r})).collect::<Vec<_>>()})
    }

    fn medication_request(id: &str, code: &str) -> Value {
        json!({"resourceType": "MedicationRequest", "id": id, "status": "draft", "intent": "order",
               "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code, "display": format!("drug {code}")}]}})
    }

    #[test]
    fn selections_pick_the_orders_checked() {
        let draft = bundle(&[
            medication_request("a", "111"),
            medication_request("b", "222"),
            json!({"resourceType": "ServiceRequest", "id": "s"}),
        ]);
        let all = draft_medications(&context(&draft)).expect("reads");
        assert_eq!(all.len(), 2);
        let mut ctx = context(&draft);
        ctx.insert(
            "selections".into(),
            json!(["MedicationRequest/b", "ServiceRequest/s"]),
        );
        let picked = draft_medications(&ctx).expect("reads");
        assert_eq!(picked.len(), 1);
        assert_eq!(picked[0].code, "222");
        assert_eq!(picked[0].display.as_deref(), Some("drug 222"));
        assert_eq!(picked[0].path, "context.draftOrders.entry[1].resource");
        ctx.insert("selections".into(), json!(["MedicationRequest/zzz"]));
        let error = draft_medications(&ctx).expect_err("unknown selection");
        assert!(
            matches!(error, CdsError::BadRequest { ref path, .. } if path == "context.selections[0]")
        );
    }

    #[test]
    fn references_resolve_to_contained_and_bundled_medications() {
        let contained = json!({"resourceType": "MedicationRequest", "id": "a",
            "contained": [{"resourceType": "Medication", "id": "m", "code": {"coding": [{"system": RXNORM, "code": "333"}], "text": "drug three"}}],
            "medicationReference": {"reference": "#m"}});
        let bundled = json!({"resourceType": "MedicationRequest", "id": "b", "medicationReference": {"reference": "Medication/x"}});
        let medication = json!({"resourceType": "Medication", "id": "x", "code": {"coding": [{"system": RXNORM, "code": "444"}]}});
        let drafts =
            draft_medications(&context(&bundle(&[contained, bundled, medication]))).expect("reads");
        assert_eq!(drafts[0].code, "333");
        assert_eq!(drafts[0].display.as_deref(), Some("drug three"));
        assert_eq!(drafts[1].code, "444");
        assert_eq!(drafts[1].display, None);
        assert_eq!(drafts[1].name(), "RxNorm 444");
    }

    #[test]
    fn errors_name_the_json_path() {
        let path_of = |draft: Value| match draft_medications(&context(&draft)) {
            Err(CdsError::BadRequest { path, .. }) => path,
            other => panic!("expected a bad request, got {other:?}"),
        };
        assert_eq!(
            path_of(json!({"resourceType": "Patient"})),
            "context.draftOrders.resourceType"
        );
        assert_eq!(
            path_of(bundle(&[
                json!({"resourceType": "MedicationRequest", "id": "a"})
            ])),
            "context.draftOrders.entry[0].resource.medicationCodeableConcept"
        );
        assert_eq!(
            path_of(bundle(&[json!({"resourceType": "MedicationRequest",
                "medicationCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "1"}]}})])),
            "context.draftOrders.entry[0].resource.medicationCodeableConcept.coding"
        );
        assert_eq!(
            path_of(bundle(&[json!({"resourceType": "MedicationRequest",
                "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": 5}]}})])),
            "context.draftOrders.entry[0].resource.medicationCodeableConcept.coding[0].code"
        );
        assert_eq!(
            path_of(json!({"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]})),
            "context.draftOrders.entry[0].resource"
        );
    }

    #[test]
    fn the_request_needs_its_hook_and_patient() {
        let path_of = |body: Value| match parse(body.to_string().as_bytes(), "patient-view") {
            Err(CdsError::BadRequest { path, .. }) => path,
            other => panic!("expected a bad request, got {other:?}"),
        };
        assert_eq!(
            path_of(
                json!({"hook": "order-select", "hookInstance": "1", "context": {"patientId": "p"}})
            ),
            "hook"
        );
        assert_eq!(
            path_of(json!({"hook": "patient-view", "hookInstance": "1", "context": {}})),
            "context.patientId"
        );
        assert_eq!(
            path_of(json!({"hook": "patient-view", "context": {"patientId": "p"}})),
            "hookInstance"
        );
        assert!(matches!(
            parse(b"{not json", "patient-view"),
            Err(CdsError::BadRequest { ref path, .. }) if path == "$"
        ));
        let ok = parse(
            json!({"hook": "patient-view", "hookInstance": "1", "context": {"patientId": "p", "userId": "Practitioner/9"}})
                .to_string()
                .as_bytes(),
            "patient-view",
        )
        .expect("parses");
        assert_eq!(ok.patient_id, "p");
        assert_eq!(ok.user_id.as_deref(), Some("Practitioner/9"));
    }
}
