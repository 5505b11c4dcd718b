//! FHIR R4 resources → what they contribute to the graph (docs/fhir-mapping.md).
//!
//! Mapping is pure: it reads one resource and returns node and relationship
//! *intents* keyed by business keys and references. Resolving them against the
//! graph is [`super::apply`]'s job. Every field the mapping reads is type
//! checked, so a record is either mapped whole or rejected with a reason.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::geo::{city_key, collapse_whitespace, lookup_state, title_case};
use super::json::{parse_reference, Checked, Obj, RefTarget, Reject};
use crate::value::Value;

/// Code system URIs.
pub mod systems {
    /// `RxNorm`.
    pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
    /// SNOMED CT.
    pub const SNOMED: &str = "http://snomed.info/sct";
    /// US National Provider Identifier.
    pub const NPI: &str = "http://hl7.org/fhir/sid/us-npi";
    /// US Social Security Number.
    pub const SSN: &str = "http://hl7.org/fhir/sid/us-ssn";
    /// US Core race extension.
    pub const US_CORE_RACE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
    /// US Core ethnicity extension.
    pub const US_CORE_ETHNICITY: &str =
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity";
    /// Geolocation extension.
    pub const GEOLOCATION: &str = "http://hl7.org/fhir/StructureDefinition/geolocation";
}

/// A node the resource creates or updates, found by `label` + `key_prop`.
#[derive(Clone, Debug)]
pub struct NodeIntent {
    /// Its label.
    pub label: &'static str,
    /// The key property.
    pub key_prop: &'static str,
    /// The key value.
    pub key: Value,
    /// Properties the resource carries.
    pub props: Vec<(&'static str, Value)>,
    /// A concept node (Medication, Condition, Substance): `display` keeps the
    /// longest text seen.
    pub concept: bool,
    /// External identifiers (`system|value`) the node can be referenced by.
    pub identifiers: Vec<Arc<str>>,
    /// A resource id that names this concept (Medication resources).
    pub resource_alias: Option<Arc<str>>,
}

impl NodeIntent {
    fn keyed(label: &'static str, key_prop: &'static str, key: impl Into<Value>) -> NodeIntent {
        NodeIntent {
            label,
            key_prop,
            key: key.into(),
            props: Vec::new(),
            concept: false,
            identifiers: Vec::new(),
            resource_alias: None,
        }
    }

    fn prop(&mut self, name: &'static str, value: Option<impl Into<Value>>) {
        if let Some(v) = value {
            let v = v.into();
            if !v.is_null() {
                self.props.push((name, v));
            }
        }
    }
}

/// One end of a relationship intent.
#[derive(Clone, Debug, PartialEq)]
pub enum Endpoint {
    /// The n-th node intent of the same resource.
    Own(usize),
    /// A node by business key.
    Key {
        /// Label.
        label: &'static str,
        /// Key property.
        key_prop: &'static str,
        /// Key value.
        key: Value,
    },
    /// A node by FHIR reference (a stub when it never resolves).
    Ref {
        /// Label of the referenced node.
        label: &'static str,
        /// The target.
        target: RefTarget,
    },
    /// The Condition concept of the Condition resource with this id
    /// (`reasonReference`); dropped when it never resolves.
    ConditionOf(Arc<str>),
    /// The Medication concept of the Medication resource with this id
    /// (`medicationReference`); dropped when it never resolves.
    MedicationResource(Arc<str>),
}

/// How a relationship is identified for upserts.
#[derive(Clone, Debug, PartialEq)]
pub enum RelIdentity {
    /// By (type, start, end).
    Endpoints,
    /// By its `id` property.
    Id(Arc<str>),
    /// By (type, start, end) and the value of one of its properties.
    EndpointsAnd(&'static str),
}

/// A relationship the resource creates or updates.
#[derive(Clone, Debug)]
pub struct RelIntent {
    /// Its type.
    pub rel_type: &'static str,
    /// Start node.
    pub from: Endpoint,
    /// End node.
    pub to: Endpoint,
    /// How it is identified.
    pub identity: RelIdentity,
    /// Its properties.
    pub props: Vec<(&'static str, Value)>,
}

/// An `ExplanationOfBenefit`'s payer, used when its Claim names none.
#[derive(Clone, Debug)]
pub struct EobPayer {
    /// The Claim's id.
    pub claim_id: Arc<str>,
    /// The insurer's display text.
    pub payer: Arc<str>,
}

/// What one resource contributes.
#[derive(Clone, Debug, Default)]
pub struct Mapped {
    /// The resource type.
    pub resource_type: String,
    /// The resource id.
    pub id: Arc<str>,
    /// Nodes to upsert, in order.
    pub nodes: Vec<NodeIntent>,
    /// Relationships to upsert.
    pub rels: Vec<RelIntent>,
    /// The payer of an `ExplanationOfBenefit`.
    pub eob_payer: Option<EobPayer>,
    /// Parts of the resource that could not become graph data (counted in
    /// the report), e.g. "Condition without a SNOMED CT code".
    pub skipped: Vec<&'static str>,
}

/// Context of a record: the resource's id when the Bundle entry supplies it.
pub struct MapContext<'a> {
    /// `fullUrl` of the Bundle entry.
    pub full_url: Option<&'a str>,
}

/// Maps one resource (a JSON object). Types the graph does not model map
/// to nothing (they are still kept in the raw archive).
pub fn map_resource(resource: &Map<String, Json>, ctx: &MapContext<'_>) -> Checked<Mapped> {
    let resource_type: &str = match resource.get("resourceType") {
        Some(Json::String(t)) => t,
        Some(other) => {
            return Err(Reject::at(
                "resourceType",
                format!("expected a string, found {other}"),
            ))
        }
        None => return Err(Reject::at("resourceType", "missing")),
    };
    if !super::resource_types::is_resource_type(resource_type) {
        return Err(Reject::at(
            "resourceType",
            format!("`{resource_type}` is not a FHIR R4 resource type"),
        ));
    }
    let obj = Obj::root(resource, resource_type);
    if resource.get("id").and_then(Json::as_str) == Some("") {
        return Err(Reject::at(format!("{resource_type}.id"), "empty"));
    }
    let id: Arc<str> = match obj.str("id")? {
        Some(id) => Arc::from(id),
        None => match ctx.full_url.and_then(|u| u.strip_prefix("urn:uuid:")) {
            Some(id) if !id.is_empty() => Arc::from(id),
            _ => return Err(Reject::at(format!("{resource_type}.id"), "missing")),
        },
    };
    let mut m = Mapped {
        resource_type: resource_type.to_owned(),
        id: id.clone(),
        ..Mapped::default()
    };
    match resource_type {
        "Patient" => map_patient(obj, &id, &mut m)?,
        "Practitioner" => map_practitioner(obj, &id, &mut m)?,
        "PractitionerRole" => map_practitioner_role(obj, &mut m)?,
        "Organization" => map_organization(obj, &id, &mut m)?,
        "Location" => map_location(obj, &id, &mut m)?,
        "Medication" => map_medication(obj, &id, &mut m)?,
        "MedicationRequest" => map_medication_request(obj, &id, &mut m)?,
        "Condition" => map_condition(obj, &id, &mut m)?,
        "AllergyIntolerance" => map_allergy(obj, &id, &mut m)?,
        "Encounter" => map_encounter(obj, &id, &mut m)?,
        "Claim" => map_claim(obj, &id, &mut m)?,
        "ExplanationOfBenefit" => map_eob(obj, &mut m)?,
        _ => {}
    }
    Ok(m)
}

// ----- shared element readers -----

/// The first coding of a `CodeableConcept` whose system is `system`:
/// (code, display).
fn coding_with_system(
    concept: &Obj<'_>,
    system: &str,
) -> Checked<Option<(String, Option<String>)>> {
    for coding in concept.objs("coding")? {
        let c = coding;
        if c.str("system")? == Some(system) {
            if let Some(code) = c.str("code")? {
                return Ok(Some((
                    code.to_owned(),
                    c.str("display")?.map(str::to_owned),
                )));
            }
        }
    }
    Ok(None)
}

/// The first coding of a `CodeableConcept`: (code, display, system).
fn first_coding(concept: &Obj<'_>) -> Checked<Option<(Option<String>, Option<String>)>> {
    Ok(match concept.first("coding")? {
        Some(c) => Some((
            c.str("code")?.map(str::to_owned),
            c.str("display")?.map(str::to_owned),
        )),
        None => None,
    })
}

fn concept_node(
    label: &'static str,
    system: &str,
    code: String,
    display: Option<String>,
) -> NodeIntent {
    let mut n = NodeIntent::keyed(label, "code", code);
    n.concept = true;
    n.prop("display", display);
    n.prop("system", Some(system));
    n
}

/// The display name of a `HumanName` list, as "Given Family".
fn person_name(obj: Obj<'_>) -> Checked<(Option<String>, Option<String>, Option<String>)> {
    let names = obj.objs("name")?;
    let mut chosen = None;
    for n in &names {
        if n.str("use")? == Some("official") {
            chosen = Some(n);
            break;
        }
    }
    let Some(name) = chosen.or(names.first()) else {
        return Ok((None, None, None));
    };
    let given = name.strs("given")?.join(" ");
    let given = (!given.is_empty()).then_some(given);
    let family = name.str("family")?.map(str::to_owned);
    let full = match (&given, &family) {
        (Some(g), Some(f)) => Some(format!("{g} {f}")),
        (Some(g), None) => Some(g.clone()),
        (None, Some(f)) => Some(f.clone()),
        (None, None) => None,
    };
    Ok((full, given, family))
}

/// `system|value` of every identifier.
fn identifiers(obj: Obj<'_>) -> Checked<Vec<Arc<str>>> {
    let mut out = Vec::new();
    for ident in obj.objs("identifier")? {
        let i = ident;
        if let (Some(system), Some(value)) = (i.str("system")?, i.str("value")?) {
            out.push(Arc::from(format!("{system}|{value}")));
        }
    }
    Ok(out)
}

fn identifier_value(obj: Obj<'_>, system: &str) -> Checked<Option<String>> {
    for ident in obj.objs("identifier")? {
        let i = ident;
        if i.str("system")? == Some(system) {
            return Ok(i.str("value")?.map(str::to_owned));
        }
    }
    Ok(None)
}

fn identifier_with_type(obj: Obj<'_>, type_code: &str) -> Checked<Option<String>> {
    for ident in obj.objs("identifier")? {
        let i = ident;
        if let Some(t) = i.obj("type")? {
            for coding in t.objs("coding")? {
                if coding.str("code")? == Some(type_code) {
                    return Ok(i.str("value")?.map(str::to_owned));
                }
            }
        }
    }
    Ok(None)
}

/// A reference field resolved to an endpoint of `default_label` (or of the
/// type the reference names, when that is one of `allowed`).
fn reference_endpoint(field: Option<Obj<'_>>, label: &'static str) -> Checked<Option<Endpoint>> {
    reference_endpoint_typed(field, label, label)
}

fn id_of_reference(field: Option<Obj<'_>>) -> Checked<Option<Arc<str>>> {
    let Some(field) = field else { return Ok(None) };
    Ok(match parse_reference(&field)? {
        Some(r) => match r.target {
            RefTarget::Id(id) => Some(id),
            RefTarget::Identifier(_) => None,
        },
        None => None,
    })
}

fn rel(rel_type: &'static str, from: Endpoint, to: Endpoint) -> RelIntent {
    RelIntent {
        rel_type,
        from,
        to,
        identity: RelIdentity::Endpoints,
        props: Vec::new(),
    }
}

fn push_prop(
    props: &mut Vec<(&'static str, Value)>,
    name: &'static str,
    value: Option<impl Into<Value>>,
) {
    if let Some(v) = value {
        let v = v.into();
        if !v.is_null() {
            props.push((name, v));
        }
    }
}

/// Geography of the first address: City/State/Country nodes and
/// `rel_type` from `subject`. Returns (postalCode, latitude, longitude).
fn map_address(
    address: Option<Obj<'_>>,
    subject: Endpoint,
    rel_type: &'static str,
    m: &mut Mapped,
) -> Checked<(Option<String>, Option<f64>, Option<f64>)> {
    let Some(address) = address else {
        return Ok((None, None, None));
    };
    let a = address;
    let postal = a.str("postalCode")?.map(str::to_owned);
    let mut lat = None;
    let mut lon = None;
    for ext in a.objs("extension")? {
        if ext.str("url")? == Some(systems::GEOLOCATION) {
            for sub in ext.objs("extension")? {
                let s = sub;
                match s.str("url")? {
                    Some("latitude") => lat = s.f64("valueDecimal")?,
                    Some("longitude") => lon = s.f64("valueDecimal")?,
                    _ => {}
                }
            }
        }
    }
    let city = a
        .str("city")?
        .map(collapse_whitespace)
        .filter(|c| !c.is_empty());
    let state = a.str("state")?.and_then(lookup_state);
    let country = a
        .str("country")?
        .map(collapse_whitespace)
        .filter(|c| !c.is_empty());
    let country = country.unwrap_or_else(|| "US".to_owned()).to_uppercase();
    if let (Some(city), Some((state_code, state_name))) = (city, state) {
        let city_index = m.nodes.len();
        let mut city_node = NodeIntent::keyed("City", "id", city_key(&country, state_code, &city));
        city_node.prop("name", Some(title_case(&city)));
        city_node.prop("state", Some(state_code));
        m.nodes.push(city_node);
        let state_index = m.nodes.len();
        let mut state_node = NodeIntent::keyed("State", "code", state_code);
        state_node.prop("name", Some(state_name));
        m.nodes.push(state_node);
        let country_index = m.nodes.len();
        m.nodes.push(NodeIntent::keyed("Country", "code", country));
        m.rels
            .push(rel(rel_type, subject, Endpoint::Own(city_index)));
        m.rels.push(rel(
            "IN_STATE",
            Endpoint::Own(city_index),
            Endpoint::Own(state_index),
        ));
        m.rels.push(rel(
            "IN_COUNTRY",
            Endpoint::Own(state_index),
            Endpoint::Own(country_index),
        ));
    }
    Ok((postal, lat, lon))
}

fn extension_text(obj: Obj<'_>, url: &str) -> Checked<Option<String>> {
    for ext in obj.objs("extension")? {
        if ext.str("url")? == Some(url) {
            for sub in ext.objs("extension")? {
                if sub.str("url")? == Some("text") {
                    return Ok(sub.str("valueString")?.map(str::to_owned));
                }
            }
        }
    }
    Ok(None)
}

// ----- one function per resource type -----

fn map_patient(obj: Obj<'_>, id: &Arc<str>, m: &mut Mapped) -> Checked<()> {
    let mut n = NodeIntent::keyed("Patient", "id", id.clone());
    let (name, given, family) = person_name(obj)?;
    n.prop("name", name);
    n.prop("given", given);
    n.prop("family", family);
    n.prop("gender", obj.str("gender")?);
    n.prop("birthDate", obj.date("birthDate")?);
    n.prop("deathDate", obj.datetime("deceasedDateTime")?);
    if let Some(ms) = obj.obj("maritalStatus")? {
        n.prop(
            "maritalStatus",
            first_coding(&ms)?.and_then(|(code, _)| code),
        );
    }
    n.prop("race", extension_text(obj, systems::US_CORE_RACE)?);
    n.prop(
        "ethnicity",
        extension_text(obj, systems::US_CORE_ETHNICITY)?,
    );
    n.prop("mrn", identifier_with_type(obj, "MR")?);
    n.prop("ssn", identifier_value(obj, systems::SSN)?);
    m.nodes.push(n);
    let (postal, lat, lon) = map_address(obj.first("address")?, Endpoint::Own(0), "LIVES_IN", m)?;
    let n = &mut m.nodes[0];
    n.prop("postalCode", postal);
    n.prop("latitude", lat);
    n.prop("longitude", lon);
    for gp in obj.objs("generalPractitioner")? {
        if let Some(to) = reference_endpoint(Some(gp), "Practitioner")? {
            m.rels.push(rel("HAS_GP", Endpoint::Own(0), to));
        }
    }
    if let Some(to) = reference_endpoint(obj.obj("managingOrganization")?, "Organization")? {
        m.rels.push(rel("REGISTERED_AT", Endpoint::Own(0), to));
    }
    Ok(())
}

fn map_practitioner(obj: Obj<'_>, id: &Arc<str>, m: &mut Mapped) -> Checked<()> {
    let mut n = NodeIntent::keyed("Practitioner", "id", id.clone());
    n.prop("npi", identifier_value(obj, systems::NPI)?);
    n.prop("name", person_name(obj)?.0);
    n.prop("gender", obj.str("gender")?);
    n.identifiers = identifiers(obj)?;
    m.nodes.push(n);
    map_address(obj.first("address")?, Endpoint::Own(0), "LOCATED_IN", m)?;
    Ok(())
}

fn map_practitioner_role(obj: Obj<'_>, m: &mut Mapped) -> Checked<()> {
    let practitioner = reference_endpoint(obj.obj("practitioner")?, "Practitioner")?;
    let organization = reference_endpoint(obj.obj("organization")?, "Organization")?;
    let (Some(from), Some(to)) = (practitioner, organization) else {
        m.skipped
            .push("PractitionerRole without practitioner and organization");
        return Ok(());
    };
    let mut r = rel("WORKS_AT", from, to);
    r.identity = RelIdentity::EndpointsAnd("roleCode");
    if let Some(code) = obj.first("code")? {
        if let Some((code, display)) = first_coding(&code)? {
            push_prop(&mut r.props, "roleCode", code);
            push_prop(&mut r.props, "role", display);
        }
    }
    if let Some(specialty) = obj.first("specialty")? {
        if let Some((code, display)) = first_coding(&specialty)? {
            push_prop(&mut r.props, "specialtyCode", code);
            push_prop(&mut r.props, "specialty", display);
        }
    }
    m.rels.push(r);
    Ok(())
}

fn map_organization(obj: Obj<'_>, id: &Arc<str>, m: &mut Mapped) -> Checked<()> {
    let mut n = NodeIntent::keyed("Organization", "id", id.clone());
    n.prop("name", obj.str("name")?);
    if let Some(t) = obj.first("type")? {
        n.prop("type", first_coding(&t)?.and_then(|(code, _)| code));
    }
    n.identifiers = identifiers(obj)?;
    m.nodes.push(n);
    map_address(obj.first("address")?, Endpoint::Own(0), "LOCATED_IN", m)?;
    Ok(())
}

fn map_location(obj: Obj<'_>, id: &Arc<str>, m: &mut Mapped) -> Checked<()> {
    let mut n = NodeIntent::keyed("Location", "id", id.clone());
    n.prop("name", obj.str("name")?);
    if let Some(position) = obj.obj("position")? {
        n.prop("latitude", position.f64("latitude")?);
        n.prop("longitude", position.f64("longitude")?);
    }
    n.identifiers = identifiers(obj)?;
    m.nodes.push(n);
    // Location.address is a single element, not a list.
    map_address(obj.obj("address")?, Endpoint::Own(0), "LOCATED_IN", m)?;
    if let Some(to) = reference_endpoint(obj.obj("managingOrganization")?, "Organization")? {
        m.rels.push(rel("PART_OF", Endpoint::Own(0), to));
    }
    Ok(())
}

fn map_medication(obj: Obj<'_>, id: &Arc<str>, m: &mut Mapped) -> Checked<()> {
    let Some(code) = obj.obj("code")? else {
        m.skipped.push("Medication without code");
        return Ok(());
    };
    match coding_with_system(&code, systems::RXNORM)? {
        Some((code, display)) => {
            let mut n = concept_node("Medication", systems::RXNORM, code, display);
            n.resource_alias = Some(id.clone());
            m.nodes.push(n);
        }
        None => m.skipped.push("Medication without an RxNorm code"),
    }
    Ok(())
}

fn map_medication_request(obj: Obj<'_>, id: &Arc<str>, m: &mut Mapped) -> Checked<()> {
    let mut n = NodeIntent::keyed("Prescription", "id", id.clone());
    n.prop("authoredOn", obj.datetime("authoredOn")?);
    n.prop("status", obj.str("status")?);
    n.prop("intent", obj.str("intent")?);
    m.nodes.push(n);
    if let Some(subject) = reference_endpoint(obj.obj("subject")?, "Patient")? {
        m.rels
            .push(rel("HAS_PRESCRIPTION", subject, Endpoint::Own(0)));
    }
    if let Some(concept) = obj.obj("medicationCodeableConcept")? {
        match coding_with_system(&concept, systems::RXNORM)? {
            Some((code, display)) => {
                let idx = m.nodes.len();
                m.nodes
                    .push(concept_node("Medication", systems::RXNORM, code, display));
                m.rels
                    .push(rel("OF_MEDICATION", Endpoint::Own(0), Endpoint::Own(idx)));
            }
            None => m.skipped.push("MedicationRequest without an RxNorm code"),
        }
    } else if let Some(med_id) = id_of_reference(obj.obj("medicationReference")?)? {
        m.rels.push(rel(
            "OF_MEDICATION",
            Endpoint::Own(0),
            Endpoint::MedicationResource(med_id),
        ));
    }
    if let Some(to) = reference_endpoint(obj.obj("requester")?, "Practitioner")? {
        m.rels.push(rel("PRESCRIBED_BY", Endpoint::Own(0), to));
    }
    if let Some(to) = reference_endpoint(obj.obj("encounter")?, "Encounter")? {
        m.rels.push(rel("DURING", Endpoint::Own(0), to));
    }
    for reason in obj.objs("reasonReference")? {
        if let Some(cond_id) = id_of_reference(Some(reason))? {
            m.rels.push(rel(
                "TREATS",
                Endpoint::Own(0),
                Endpoint::ConditionOf(cond_id),
            ));
        }
    }
    for reason in obj.objs("reasonCode")? {
        if let Some((code, display)) = coding_with_system(&reason, systems::SNOMED)? {
            let idx = m.nodes.len();
            m.nodes
                .push(concept_node("Condition", systems::SNOMED, code, display));
            m.rels
                .push(rel("TREATS", Endpoint::Own(0), Endpoint::Own(idx)));
        }
    }
    Ok(())
}

fn map_condition(obj: Obj<'_>, id: &Arc<str>, m: &mut Mapped) -> Checked<()> {
    let Some(code) = obj.obj("code")? else {
        m.skipped.push("Condition without code");
        return Ok(());
    };
    let Some((code, display)) = coding_with_system(&code, systems::SNOMED)? else {
        m.skipped.push("Condition without a SNOMED CT code");
        return Ok(());
    };
    m.nodes
        .push(concept_node("Condition", systems::SNOMED, code, display));
    if let Some(subject) = reference_endpoint(obj.obj("subject")?, "Patient")? {
        let mut r = rel("HAS_CONDITION", subject, Endpoint::Own(0));
        r.identity = RelIdentity::Id(id.clone());
        push_prop(&mut r.props, "id", Some(id.clone()));
        push_prop(&mut r.props, "onset", obj.datetime("onsetDateTime")?);
        push_prop(
            &mut r.props,
            "abatement",
            obj.datetime("abatementDateTime")?,
        );
        if let Some(status) = obj.obj("clinicalStatus")? {
            push_prop(
                &mut r.props,
                "status",
                first_coding(&status)?.and_then(|(c, _)| c),
            );
        }
        m.rels.push(r);
    }
    if let Some(encounter) = reference_endpoint(obj.obj("encounter")?, "Encounter")? {
        m.rels.push(rel("DIAGNOSED", encounter, Endpoint::Own(0)));
    }
    Ok(())
}

fn map_allergy(obj: Obj<'_>, id: &Arc<str>, m: &mut Mapped) -> Checked<()> {
    let Some(code) = obj.obj("code")? else {
        m.skipped.push("AllergyIntolerance without code");
        return Ok(());
    };
    let mut substance = None;
    for coding in code.objs("coding")? {
        let c = coding;
        let system = c.str("system")?;
        if system == Some(systems::RXNORM) || system == Some(systems::SNOMED) {
            if let (Some(system), Some(code)) = (system, c.str("code")?) {
                substance = Some(concept_node(
                    "Substance",
                    system,
                    code.to_owned(),
                    c.str("display")?.map(str::to_owned),
                ));
                break;
            }
        }
    }
    let Some(substance) = substance else {
        m.skipped
            .push("AllergyIntolerance without an RxNorm or SNOMED CT code");
        return Ok(());
    };
    m.nodes.push(substance);
    if let Some(patient) = reference_endpoint(obj.obj("patient")?, "Patient")? {
        let mut r = rel("ALLERGIC_TO", patient, Endpoint::Own(0));
        r.identity = RelIdentity::Id(id.clone());
        push_prop(&mut r.props, "id", Some(id.clone()));
        push_prop(&mut r.props, "criticality", obj.str("criticality")?);
        push_prop(
            &mut r.props,
            "category",
            obj.strs("category")?.first().copied(),
        );
        push_prop(&mut r.props, "recorded", obj.datetime("recordedDate")?);
        m.rels.push(r);
    }
    Ok(())
}

fn map_encounter(obj: Obj<'_>, id: &Arc<str>, m: &mut Mapped) -> Checked<()> {
    let mut n = NodeIntent::keyed("Encounter", "id", id.clone());
    if let Some(class) = obj.obj("class")? {
        n.prop("class", class.str("code")?);
    }
    if let Some(t) = obj.first("type")? {
        if let Some((code, display)) = first_coding(&t)? {
            n.prop("typeCode", code);
            n.prop("type", display);
        }
    }
    if let Some(period) = obj.obj("period")? {
        n.prop("start", period.datetime("start")?);
        n.prop("end", period.datetime("end")?);
    }
    m.nodes.push(n);
    if let Some(subject) = reference_endpoint(obj.obj("subject")?, "Patient")? {
        m.rels.push(rel("HAD_ENCOUNTER", subject, Endpoint::Own(0)));
    }
    for participant in obj.objs("participant")? {
        if let Some(to) = reference_endpoint(participant.obj("individual")?, "Practitioner")? {
            m.rels.push(rel("ATTENDED_BY", Endpoint::Own(0), to));
        }
    }
    if let Some(to) = reference_endpoint(obj.obj("serviceProvider")?, "Organization")? {
        m.rels.push(rel("AT_ORGANIZATION", Endpoint::Own(0), to));
    }
    for location in obj.objs("location")? {
        if let Some(to) = reference_endpoint(location.obj("location")?, "Location")? {
            m.rels.push(rel("AT_LOCATION", Endpoint::Own(0), to));
        }
    }
    Ok(())
}

fn map_claim(obj: Obj<'_>, id: &Arc<str>, m: &mut Mapped) -> Checked<()> {
    let mut n = NodeIntent::keyed("Claim", "id", id.clone());
    if let Some(t) = obj.obj("type")? {
        n.prop("type", first_coding(&t)?.and_then(|(c, _)| c));
    }
    n.prop("status", obj.str("status")?);
    n.prop("created", obj.datetime("created")?);
    if let Some(period) = obj.obj("billablePeriod")? {
        n.prop("billableStart", period.datetime("start")?);
        n.prop("billableEnd", period.datetime("end")?);
    }
    if let Some(total) = obj.obj("total")? {
        n.prop("total", total.f64("value")?);
        n.prop("currency", total.str("currency")?);
    }
    m.nodes.push(n);
    if let Some(patient) = reference_endpoint(obj.obj("patient")?, "Patient")? {
        m.rels.push(rel("HAS_CLAIM", patient, Endpoint::Own(0)));
    }
    if let Some(to) = reference_endpoint(obj.obj("provider")?, "Organization")? {
        m.rels.push(rel("BILLED_BY", Endpoint::Own(0), to));
    }
    let insurance = obj.objs("insurance")?;
    let mut focal = None;
    for ins in &insurance {
        if ins.bool("focal")? == Some(true) {
            focal = Some(ins);
            break;
        }
    }
    if let Some(ins) = focal.or(insurance.first()) {
        if let Some(coverage) = ins.obj("coverage")? {
            if let Some(payer) = coverage.str("display")? {
                let idx = m.nodes.len();
                m.nodes.push(NodeIntent::keyed("Payer", "name", payer));
                m.rels
                    .push(rel("PAID_BY", Endpoint::Own(0), Endpoint::Own(idx)));
            }
        }
    }
    if let Some(to) = reference_endpoint_typed(
        obj.obj("prescription")?,
        "MedicationRequest",
        "Prescription",
    )? {
        m.rels.push(rel("FOR_PRESCRIPTION", Endpoint::Own(0), to));
    }
    for item in obj.objs("item")? {
        let it = item;
        for encounter in it.objs("encounter")? {
            if let Some(to) = reference_endpoint(Some(encounter), "Encounter")? {
                m.rels.push(rel("FOR_ENCOUNTER", Endpoint::Own(0), to));
            }
        }
        if let Some(product) = it.obj("productOrService")? {
            if let Some((code, display)) = coding_with_system(&product, systems::RXNORM)? {
                let idx = m.nodes.len();
                m.nodes
                    .push(concept_node("Medication", systems::RXNORM, code, display));
                let mut r = rel("CLAIMS", Endpoint::Own(0), Endpoint::Own(idx));
                r.identity = RelIdentity::EndpointsAnd("sequence");
                push_prop(&mut r.props, "sequence", it.i64("sequence")?);
                m.rels.push(r);
            }
        }
    }
    Ok(())
}

/// A reference to a resource of `fhir_type`, as an endpoint with `label`
/// (`MedicationRequest` → Prescription). A reference that names another type
/// (a requester that is an Organization) is not this relationship: `None`.
fn reference_endpoint_typed(
    field: Option<Obj<'_>>,
    fhir_type: &str,
    label: &'static str,
) -> Checked<Option<Endpoint>> {
    let Some(field) = field else { return Ok(None) };
    let Some(reference) = parse_reference(&field)? else {
        return Ok(None);
    };
    if let Some(t) = reference.resource_type {
        if t != fhir_type {
            return Ok(None);
        }
    }
    Ok(Some(Endpoint::Ref {
        label,
        target: reference.target,
    }))
}

fn map_eob(obj: Obj<'_>, m: &mut Mapped) -> Checked<()> {
    let claim_id = id_of_reference(obj.obj("claim")?)?;
    let payer = match obj.obj("insurer")? {
        Some(insurer) => insurer.str("display")?.map(Arc::from),
        None => None,
    };
    if let (Some(claim_id), Some(payer)) = (claim_id, payer) {
        m.eob_payer = Some(EobPayer { claim_id, payer });
    }
    Ok(())
}
