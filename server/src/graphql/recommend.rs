//! `recommendMedications` and `similarPatients`: the `recommender` crate
//! served through GraphQL. The recommender is built in the background when
//! the API starts (until then the fields answer `UNAVAILABLE`); each request
//! first refreshes the patient from the graph, so a prescription written a
//! moment ago counts at once; answers are cached by the patient's
//! neighborhood version, so a changed neighborhood is never served stale.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dynamic::{
    Enum, EnumItem, Field, FieldValue, InputValue, Object, SchemaBuilder, TypeRef,
};
use async_graphql::{Name, Value};
use graph_model::Database;
use indexmap::IndexMap;
use parking_lot::RwLock;
use recommender::{Method, Recommender, RecommenderConfig};

use super::compile::{quote, Compiled, Compiler};
use super::error::{resolve, GqlError};
use super::model;
use super::schema::from_parent;
use super::Api;
use crate::recommend::CypherSource;
use crate::security::{CareRefusal, RequestAccess};

/// How often the recommender is rebuilt from the graph when the graph has
/// changed since the last build (patients' own changes are applied at once
/// by `refresh_patient`; the rebuild refits the models on everyone's).
pub const REBUILD_EVERY: Duration = Duration::from_secs(600);

/// The recommender, once built; rebuilt in the background and swapped in
/// whole.
pub struct RecommendService {
    db: Database,
    recommender: RwLock<Option<Arc<Recommender>>>,
    failed: RwLock<Option<String>>,
    /// Builds so far (part of the cache key: a rebuilt model is never
    /// answered from the old one's cache).
    generation: AtomicU64,
    /// The graph version of the last build.
    built_at_lsn: AtomicU64,
    cache: moka::sync::Cache<AnswerKey, Arc<Vec<recommender::Recommendation>>>,
}

/// A cached answer's key: patient, k, method, the patient's neighborhood
/// version and the model's generation.
type AnswerKey = (String, usize, &'static str, u64, u64);

impl RecommendService {
    /// Starts building the recommender over `db` on a background thread,
    /// rebuilding it every [`REBUILD_EVERY`] when the graph changed.
    pub fn start(db: Database) -> Arc<RecommendService> {
        RecommendService::start_rebuilding(db, REBUILD_EVERY)
    }

    /// [`RecommendService::start`] with another rebuild period. The
    /// thread ends when the service is dropped.
    pub fn start_rebuilding(db: Database, every: Duration) -> Arc<RecommendService> {
        let service = Arc::new(RecommendService {
            db,
            recommender: RwLock::new(None),
            failed: RwLock::new(None),
            generation: AtomicU64::new(0),
            built_at_lsn: AtomicU64::new(0),
            cache: moka::sync::Cache::new(10_000),
        });
        let weak = Arc::downgrade(&service);
        let spawned = std::thread::Builder::new()
            .name("caregraph-recommender".into())
            .spawn(move || {
                let mut first = true;
                loop {
                    let Some(service) = weak.upgrade() else {
                        return;
                    };
                    let lsn = service.db.snapshot().lsn();
                    if first || lsn != service.built_at_lsn.load(Ordering::Acquire) {
                        service.build();
                    }
                    first = false;
                    drop(service);
                    std::thread::sleep(every);
                }
            });
        if let Err(e) = spawned {
            *service.failed.write() = Some(e.to_string());
        }
        service
    }

    /// How many times the recommender has been built.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn build(&self) {
        let started = std::time::Instant::now();
        let lsn = self.db.snapshot().lsn();
        let source = CypherSource::Database(&self.db);
        match Recommender::build(&source, RecommenderConfig::default()) {
            Ok(recommender) => {
                tracing::info!(
                    seconds = started.elapsed().as_secs_f64(),
                    lsn,
                    "recommender built"
                );
                // The swap: readers hold the old model until they finish.
                *self.recommender.write() = Some(Arc::new(recommender));
                *self.failed.write() = None;
                self.built_at_lsn.store(lsn, Ordering::Release);
                self.generation.fetch_add(1, Ordering::AcqRel);
            }
            Err(e) => {
                tracing::error!(error = %e, "the recommender could not be built");
                *self.failed.write() = Some(e.to_string());
            }
        }
    }

    fn ready(&self) -> Result<Arc<Recommender>, GqlError> {
        if let Some(r) = self.recommender.read().as_ref() {
            return Ok(r.clone());
        }
        Err(match self.failed.read().as_ref() {
            Some(reason) => GqlError::Unavailable(format!(
                "recommendations are unavailable: the recommender could not be built ({reason})"
            )),
            None => GqlError::Unavailable(
                "recommendations are not ready yet: the recommender is being built".into(),
            ),
        })
    }

    /// Recommendations for a patient, refreshed from the graph first.
    pub fn recommend(
        &self,
        patient_id: &str,
        k: usize,
        method: Method,
    ) -> Result<Arc<Vec<recommender::Recommendation>>, GqlError> {
        let recommender = self.ready()?;
        let source = CypherSource::Database(&self.db);
        recommender
            .refresh_patient(&source, patient_id)
            .map_err(|e| recommend_error(&e))?;
        let version = recommender.neighborhood_version(patient_id).unwrap_or(0);
        let key = (
            patient_id.to_owned(),
            k,
            method.name(),
            version,
            self.generation(),
        );
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit);
        }
        let answer = Arc::new(
            recommender
                .recommend(patient_id, k, Some(method))
                .map_err(|e| recommend_error(&e))?,
        );
        self.cache.insert(key, answer.clone());
        Ok(answer)
    }

    /// Checks a drafted order of `medication_code` for the patient (CDS
    /// Hooks `order-select`), refreshed from the graph first; `display`
    /// stands for a medication the catalog does not know (see
    /// [`Recommender::order_check_named`]).
    pub fn order_check(
        &self,
        patient_id: &str,
        medication_code: &str,
        display: Option<&str>,
    ) -> Result<recommender::OrderCheck, GqlError> {
        let recommender = self.ready()?;
        let source = CypherSource::Database(&self.db);
        recommender
            .refresh_patient(&source, patient_id)
            .map_err(|e| recommend_error(&e))?;
        recommender
            .order_check_named(patient_id, medication_code, display)
            .map_err(|e| recommend_error(&e))
    }

    /// The most similar patients.
    pub fn similar(
        &self,
        patient_id: &str,
        k: usize,
    ) -> Result<Vec<recommender::SimilarPatient>, GqlError> {
        let recommender = self.ready()?;
        let source = CypherSource::Database(&self.db);
        recommender
            .refresh_patient(&source, patient_id)
            .map_err(|e| recommend_error(&e))?;
        recommender
            .similar_patients(patient_id, k)
            .map_err(|e| recommend_error(&e))
    }
}

fn recommend_error(error: &recommender::RecommendError) -> GqlError {
    match error {
        recommender::RecommendError::UnknownPatient(id) => GqlError::NotFound {
            label: "Patient".into(),
            key: id.clone(),
        },
        recommender::RecommendError::UnknownMedication(code) => GqlError::NotFound {
            label: "Medication".into(),
            key: code.clone(),
        },
        other => GqlError::Internal(other.to_string()),
    }
}

/// The GraphQL enum value of each method.
const METHODS: &[(&str, Method, &str)] = &[
    (
        "POPULARITY",
        Method::Popularity,
        "Baseline: most prescribed overall.",
    ),
    ("ITEM_KNN", Method::ItemKnn, "Baseline: item-kNN, cosine."),
    (
        "RP3BETA",
        Method::Rp3beta,
        "Baseline: RP3beta random walks.",
    ),
    ("EASE", Method::Ease, "Baseline: EASE."),
    (
        "PPR",
        Method::Ppr,
        "Personalized PageRank over conditions, prescribers and medications.",
    ),
    (
        "SIMILARITY",
        Method::Similarity,
        "Similar patients' medications.",
    ),
    (
        "HYBRID",
        Method::Hybrid,
        "Rank fusion of the methods, weights tuned before the test period.",
    ),
];

/// Registers the types and adds the two fields to `query`.
pub fn register(mut builder: SchemaBuilder, mut query: Object) -> (SchemaBuilder, Object) {
    let mut methods =
        Enum::new("RecommendationMethod").description("How recommendations are computed.");
    for (name, _, doc) in METHODS {
        methods = methods.item(EnumItem::new(*name).description(*doc));
    }
    builder = builder
        .register(methods)
        .register(
            Object::new("MedicationRecommendation")
                .description("A suggested medication, with why.")
                .field(
                    Field::new("medication", TypeRef::named_nn("Medication"), from_parent)
                        .description("The medication."),
                )
                .field(
                    Field::new("score", TypeRef::named_nn(TypeRef::FLOAT), from_parent)
                        .description(
                            "The method's score (higher is better; scales differ by method).",
                        ),
                )
                .field(
                    Field::new(
                        "evidence",
                        TypeRef::named_nn_list_nn("Evidence"),
                        from_parent,
                    )
                    .description("The counted graph paths behind it, strongest first."),
                )
                .field(
                    Field::new(
                        "interactions",
                        TypeRef::named_nn_list_nn("InteractionWarning"),
                        from_parent,
                    )
                    .description("Severe interactions with the patient's active medications."),
                ),
        )
        .register(
            Object::new("Evidence")
                .description("A counted path behind a suggestion.")
                .field(
                    Field::new("text", TypeRef::named_nn(TypeRef::STRING), from_parent)
                        .description("Short enough for a screen."),
                ),
        )
        .register(
            Object::new("InteractionWarning")
                .description("A well-known severe interaction with an active medication.")
                .field(
                    Field::new(
                        "medicationCode",
                        TypeRef::named_nn(TypeRef::ID),
                        from_parent,
                    )
                    .description("The active medication."),
                )
                .field(
                    Field::new(
                        "medicationDisplay",
                        TypeRef::named_nn(TypeRef::STRING),
                        from_parent,
                    )
                    .description("Its display."),
                )
                .field(
                    Field::new("severity", TypeRef::named_nn(TypeRef::STRING), from_parent)
                        .description("Severity."),
                )
                .field(
                    Field::new(
                        "description",
                        TypeRef::named_nn(TypeRef::STRING),
                        from_parent,
                    )
                    .description("What happens."),
                )
                .field(
                    Field::new("source", TypeRef::named_nn(TypeRef::STRING), from_parent)
                        .description("Where the table has it from."),
                )
                .field(
                    Field::new("matchedBy", TypeRef::named_nn(TypeRef::STRING), from_parent)
                        .description(
                            "`code` when both medications were matched to the safety tables by RxNorm code, `name` when one was matched by its display text (a code the tables do not have).",
                        ),
                ),
        )
        .register(
            Object::new("SimilarPatient")
                .description("A patient with similar conditions and medications.")
                .field(
                    Field::new("patient", TypeRef::named_nn("Patient"), from_parent)
                        .description("The patient."),
                )
                .field(
                    Field::new("similarity", TypeRef::named_nn(TypeRef::FLOAT), from_parent)
                        .description("Cosine similarity, 0 to 1."),
                )
                .field(
                    Field::new(
                        "sharedConditionCodes",
                        TypeRef::named_nn_list_nn(TypeRef::ID),
                        from_parent,
                    )
                    .description("Conditions both have."),
                )
                .field(
                    Field::new(
                        "sharedMedicationCodes",
                        TypeRef::named_nn_list_nn(TypeRef::ID),
                        from_parent,
                    )
                    .description("Medications both had."),
                ),
        );
    query = query
        .field(
            Field::new("recommendMedications", TypeRef::named_nn_list_nn("MedicationRecommendation"), |ctx| {
                resolve(async move {
                    let api = ctx.data::<Arc<Api>>()?.clone();
                    let patient = string_arg(&ctx, "patientId")?;
                    let request = super::request_of(ctx.ctx)?;
                    patient_gate(&api, &request, &patient)?;
                    let k = usize_arg(&ctx, "k", 10)?;
                    let method = match ctx.args.get("method").map(|v| v.as_value().clone()) {
                        Some(Value::Enum(name)) => METHODS
                            .iter()
                            .find(|(n, _, _)| *n == name.as_str())
                            .map(|(_, m, _)| *m)
                            .ok_or_else(|| GqlError::BadInput(format!("unknown method {name}")))?,
                        _ => Method::Hybrid,
                    };
                    let service = api.recommendations()?;
                    let found = {
                        let service = service.clone();
                        tokio::task::spawn_blocking(move || service.recommend(&patient, k, method))
                            .await
                            .map_err(|e| GqlError::Internal(e.to_string()))??
                    };
                    let selection = sub_selection(&api, &ctx.ctx.field(), "medication", "Medication")?;
                    let mut items = Vec::new();
                    for r in found.iter() {
                        let mut out = IndexMap::new();
                        out.insert(Name::new("score"), Value::from(f64::from(r.score)));
                        out.insert(
                            Name::new("evidence"),
                            Value::List(r.evidence.iter().map(|e| object(&[("text", Value::String(e.to_string()))])).collect()),
                        );
                        out.insert(
                            Name::new("interactions"),
                            Value::List(
                                r.flags
                                    .iter()
                                    .map(|f| {
                                        object(&[
                                            ("medicationCode", Value::String(f.medication_code.to_string())),
                                            ("medicationDisplay", Value::String(f.medication_display.to_string())),
                                            ("severity", Value::String(format!("{:?}", f.severity).to_ascii_lowercase())),
                                            ("description", Value::String(f.description.to_string())),
                                            ("source", Value::String(f.source.to_string())),
                                            ("matchedBy", Value::String(matched_by(f.basis).to_owned())),
                                        ])
                                    })
                                    .collect(),
                            ),
                        );
                        if let Some((key, template)) = &selection {
                            out.insert(Name::new(key), node_by_key(&api, &request, template, &r.medication_code).await?);
                        }
                        items.push(Value::Object(out));
                    }
                    Ok(Some(FieldValue::list(items.into_iter().map(FieldValue::owned_any))))
                })
            })
            .description("Medications doctors prescribe in similar cases, safest first: never one the patient takes or took, never one an allergy excludes; interactions with active medications are flagged; each with its evidence.")
            .argument(InputValue::new("patientId", TypeRef::named_nn(TypeRef::ID)).description("The patient."))
            .argument(InputValue::new("k", TypeRef::named(TypeRef::INT)).default_value(10).description("How many (at most 100)."))
            .argument(InputValue::new("method", TypeRef::named("RecommendationMethod")).default_value(Value::Enum(Name::new("HYBRID"))).description("The method.")),
        )
        .field(
            Field::new("similarPatients", TypeRef::named_nn_list_nn("SimilarPatient"), |ctx| {
                resolve(async move {
                    let api = ctx.data::<Arc<Api>>()?.clone();
                    let patient = string_arg(&ctx, "patientId")?;
                    let request = super::request_of(ctx.ctx)?;
                    patient_gate(&api, &request, &patient)?;
                    let k = usize_arg(&ctx, "k", 10)?;
                    let service = api.recommendations()?;
                    // Similar patients out of the caller's scope are left
                    // out: ask for more, keep the first k the caller sees.
                    let found = tokio::task::spawn_blocking(move || service.similar(&patient, k.saturating_mul(4)))
                        .await
                        .map_err(|e| GqlError::Internal(e.to_string()))??;
                    let state = api.backend.database().map(graph_model::Database::snapshot);
                    let found: Vec<_> = found
                        .into_iter()
                        .filter(|s| state.as_ref().is_some_and(|state| request.sees_patient(state, &s.patient_id)))
                        .take(k)
                        .collect();
                    request.note(found.iter().map(|s| s.patient_id.to_string()));
                    let selection = sub_selection(&api, &ctx.ctx.field(), "patient", "Patient")?;
                    let mut items = Vec::new();
                    for s in &found {
                        let mut out = IndexMap::new();
                        out.insert(Name::new("similarity"), Value::from(f64::from(s.similarity)));
                        out.insert(Name::new("sharedConditionCodes"), Value::List(s.shared_conditions.iter().map(|c| Value::String(c.to_string())).collect()));
                        out.insert(Name::new("sharedMedicationCodes"), Value::List(s.shared_medications.iter().map(|c| Value::String(c.to_string())).collect()));
                        if let Some((key, template)) = &selection {
                            out.insert(Name::new(key), node_by_key(&api, &request, template, &s.patient_id).await?);
                        }
                        items.push(Value::Object(out));
                    }
                    Ok(Some(FieldValue::list(items.into_iter().map(FieldValue::owned_any))))
                })
            })
            .description("The patients most similar to this one by conditions and medications (the \"similar cases\" view).")
            .argument(InputValue::new("patientId", TypeRef::named_nn(TypeRef::ID)).description("The patient."))
            .argument(InputValue::new("k", TypeRef::named(TypeRef::INT)).default_value(10).description("How many (at most 100).")),
        );
    (builder, query)
}

fn object(fields: &[(&str, Value)]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|(k, v)| (Name::new(k), v.clone()))
            .collect(),
    )
}

fn string_arg(
    ctx: &async_graphql::dynamic::ResolverContext<'_>,
    name: &str,
) -> Result<String, GqlError> {
    match ctx.args.get(name).map(|v| v.as_value().clone()) {
        Some(Value::String(s)) => Ok(s),
        other => Err(GqlError::BadInput(format!(
            "`{name}` must be a string, got {other:?}"
        ))),
    }
}

fn usize_arg(
    ctx: &async_graphql::dynamic::ResolverContext<'_>,
    name: &str,
    default: usize,
) -> Result<usize, GqlError> {
    match ctx.args.get(name).map(|v| v.as_value().clone()) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(k) if (1..=100).contains(&k) => Ok(k as usize),
            _ => Err(GqlError::BadInput(format!(
                "`{name}` must be between 1 and 100, got {n}"
            ))),
        },
        Some(other) => Err(GqlError::BadInput(format!(
            "`{name}` must be an integer, got {other}"
        ))),
    }
}

/// The compiled read of a node sub-selection (`medication { ... }`), keyed
/// by `$key`, and its response key.
fn sub_selection(
    api: &Api,
    field: &async_graphql::SelectionField<'_>,
    child_name: &str,
    label: &str,
) -> Result<Option<(String, Compiled)>, GqlError> {
    let label =
        model::label(label).ok_or_else(|| GqlError::Internal(format!("no label {label}")))?;
    for child in field.selection_set() {
        if child.name() == child_name {
            let mut compiler = Compiler::new(&api.limits);
            let (projection, shape) = compiler.node_projection(label, "this", &child)?;
            let cypher = format!(
                "MATCH (this:{} {{{}: $key}}) RETURN {projection} AS result",
                quote(label.name),
                quote(label.key)
            );
            let mut compiled = compiler.finish(cypher, shape);
            compiled.point = true;
            return Ok(Some((super::compile::response_key(&child), compiled)));
        }
    }
    Ok(None)
}

/// Recommendations are patient-level care (see [`RequestAccess::care_for`]).
fn patient_gate(api: &Api, request: &RequestAccess, patient: &str) -> Result<(), GqlError> {
    let state = api
        .backend
        .database()
        .map(graph_model::Database::snapshot)
        .ok_or_else(|| GqlError::Unavailable("recommendations need the embedded store".into()))?;
    request
        .care_for(&state, patient)
        .map_err(|refusal| match refusal {
            CareRefusal::Analyst => GqlError::Forbidden(refusal.message().into()),
            CareRefusal::NoSuchPatient => GqlError::NotFound {
                label: "Patient".into(),
                key: patient.to_owned(),
            },
        })
}

async fn node_by_key(
    api: &Api,
    request: &Arc<RequestAccess>,
    template: &Compiled,
    key: &str,
) -> Result<Value, GqlError> {
    let mut compiled = template.clone();
    compiled
        .params
        .insert("key".into(), cypher::CypherValue::String(key.into()));
    Ok(api.read(request, compiled).await?.unwrap_or(Value::Null))
}

/// `code` or `name`: how a flag's medications were matched to the tables.
fn matched_by(basis: recommender::MatchBasis) -> &'static str {
    match basis {
        recommender::MatchBasis::Code => "code",
        recommender::MatchBasis::Name => "name",
    }
}
