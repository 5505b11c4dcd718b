//! Subscriptions: new prescriptions and claims, whatever door they came in
//! by (GraphQL, Cypher, FHIR ingestion), filterable by patient or
//! organization. The database's commit feed reports created nodes; those
//! that are prescriptions or claims become events on a broadcast channel,
//! and each subscriber's selection is compiled to Cypher per event.

use std::sync::Arc;

use async_graphql::dynamic::{
    Field, FieldValue, InputValue, Object, SchemaBuilder, Subscription, SubscriptionField,
    SubscriptionFieldFuture, TypeRef,
};
use async_graphql::ErrorExtensions as _;
use async_graphql::{Name, Value};
use futures_util::StreamExt;
use graph_model::{CommitEvent, Direction, GraphState, NodeId};
use indexmap::IndexMap;
use tokio::sync::broadcast;

use super::compile::{response_key, Compiled, Compiler};
use super::model;
use super::schema::from_parent;
use super::Api;
use crate::security::RequestAccess;

/// A new prescription or claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphEvent {
    /// `Prescription` or `Claim`.
    pub label: &'static str,
    /// Its id.
    pub id: String,
    /// The patient's id, when linked.
    pub patient_id: Option<String>,
    /// Organizations involved: the claim's provider; the prescription's
    /// encounter organization and its prescriber's organizations.
    pub organization_ids: Vec<String>,
}

/// Turns commits into events on `sender`.
pub fn events_from_commit(event: &CommitEvent, sender: &broadcast::Sender<GraphEvent>) {
    if sender.receiver_count() == 0 {
        return;
    }
    let state = &event.state;
    let (Some(prescription), Some(claim)) =
        (state.label_id("Prescription"), state.label_id("Claim"))
    else {
        return;
    };
    for &node in &event.created_nodes {
        let Some(record) = state.node(node) else {
            continue;
        };
        let label = if record.has_label(prescription) {
            "Prescription"
        } else if record.has_label(claim) {
            "Claim"
        } else {
            continue;
        };
        let Some(id) = text(state, node, "id") else {
            continue;
        };
        let mut organization_ids = Vec::new();
        let patient = if label == "Prescription" {
            for encounter in linked(state, node, "DURING", Direction::Outgoing) {
                organization_ids.extend(linked_ids(
                    state,
                    encounter,
                    "AT_ORGANIZATION",
                    Direction::Outgoing,
                ));
            }
            for practitioner in linked(state, node, "PRESCRIBED_BY", Direction::Outgoing) {
                organization_ids.extend(linked_ids(
                    state,
                    practitioner,
                    "WORKS_AT",
                    Direction::Outgoing,
                ));
            }
            linked(state, node, "HAS_PRESCRIPTION", Direction::Incoming).next()
        } else {
            organization_ids.extend(linked_ids(state, node, "BILLED_BY", Direction::Outgoing));
            linked(state, node, "HAS_CLAIM", Direction::Incoming).next()
        };
        organization_ids.sort();
        organization_ids.dedup();
        // No receivers is not an error: nobody is listening right now.
        let _ = sender.send(GraphEvent {
            label,
            id,
            patient_id: patient
                .and_then(|p| text(state, p, "id").or_else(|| text(state, p, "ref"))),
            organization_ids,
        });
    }
}

fn text(state: &GraphState, node: NodeId, key: &str) -> Option<String> {
    match state.node_property(node, key) {
        Some(graph_model::Value::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

fn linked<'a>(
    state: &'a GraphState,
    node: NodeId,
    rel_type: &str,
    direction: Direction,
) -> impl Iterator<Item = NodeId> + 'a {
    let rel_type = state.rel_type_id(rel_type);
    rel_type
        .into_iter()
        .flat_map(move |t| state.neighbors(node, direction, Some(t)).map(|n| n.other))
}

fn linked_ids<'a>(
    state: &'a GraphState,
    node: NodeId,
    rel_type: &str,
    direction: Direction,
) -> impl Iterator<Item = String> + 'a {
    linked(state, node, rel_type, direction).filter_map(move |n| text(state, n, "id"))
}

/// Registers the event types and returns the `Subscription` object.
pub fn register(mut builder: SchemaBuilder) -> (SchemaBuilder, Subscription) {
    let mut subscription = Subscription::new("Subscription")
        .description("Events, over websocket (graphql-transport-ws).");
    for (label, field_name, node_field, doc) in [
        (
            "Prescription",
            "prescriptionCreated",
            "prescription",
            "A prescription was created (by GraphQL, Cypher or FHIR ingestion).",
        ),
        (
            "Claim",
            "claimCreated",
            "claim",
            "A claim was created (by GraphQL, Cypher or FHIR ingestion).",
        ),
    ] {
        let type_name = format!("{label}Event");
        builder = builder.register(
            Object::new(&type_name)
                .description(doc)
                .field(
                    Field::new("id", TypeRef::named_nn(TypeRef::ID), from_parent)
                        .description("The new node's id."),
                )
                .field(
                    Field::new("patientId", TypeRef::named(TypeRef::ID), from_parent)
                        .description("The patient's id."),
                )
                .field(
                    Field::new(
                        "organizationIds",
                        TypeRef::named_nn_list_nn(TypeRef::ID),
                        from_parent,
                    )
                    .description("Organizations involved."),
                )
                .field(
                    Field::new(node_field, TypeRef::named(label), from_parent)
                        .description("The node, as it was when the event was read."),
                ),
        );
        subscription = subscription.field(
            SubscriptionField::new(field_name, TypeRef::named_nn(&type_name), move |ctx| {
                SubscriptionFieldFuture::new(async move {
                    let api = ctx.data::<Arc<Api>>()?.clone();
                    let request = super::request_of(ctx.ctx).map_err(|e| e.extend())?;
                    let arg = |name: &str| match ctx.args.get(name).map(|v| v.as_value().clone()) {
                        Some(Value::String(s)) => Some(s),
                        _ => None,
                    };
                    let patient = arg("patientId");
                    let organization = arg("organizationId");
                    // The node's selection, compiled once per event.
                    let field = ctx.ctx.field();
                    let node_selection: Option<(String, Compiled)> = {
                        let label = model::label(label).ok_or_else(|| async_graphql::Error::new(format!("no label {label}")))?;
                        let mut found = None;
                        for child in field.selection_set() {
                            if child.name() == node_field {
                                let mut compiler = Compiler::new(&api.limits);
                                let (projection, shape) = compiler.node_projection(label, "this", &child).map_err(|e| e.extend())?;
                                let cypher = format!(
                                    "MATCH (this:`{}` {{id: $eventId}}) RETURN {projection} AS result",
                                    label.name
                                );
                                found = Some((response_key(&child), compiler.finish(cypher, shape)));
                            }
                        }
                        found
                    };
                    let receiver = api.events.subscribe();
                    let stream = tokio_stream_of(receiver).filter_map(move |event| {
                        let api = api.clone();
                        let patient = patient.clone();
                        let organization = organization.clone();
                        let node_selection = node_selection.clone();
                        let request = request.clone();
                        async move {
                            // Events of patients the caller does not see do not exist for them.
                            let seen = match (&event.patient_id, api.backend.database()) {
                                (Some(p), Some(db)) => request.sees_patient(&db.snapshot(), p),
                                (None, _) => true,
                                (Some(_), None) => false,
                            };
                            let shown_patient = event.patient_id.as_deref().map(|p| request.shown_patient_id(p));
                            if !seen
                                || event.label != label
                                || patient.as_ref().is_some_and(|p| shown_patient.as_ref() != Some(p))
                                || organization.as_ref().is_some_and(|o| !event.organization_ids.contains(o))
                            {
                                return None;
                            }
                            Some(event_value(&api, &request, &event, node_selection.as_ref()).await.map(FieldValue::owned_any))
                        }
                    });
                    Ok(stream)
                })
            })
            .description(doc)
            .argument(InputValue::new("patientId", TypeRef::named(TypeRef::ID)).description("Only this patient's."))
            .argument(InputValue::new("organizationId", TypeRef::named(TypeRef::ID)).description("Only those involving this organization.")),
        );
    }
    (builder, subscription)
}

/// A broadcast receiver as a stream (lagging receivers skip what they
/// missed).
fn tokio_stream_of(
    receiver: broadcast::Receiver<GraphEvent>,
) -> impl futures_util::Stream<Item = GraphEvent> {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => return Some((event, receiver)),
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, "a subscriber fell behind; events skipped");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

async fn event_value(
    api: &Arc<Api>,
    request: &Arc<RequestAccess>,
    event: &GraphEvent,
    node_selection: Option<&(String, Compiled)>,
) -> Result<Value, async_graphql::Error> {
    let mut out = IndexMap::new();
    out.insert(Name::new("id"), Value::String(event.id.clone()));
    out.insert(
        Name::new("patientId"),
        event
            .patient_id
            .as_deref()
            .map_or(Value::Null, |p| Value::String(request.shown_patient_id(p))),
    );
    out.insert(
        Name::new("organizationIds"),
        Value::List(
            event
                .organization_ids
                .iter()
                .cloned()
                .map(Value::String)
                .collect(),
        ),
    );
    if let Some((key, template)) = node_selection {
        let mut params = template.params.clone();
        params.insert(
            "eventId".to_owned(),
            cypher::CypherValue::String(event.id.as_str().into()),
        );
        let compiled = Compiled {
            cypher: template.cypher.clone(),
            params,
            shape: template.shape.clone(),
            point: true,
        };
        let value = api.read(request, compiled).await.map_err(|e| e.extend())?;
        request.note(event.patient_id.iter().cloned());
        out.insert(Name::new(key), value.unwrap_or(Value::Null));
    }
    // Each delivery is a look at the patient: record it (and withhold the
    // event when the log cannot take it).
    request
        .record_delivery(
            &format!("subscription {} {}", event.label, event.id),
            event.patient_id.iter().cloned().collect(),
        )
        .map_err(|e| {
            async_graphql::Error::new(format!("the audit log cannot record this event: {e}"))
        })?;
    Ok(Value::Object(out))
}
