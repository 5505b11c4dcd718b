//! Mutations: create/update/delete of patients, practitioners and
//! organizations, `prescribe`, and `ingestFhir`. Each graph mutation is ONE
//! Cypher write query, so it is atomic: it applies whole or not at all.

use std::fmt::Write as _;
use std::sync::Arc;

use async_graphql::dynamic::{
    Field, FieldValue, InputObject, InputValue, Object, SchemaBuilder, TypeRef,
};
use async_graphql::{Name, Value};
use cypher::CypherValue;
use indexmap::IndexMap;

use super::backend::Access;
use super::compile::{quote, Compiled, Compiler, Shape};
use super::error::{resolve, GqlError};
use super::model::{self, Label, Prop};
use super::schema::{copy_from_parent, from_parent};
use super::Api;

/// Labels with create/update/delete mutations.
pub const EDITABLE: &[&str] = &["Patient", "Practitioner", "Organization"];

/// Registers the mutation types and returns the `Mutation` object.
pub fn register(mut builder: SchemaBuilder) -> (SchemaBuilder, Object) {
    let mut mutation = Object::new("Mutation").description(
        "Changes to the graph. Each mutation is one transaction: all of it applies, or none.",
    );
    builder = builder
        .register(
            Object::new("DeleteResult")
                .description("What a delete removed.")
                .field(
                    Field::new("nodesDeleted", TypeRef::named_nn(TypeRef::INT), from_parent)
                        .description("Nodes removed (0 or 1)."),
                )
                .field(
                    Field::new(
                        "relationshipsDeleted",
                        TypeRef::named_nn(TypeRef::INT),
                        from_parent,
                    )
                    .description("Relationships removed with the node."),
                ),
        )
        .register(ingest_report_type())
        .register(
            Object::new("IngestRejection")
                .description("A record the loader could not use.")
                .field(
                    Field::new("location", TypeRef::named_nn(TypeRef::STRING), from_parent)
                        .description("Where: request, bundle entry or line, JSON path."),
                )
                .field(
                    Field::new("reason", TypeRef::named_nn(TypeRef::STRING), from_parent)
                        .description("Why."),
                ),
        );
    for name in EDITABLE {
        let Some(label) = model::label(name) else {
            continue;
        };
        builder = builder.register(input_type(label));
        mutation = mutation
            .field(create_field(label))
            .field(update_field(label))
            .field(delete_field(label));
    }
    mutation = mutation.field(prescribe_field()).field(ingest_field());
    (builder, mutation)
}

fn editable_props(label: &Label) -> impl Iterator<Item = &'static Prop> {
    label.props.iter().filter(|p| p.name != "stub")
}

fn input_type(label: &Label) -> InputObject {
    let mut input = InputObject::new(format!("{}Input", label.name)).description(format!(
        "Properties of a {}; on update, a property given as null is removed and one left out is kept.",
        label.name
    ));
    for prop in editable_props(label) {
        input = input.field(
            InputValue::new(prop.name, TypeRef::named(prop.ty.scalar())).description(prop.doc),
        );
    }
    input
}

/// `{`name`: $p0, `birthDate`: date($p1)}` from an input object.
fn props_map(
    compiler: &mut Compiler<'_>,
    label: &Label,
    input: &Value,
    skip_key: bool,
) -> Result<String, GqlError> {
    let Value::Object(fields) = input else {
        return Err(GqlError::BadInput(format!(
            "`input` must be a {}Input object",
            label.name
        )));
    };
    let mut items = Vec::new();
    for (name, value) in fields {
        let prop = editable_props(label)
            .find(|p| p.name == name.as_str())
            .ok_or_else(|| {
                GqlError::BadInput(format!("{} has no property `{name}`", label.name))
            })?;
        if skip_key && prop.name == label.key {
            return Err(GqlError::BadInput(format!(
                "the key `{}` cannot be changed; create a new {} instead",
                label.key, label.name
            )));
        }
        let value = if matches!(value, Value::Null) {
            "null".to_owned()
        } else {
            compiler.typed_param(prop, value)?
        };
        items.push(format!("{}: {value}", quote(prop.name)));
    }
    Ok(format!("{{{}}}", items.join(", ")))
}

fn create_field(label: &'static Label) -> Field {
    Field::new(format!("create{}", label.name), TypeRef::named_nn(label.name), move |ctx| {
        resolve(async move {
            let api = ctx.data::<Arc<Api>>()?;
            let input = ctx.args.try_get("input")?.as_value().clone();
            let field = ctx.ctx.field();
            let mut compiler = Compiler::new(&api.limits);
            let key = match &input {
                Value::Object(fields) => fields.get(label.key).cloned(),
                _ => None,
            }
            .filter(|v| !matches!(v, Value::Null))
            .ok_or_else(|| GqlError::BadInput(format!("`input.{}` is required to create a {}", label.key, label.name)))?;
            let key_param = compiler.key_param(label, &key)?;
            let props = props_map(&mut compiler, label, &input, false)?;
            let (projection, shape) = compiler.node_projection(label, "this", &field)?;
            let cypher = format!(
                "OPTIONAL MATCH (existing:{l} {{{k}: {key_param}}}) WITH existing WHERE existing IS NULL \
                 CREATE (this:{l}) SET this = {props} RETURN {projection} AS result",
                l = quote(label.name),
                k = quote(label.key),
            );
            match api.write(&super::request_of(ctx.ctx)?, compiler.finish(cypher, shape)).await? {
                Some(v) => Ok(Some(FieldValue::owned_any(v))),
                None => Err(GqlError::Conflict(format!(
                    "{} `{}` already exists",
                    label.name,
                    value_text(&key)
                ))),
            }
        })
    })
    .description(format!("Creates a {}; its key must be new.", label.name))
    .argument(InputValue::new("input", TypeRef::named_nn(format!("{}Input", label.name))).description("The properties, key included."))
}

fn update_field(label: &'static Label) -> Field {
    Field::new(format!("update{}", label.name), TypeRef::named_nn(label.name), move |ctx| {
        resolve(async move {
            let api = ctx.data::<Arc<Api>>()?;
            let key = ctx.args.try_get(label.key)?.as_value().clone();
            let input = ctx.args.try_get("input")?.as_value().clone();
            let field = ctx.ctx.field();
            let mut compiler = Compiler::new(&api.limits);
            let key_param = compiler.key_param(label, &key)?;
            let props = props_map(&mut compiler, label, &input, true)?;
            let (projection, shape) = compiler.node_projection(label, "this", &field)?;
            let cypher = format!(
                "MATCH (this:{} {{{}: {key_param}}}) SET this += {props} RETURN {projection} AS result",
                quote(label.name),
                quote(label.key),
            );
            match api.write(&super::request_of(ctx.ctx)?, compiler.finish(cypher, shape)).await? {
                Some(v) => Ok(Some(FieldValue::owned_any(v))),
                None => Err(not_found(label, &key)),
            }
        })
    })
    .description(format!("Changes properties of a {}.", label.name))
    .argument(InputValue::new(label.key, TypeRef::named_nn(TypeRef::ID)).description("The key."))
    .argument(InputValue::new("input", TypeRef::named_nn(format!("{}Input", label.name))).description("The properties to set (null removes one)."))
}

fn delete_field(label: &'static Label) -> Field {
    Field::new(format!("delete{}", label.name), TypeRef::named_nn("DeleteResult"), move |ctx| {
        resolve(async move {
            let api = ctx.data::<Arc<Api>>()?;
            let key = ctx.args.try_get(label.key)?.as_value().clone();
            let mut compiler = Compiler::new(&api.limits);
            let key_param = compiler.key_param(label, &key)?;
            let cypher = format!(
                "MATCH (this:{} {{{}: {key_param}}}) WITH this, COUNT {{ (this)--() }} AS rels \
                 DETACH DELETE this RETURN {{nodesDeleted: 1, relationshipsDeleted: rels}} AS result",
                quote(label.name),
                quote(label.key),
            );
            match api.write(&super::request_of(ctx.ctx)?, compiler.finish(cypher, Shape::Value)).await? {
                Some(v) => Ok(Some(FieldValue::owned_any(v))),
                None => Err(not_found(label, &key)),
            }
        })
    })
    .description(format!("Deletes a {} and its relationships.", label.name))
    .argument(InputValue::new(label.key, TypeRef::named_nn(TypeRef::ID)).description("The key."))
}

fn not_found(label: &Label, key: &Value) -> GqlError {
    GqlError::NotFound {
        label: label.name.to_owned(),
        key: value_text(key),
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The references `prescribe` takes: argument, label, key, required.
const PRESCRIBE_REFS: &[(&str, &str, &str, bool)] = &[
    ("patientId", "Patient", "id", true),
    ("medicationCode", "Medication", "code", true),
    ("practitionerId", "Practitioner", "id", true),
    ("reasonCode", "Condition", "code", false),
    ("encounterId", "Encounter", "id", false),
];

fn prescribe_field() -> Field {
    let mut field = Field::new("prescribe", TypeRef::named_nn("Prescription"), |ctx| {
        resolve(async move {
            let api = ctx.data::<Arc<Api>>()?;
            let arg = |name: &str| ctx.args.get(name).map(|v| v.as_value().clone()).filter(|v| !matches!(v, Value::Null));
            let label = model::label("Prescription").ok_or_else(|| GqlError::Internal("no Prescription label".into()))?;
            let mut compiler = Compiler::new(&api.limits);
            let mut matches = Vec::new();
            let id = match arg("id") {
                Some(v) => compiler.key_param(label, &v)?,
                None => "randomUUID()".to_owned(),
            };
            let mut creates = vec![format!("(this:`Prescription` {{id: {id}")];
            let authored = match arg("authoredOn") {
                Some(v) => compiler.typed_param(label.prop("authoredOn").ok_or_else(|| GqlError::Internal("authoredOn".into()))?, &v)?,
                None => "datetime()".to_owned(),
            };
            let status = compiler.param(CypherValue::String(arg("status").map_or_else(|| "active".to_owned(), |v| value_text(&v)).into()));
            let intent = compiler.param(CypherValue::String(arg("intent").map_or_else(|| "order".to_owned(), |v| value_text(&v)).into()));
            let _ = write!(creates[0], ", authoredOn: {authored}, status: {status}, intent: {intent}}})");
            let mut given = Vec::new();
            for (i, (name, ref_label, key, required)) in PRESCRIBE_REFS.iter().enumerate() {
                let Some(value) = arg(name) else {
                    if *required {
                        return Err(GqlError::BadInput(format!("`{name}` is required")));
                    }
                    continue;
                };
                let var = format!("ref{i}");
                let param = match value {
                    Value::String(ref s) => compiler.param(CypherValue::String(s.as_str().into())),
                    other => return Err(GqlError::BadInput(format!("`{name}` must be a string, got {other}"))),
                };
                matches.push(format!("OPTIONAL MATCH ({var}:{} {{{}: {param}}})", quote(ref_label), quote(key)));
                given.push((var.clone(), *ref_label, value));
                creates.push(match *ref_label {
                    "Patient" => format!("({var})-[:HAS_PRESCRIPTION]->(this)"),
                    "Medication" => format!("(this)-[:OF_MEDICATION]->({var})"),
                    "Practitioner" => format!("(this)-[:PRESCRIBED_BY]->({var})"),
                    "Condition" => format!("(this)-[:TREATS]->({var})"),
                    _ => format!("(this)-[:DURING]->({var})"),
                });
            }
            let vars: Vec<&str> = given.iter().map(|(v, _, _)| v.as_str()).collect();
            let found: Vec<String> = vars.iter().map(|v| format!("{v} IS NOT NULL")).collect();
            let (projection, shape) = compiler.node_projection(label, "this", &ctx.ctx.field())?;
            let flags: Vec<String> = vars.iter().map(|v| format!("{v} IS NOT NULL")).collect();
            // The write happens only when every reference resolved; the
            // second part tells which one did not.
            let cypher = format!(
                "{} WITH {vars} WHERE {found} CREATE {creates} RETURN {projection} AS result",
                matches.join(" "),
                vars = vars.join(", "),
                found = found.join(" AND "),
                creates = creates.join(", "),
            );
            let compiled: Compiled = compiler.finish(cypher, shape);
            let params = compiled.params.clone();
            let request = super::request_of(ctx.ctx)?;
            if let Some(v) = api.write(&request, compiled).await? {
                return Ok(Some(FieldValue::owned_any(v)));
            }
            // Nothing was written: find the missing reference.
            let check = format!("{} RETURN [{}] AS found", matches.join(" "), flags.join(", "));
            let rows = api.run_rows(&request, check, params, Access::Read).await?;
            if let Some(CypherValue::List(found)) = rows.first().and_then(|r| r.first()) {
                for ((_, ref_label, value), ok) in given.iter().zip(found.iter()) {
                    if !matches!(ok, CypherValue::Boolean(true)) {
                        return Err(GqlError::NotFound { label: (*ref_label).to_owned(), key: value_text(value) });
                    }
                }
            }
            Err(GqlError::Internal("the prescription was not created".into()))
        })
    })
    .description("Writes a prescription: a Prescription node linked to the patient, the medication, the prescriber, and optionally the condition it treats and the encounter. Atomic; NOT_FOUND names a reference that does not resolve.");
    for (name, doc, ty) in [
        (
            "patientId",
            "The patient's id.",
            TypeRef::named_nn(TypeRef::ID),
        ),
        (
            "medicationCode",
            "The medication's RxNorm code.",
            TypeRef::named_nn(TypeRef::ID),
        ),
        (
            "practitionerId",
            "The prescriber's id.",
            TypeRef::named_nn(TypeRef::ID),
        ),
        (
            "reasonCode",
            "SNOMED CT code of the condition it treats.",
            TypeRef::named(TypeRef::ID),
        ),
        (
            "encounterId",
            "The encounter it is written in.",
            TypeRef::named(TypeRef::ID),
        ),
        (
            "id",
            "The prescription's id (default: a new UUID).",
            TypeRef::named(TypeRef::ID),
        ),
        (
            "authoredOn",
            "When it was written (default: now).",
            TypeRef::named("DateTime"),
        ),
        (
            "status",
            "Status (default active).",
            TypeRef::named(TypeRef::STRING),
        ),
        (
            "intent",
            "Intent (default order).",
            TypeRef::named(TypeRef::STRING),
        ),
    ] {
        field = field.argument(InputValue::new(name, ty).description(doc));
    }
    field
}

fn ingest_report_type() -> Object {
    let mut object = Object::new("IngestReport")
        .description("What a FHIR load did (the report of `caregraph load`).");
    for (name, doc) in [
        ("recordsRead", "Records read."),
        ("recordsLoaded", "Records loaded."),
        ("recordsRejected", "Records rejected."),
        ("nodesCreated", "Nodes created."),
        ("nodesUpdated", "Nodes matched and updated."),
        ("relationshipsCreated", "Relationships created."),
        ("relationshipsUpdated", "Relationships matched and updated."),
    ] {
        object = object
            .field(Field::new(name, TypeRef::named_nn(TypeRef::INT), from_parent).description(doc));
    }
    object
        .field(
            Field::new(
                "rejections",
                TypeRef::named_nn_list_nn("IngestRejection"),
                from_parent,
            )
            .description("Rejected records with reasons (the first ones)."),
        )
        .field(
            Field::new("report", TypeRef::named_nn("JSON"), copy_from_parent)
                .description("The full report."),
        )
}

fn ingest_field() -> Field {
    Field::new("ingestFhir", TypeRef::named_nn("IngestReport"), |ctx| {
        resolve(async move {
            let api = ctx.data::<Arc<Api>>()?;
            let request = super::request_of(ctx.ctx)?;
            if request.caller.clearance != crate::security::Clearance::Admin {
                return Err(GqlError::Forbidden("FHIR ingestion is for administrators".into()));
            }
            let bundle = ctx.args.try_get("bundle")?.as_value().clone();
            let json = bundle
                .into_json()
                .map_err(|e| GqlError::BadInput(format!("`bundle` is not JSON: {e}")))?;
            let report = api.ingest(json).await?;
            Ok(Some(FieldValue::owned_any(report_value(&report))))
        })
    })
    .description("Loads FHIR R4 (a Bundle or one resource) with the same loader as `caregraph load`; rejected records are reported, the rest loads.")
    .argument(InputValue::new("bundle", TypeRef::named_nn("JSON")).description("A FHIR Bundle (transaction, batch, collection) or a single resource."))
}

fn report_value(report: &graph_model::fhir::LoadReport) -> Value {
    let mut out = IndexMap::new();
    let count = |n: u64| Value::Number(n.into());
    out.insert(Name::new("recordsRead"), count(report.records_read));
    out.insert(Name::new("recordsLoaded"), count(report.records_loaded));
    out.insert(Name::new("recordsRejected"), count(report.records_rejected));
    out.insert(Name::new("nodesCreated"), count(report.nodes_created));
    out.insert(Name::new("nodesUpdated"), count(report.nodes_updated));
    out.insert(
        Name::new("relationshipsCreated"),
        count(report.relationships_created),
    );
    out.insert(
        Name::new("relationshipsUpdated"),
        count(report.relationships_updated),
    );
    let rejections = report
        .rejections
        .iter()
        .map(|r| {
            let mut location = r.file.clone();
            if let Some(entry) = r.entry {
                let _ = write!(location, " entry {entry}");
            }
            if let Some(line) = r.line {
                let _ = write!(location, " line {line}");
            }
            if !r.path.is_empty() {
                let _ = write!(location, " at {}", r.path);
            }
            let mut item = IndexMap::new();
            item.insert(Name::new("location"), Value::String(location));
            item.insert(Name::new("reason"), Value::String(r.reason.clone()));
            Value::Object(item)
        })
        .collect();
    out.insert(Name::new("rejections"), Value::List(rejections));
    let full = serde_json::to_value(report)
        .ok()
        .and_then(|j| Value::from_json(j).ok())
        .unwrap_or(Value::Null);
    out.insert(Name::new("report"), full);
    Value::Object(out)
}
