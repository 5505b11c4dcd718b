//! The read fast path: a query document that async-graphql has already
//! parsed, validated and answered without errors is, the next times it is
//! sent, compiled straight from the parsed document (with the request's
//! variables) into the same Cypher the resolvers would compile (kept per
//! set of variables, as the compiled Cypher depends on nothing else), run
//! through the same [`Api::read`] (the caller's policy, the answer cache,
//! the touched patients for the audit record), and shaped into the
//! response without the executor's walk field by field.
//!
//! It answers only what it is sure to answer exactly as the executor
//! would: queries over the entry points (`patient`, `patients`,
//! `patientsAggregate`, ... and `__typename`) with any nesting of node,
//! relationship, connection, edge, page and aggregate fields, aliases and
//! fragments, variables of the scalar types `ID`, `String`, `Int`, `Float`
//! and `Boolean`. Anything else (mutations, subscriptions, introspection,
//! recommendations, directives, a repeated response key, other variable
//! types or values, a document over the depth or complexity limits, an
//! error of any kind, a null where the schema promises a value) returns
//! `None`, and the caller runs the executor as always.
//!
//! Answers are kept, serialized, by (document, variables, graph version,
//! caller's clearance), with the patients they touched: a repeated read
//! of an unchanged graph is answered from the bytes, still noting its
//! patients for the audit record. Any commit makes a new graph version,
//! so a kept answer is never stale; the policy of a request depends on
//! its clearance only, so callers of one clearance share answers.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
    Selection, SelectionSet, VariableDefinition,
};
use async_graphql::{Name, Positioned, Value, Variables};
use bytes::Bytes;
use indexmap::IndexMap;

use super::compile::{Compiled, Compiler};
use super::limits;
use super::model::{self, Label, PropType, Rel};
use super::selection::{DocField, DocScope, Selected};
use super::Api;
use crate::security::{Clearance, RequestAccess};

/// Documents seen by the fast path, by (query text, operation name), their
/// compiled root fields by (plan, variables), and their answers.
pub struct FastPath {
    plans: moka::sync::Cache<(String, Option<String>), Option<Arc<Plan>>>,
    compiled: moka::sync::Cache<(u64, String), Arc<[Option<Compiled>]>>,
    answers: Option<moka::sync::Cache<AnswerKey, Arc<Answer>>>,
    next_plan: AtomicU64,
}

/// A kept answer's key: the plan, the variables (as printed), the graph
/// version it read and the clearance it ran with.
type AnswerKey = (u64, String, u64, Clearance);

/// A fast answer: the serialized GraphQL response
/// (`{"data":{...}}`, as async-graphql serializes it) and the patients
/// it touched.
#[derive(Debug)]
pub struct Answer {
    /// The response body.
    pub body: Bytes,
    /// The patients the answer touched, in id order.
    pub touched: Vec<String>,
}

impl Answer {
    /// What the answer weighs in a cache counted in entries: one per
    /// started [`crate::graphql::backend::CACHE_ENTRY_BYTES`] of body and
    /// patient ids, so that large answers cannot make a cache of `n`
    /// entries hold much more than `n` small ones.
    fn weight(&self) -> u32 {
        let bytes = self.body.len() + self.touched.iter().map(String::len).sum::<usize>();
        super::backend::entry_weight(bytes)
    }
}

/// A document the fast path can answer, once async-graphql has answered
/// it once without errors (which proves it parses and validates).
pub struct Plan {
    /// Names the plan in the cache of compiled root fields.
    id: u64,
    document: ExecutableDocument,
    /// The operation's name in a document of several.
    operation: Option<Name>,
    roots: Vec<Root>,
    validated: AtomicBool,
}

/// A root field: which entry point, and what its answer looks like.
struct Root {
    entry: Entry,
    out: Out,
}

#[derive(Clone, Copy)]
enum Entry {
    One(&'static Label),
    Many(&'static Label),
    Aggregate(&'static Label),
    Typename,
}

/// A field of the answer: its response key, whether the schema promises a
/// value, and what it holds.
struct Out {
    key: Name,
    non_null: bool,
    kind: Kind,
}

enum Kind {
    /// `__typename`: the type's name.
    Typename(String),
    /// A scalar.
    Leaf,
    /// An object with these fields.
    Object(Vec<Out>),
    /// A list of objects, none null (`edges`).
    List(Vec<Out>),
}

impl FastPath {
    /// A fast path remembering up to `entries` documents, ten times as
    /// many compilations of them (one per set of variables: the compiled
    /// Cypher depends on nothing else), and up to `answer_entries`
    /// answers (0: none kept), weighed as
    /// [`crate::graphql::backend::entry_weight`] says.
    pub fn new(entries: u64, answer_entries: u64) -> FastPath {
        let answers = (answer_entries > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(answer_entries)
                .weigher(|_: &AnswerKey, answer: &Arc<Answer>| answer.weight())
                .time_to_idle(std::time::Duration::from_secs(600))
                .build()
        });
        FastPath {
            plans: moka::sync::Cache::new(entries),
            compiled: moka::sync::Cache::new(entries.saturating_mul(10)),
            answers,
            next_plan: AtomicU64::new(0),
        }
    }

    /// The plan of a document (`None`: the fast path does not answer it),
    /// parsed and analysed on first sight.
    pub fn plan(&self, query: &str, operation: Option<&str>) -> Option<Arc<Plan>> {
        let key = (query.to_owned(), operation.map(str::to_owned));
        if let Some(plan) = self.plans.get(&key) {
            return plan;
        }
        let id = self.next_plan.fetch_add(1, Ordering::Relaxed);
        let plan = Plan::of(id, query, operation).map(Arc::new);
        self.plans.insert(key, plan.clone());
        plan
    }

    /// The answer to `plan` with `variables`, exactly as the executor
    /// would give it, serialized; or `None` to let the executor answer.
    /// The patients it touched are noted in `access`.
    pub async fn execute(
        &self,
        plan: &Plan,
        api: &Api,
        access: &Arc<RequestAccess>,
        variables: &Variables,
    ) -> Option<Arc<Answer>> {
        if !plan.is_validated() {
            return None;
        }
        let printed = format!("{variables:?}");
        let answer_key = match (&self.answers, api.backend.database()) {
            (Some(_), Some(db)) => Some((
                plan.id,
                printed.clone(),
                db.snapshot().lsn(),
                access.caller.clearance.clone(),
            )),
            _ => None,
        };
        if let (Some(answers), Some(key)) = (&self.answers, &answer_key) {
            if let Some(answer) = answers.get(key) {
                access.note(answer.touched.iter().cloned());
                return Some(answer);
            }
        }
        let key = (plan.id, printed);
        let compiled = match self.compiled.get(&key) {
            Some(compiled) => compiled,
            None => {
                let compiled: Arc<[Option<Compiled>]> = plan.compile(api, variables)?.into();
                self.compiled.insert(key, compiled.clone());
                compiled
            }
        };
        let mut data = IndexMap::with_capacity(plan.roots.len());
        for (root, compiled) in plan.roots.iter().zip(compiled.iter()) {
            let value = match compiled {
                Some(compiled) => api
                    .read_shared(access, compiled)
                    .await
                    .ok()?
                    .unwrap_or(Value::Null),
                None => Value::Null,
            };
            data.insert(root.out.key.clone(), shape(Some(value), &root.out)?);
        }
        let response = async_graphql::Response::new(Value::Object(data));
        let body = serde_json::to_vec(&response).ok()?;
        let answer = Arc::new(Answer {
            body: Bytes::from(body),
            // Only this fast path has noted patients in this request so far.
            touched: access.touched(),
        });
        if let (Some(answers), Some(key)) = (&self.answers, answer_key) {
            answers.insert(key, answer.clone());
        }
        Some(answer)
    }
}

impl Plan {
    fn of(id: u64, query: &str, operation: Option<&str>) -> Option<Plan> {
        let document = async_graphql::parser::parse_query(query).ok()?;
        let (name, op) = pick_operation(&document, operation)?;
        let op = &op.node;
        if op.ty != OperationType::Query
            || !op.directives.is_empty()
            || !op
                .variable_definitions
                .iter()
                .all(|d| simple_variable(&d.node))
            || has_directives(&document)
        {
            return None;
        }
        let variables = Variables::default();
        let scope = DocScope {
            fragments: &document.fragments,
            definitions: &op.variable_definitions,
            variables: &variables,
        };
        let mut roots = Vec::new();
        for field in scope.fields_of(&op.selection_set.node.items) {
            let name = field.name();
            let key = Name::new(field.alias().unwrap_or(name));
            let root = if name == "__typename" {
                Root {
                    entry: Entry::Typename,
                    out: typename(key, "Query"),
                }
            } else {
                let (entry, label) = entry_point(name)?;
                let kind = match entry {
                    Entry::One(_) => node(label, &field)?,
                    Entry::Many(_) => connection(label, None, &field)?,
                    Entry::Aggregate(_) | Entry::Typename => aggregate(label, &field)?,
                };
                Root {
                    entry,
                    out: Out {
                        key,
                        non_null: !matches!(entry, Entry::One(_)),
                        kind,
                    },
                }
            };
            roots.push(root);
        }
        if roots.is_empty() || !distinct_keys(roots.iter().map(|r| &r.out)) {
            return None;
        }
        let operation = name.cloned();
        Some(Plan {
            id,
            document,
            operation,
            roots,
            validated: AtomicBool::new(false),
        })
    }

    /// async-graphql answered the document without errors: it parses and
    /// validates (for any variables of the declared types).
    pub fn mark_validated(&self) {
        self.validated.store(true, Ordering::Relaxed);
    }

    /// The fast path may answer this document.
    pub fn is_validated(&self) -> bool {
        self.validated.load(Ordering::Relaxed)
    }

    /// The compiled root fields (`None` for `__typename`) with these
    /// variables, or `None` when the executor must answer: variables that
    /// do not fit, limits exceeded, or an error to report.
    fn compile(&self, api: &Api, variables: &Variables) -> Option<Vec<Option<Compiled>>> {
        let (_, op) = pick_operation(&self.document, self.operation.as_deref())?;
        let op = &op.node;
        if !op
            .variable_definitions
            .iter()
            .all(|d| variable_fits(&d.node, variables))
        {
            return None;
        }
        let (depth, complexity) = limits::measure(&self.document, variables, &api.limits);
        if depth > api.limits.max_depth || complexity > api.limits.max_complexity {
            return None;
        }
        let scope = DocScope {
            fragments: &self.document.fragments,
            definitions: &op.variable_definitions,
            variables,
        };
        let fields = scope.fields_of(&op.selection_set.node.items);
        if fields.len() != self.roots.len() {
            return None;
        }
        self.roots
            .iter()
            .zip(&fields)
            .map(|(root, field)| match root.entry {
                Entry::Typename => Some(None),
                entry => compile_root(api, entry, field).map(Some),
            })
            .collect()
    }
}

/// Compiles one root field (`None`: an error, for the executor to report).
fn compile_root(api: &Api, entry: Entry, field: &DocField<'_>) -> Option<Compiled> {
    let compiler = Compiler::new(&api.limits);
    match entry {
        Entry::One(label) => {
            let args = field.arguments().ok()?;
            let key = args.get(label.key)?;
            if !matches!(key, Value::String(_)) {
                return None;
            }
            compiler.one_by_key(label, key, field).ok()
        }
        Entry::Many(label) => compiler.root_connection(label, field).ok(),
        Entry::Aggregate(label) => compiler.root_aggregate(label, field).ok(),
        Entry::Typename => None,
    }
}

/// The value of `out` from what the compiled query answered (`None`: the
/// executor would not answer this as it is; let it).
fn shape(value: Option<Value>, out: &Out) -> Option<Value> {
    if let Kind::Typename(name) = &out.kind {
        return Some(Value::String(name.clone()));
    }
    let value = match value {
        None | Some(Value::Null) => {
            return (!out.non_null).then_some(Value::Null);
        }
        Some(value) => value,
    };
    match (&out.kind, value) {
        // (The executor refuses lists and objects for a scalar field.)
        (Kind::Leaf, value) if !matches!(value, Value::List(_) | Value::Object(_)) => Some(value),
        (Kind::Object(fields), Value::Object(map)) => object(fields, map),
        (Kind::List(fields), Value::List(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(map) => object(fields, map),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(Value::List),
        _ => None,
    }
}

fn object(fields: &[Out], mut map: IndexMap<Name, Value>) -> Option<Value> {
    let mut out = IndexMap::with_capacity(fields.len());
    for field in fields {
        let value = map.swap_remove(&field.key);
        out.insert(field.key.clone(), shape(value, field)?);
    }
    Some(Value::Object(out))
}

/// The operation a request runs, as async-graphql picks it (`None`: none,
/// which is an error the executor reports).
fn pick_operation<'a>(
    document: &'a ExecutableDocument,
    operation: Option<&str>,
) -> Option<(Option<&'a Name>, &'a Positioned<OperationDefinition>)> {
    match (&document.operations, operation) {
        (DocumentOperations::Single(op), None) => Some((None, op)),
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get_key_value(name).map(|(n, op)| (Some(n), op))
        }
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.iter().next().map(|(n, op)| (Some(n), op))
        }
        _ => None,
    }
}

/// The scalar types of variables the fast path checks itself.
const SIMPLE_TYPES: [&str; 5] = ["ID", "String", "Int", "Float", "Boolean"];

fn simple_variable(definition: &VariableDefinition) -> bool {
    definition.directives.is_empty()
        && matches!(&definition.var_type.node.base, BaseType::Named(name) if SIMPLE_TYPES.contains(&name.as_str()))
}

/// The request's value of a variable (or its default) is one the
/// executor takes as it is: exactly of the declared scalar type, or null
/// where allowed.
fn variable_fits(definition: &VariableDefinition, variables: &Variables) -> bool {
    let value = variables
        .get(&definition.name.node)
        .or_else(|| definition.default_value());
    let Some(value) = value else {
        return false;
    };
    let ty = &definition.var_type.node;
    let BaseType::Named(name) = &ty.base else {
        return false;
    };
    match (name.as_str(), value) {
        (_, Value::Null) => ty.nullable,
        ("ID" | "String", Value::String(_))
        | ("Boolean", Value::Boolean(_))
        | ("Float", Value::Number(_)) => true,
        ("Int", Value::Number(n)) => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        _ => false,
    }
}

/// Any directive on a field, fragment or spread of the document.
fn has_directives(document: &ExecutableDocument) -> bool {
    fn set_has(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                !field.node.directives.is_empty() || set_has(&field.node.selection_set.node)
            }
            Selection::FragmentSpread(spread) => !spread.node.directives.is_empty(),
            Selection::InlineFragment(inline) => {
                !inline.node.directives.is_empty() || set_has(&inline.node.selection_set.node)
            }
        })
    }
    document
        .operations
        .iter()
        .any(|(_, op)| set_has(&op.node.selection_set.node))
        || document.fragments.values().any(|fragment| {
            !fragment.node.directives.is_empty() || set_has(&fragment.node.selection_set.node)
        })
}

fn entry_point(name: &str) -> Option<(Entry, &'static Label)> {
    model::LABELS.iter().find_map(|label| {
        if name == label.one {
            Some((Entry::One(label), label))
        } else if name == label.many {
            Some((Entry::Many(label), label))
        } else if name.strip_suffix("Aggregate") == Some(label.many) {
            Some((Entry::Aggregate(label), label))
        } else {
            None
        }
    })
}

fn typename(key: Name, name: &str) -> Out {
    Out {
        key,
        non_null: true,
        kind: Kind::Typename(name.to_owned()),
    }
}

fn leaf(key: Name, non_null: bool) -> Out {
    Out {
        key,
        non_null,
        kind: Kind::Leaf,
    }
}

/// The fields of a selection, each checked by `each` (`None`: a field the
/// fast path does not know, or a response key twice).
fn fields<'a>(
    field: &DocField<'a>,
    type_name: &str,
    mut each: impl FnMut(Name, &str, &DocField<'a>) -> Option<Out>,
) -> Option<Kind> {
    let mut outs = Vec::new();
    for child in field.children() {
        let name = child.name();
        let key = Name::new(child.alias().unwrap_or(name));
        if !child.field.selection_set.node.items.is_empty() && name == "__typename" {
            return None;
        }
        outs.push(if name == "__typename" {
            typename(key, type_name)
        } else {
            each(key, name, &child)?
        });
    }
    (!outs.is_empty() && distinct_keys(outs.iter())).then_some(Kind::Object(outs))
}

fn distinct_keys<'a>(mut outs: impl Iterator<Item = &'a Out>) -> bool {
    let mut seen = std::collections::HashSet::new();
    outs.all(|out| seen.insert(out.key.clone()))
}

/// A leaf field has no selection set; an object field has one.
fn is_leaf(field: &DocField<'_>) -> bool {
    field.field.selection_set.node.items.is_empty()
}

fn node(label: &'static Label, field: &DocField<'_>) -> Option<Kind> {
    fields(field, label.name, |key, name, child| {
        if let Some(prop) = label.prop(name) {
            return is_leaf(child).then(|| leaf(key, prop.ty == PropType::Key));
        }
        if is_leaf(child) {
            return None;
        }
        if let Some(rel) = label.rel(name) {
            let target = model::label(rel.target)?;
            return Some(if rel.many {
                Out {
                    key,
                    non_null: true,
                    kind: connection(target, Some((label, rel)), child)?,
                }
            } else {
                Out {
                    key,
                    non_null: false,
                    kind: node(target, child)?,
                }
            });
        }
        let rel = name.strip_suffix("Aggregate").and_then(|n| label.rel(n))?;
        if !rel.many {
            return None;
        }
        Some(Out {
            key,
            non_null: true,
            kind: aggregate(model::label(rel.target)?, child)?,
        })
    })
}

/// A connection over `label`; `rel` for one reached by a relationship
/// field (its edges may carry the relationship's properties).
fn connection(
    label: &'static Label,
    rel: Option<(&'static Label, &'static Rel)>,
    field: &DocField<'_>,
) -> Option<Kind> {
    let prefix = match rel {
        Some((owner, rel)) if !rel.props.is_empty() => super::schema::rel_prefix(owner, rel),
        _ => label.name.to_owned(),
    };
    let edge_props = rel.map_or(&[][..], |(_, rel)| rel.props);
    fields(
        field,
        &format!("{prefix}Connection"),
        |key, name, child| match name {
            "totalCount" => is_leaf(child).then(|| leaf(key, true)),
            "pageInfo" => Some(Out {
                key,
                non_null: true,
                kind: page_info(child)?,
            }),
            "edges" => {
                let Kind::Object(edge) =
                    fields(child, &format!("{prefix}Edge"), |key, name, f| match name {
                        "cursor" => is_leaf(f).then(|| leaf(key, true)),
                        "node" if !is_leaf(f) => Some(Out {
                            key,
                            non_null: true,
                            kind: node(label, f)?,
                        }),
                        _ => {
                            let prop = edge_props.iter().find(|p| p.name == name)?;
                            is_leaf(f).then(|| leaf(key, prop.ty == PropType::Key))
                        }
                    })?
                else {
                    return None;
                };
                Some(Out {
                    key,
                    non_null: true,
                    kind: Kind::List(edge),
                })
            }
            _ => None,
        },
    )
}

fn page_info(field: &DocField<'_>) -> Option<Kind> {
    fields(field, "PageInfo", |key, name, child| {
        let non_null = match name {
            "hasNextPage" | "hasPreviousPage" => true,
            "startCursor" | "endCursor" => false,
            _ => return None,
        };
        is_leaf(child).then(|| leaf(key, non_null))
    })
}

fn aggregate(label: &'static Label, field: &DocField<'_>) -> Option<Kind> {
    fields(
        field,
        &format!("{}Aggregate", label.name),
        |key, name, child| {
            if name == "count" {
                return is_leaf(child).then(|| leaf(key, true));
            }
            let prop = label.prop(name)?;
            let (type_name, stats): (&str, &[&str]) = match prop.ty {
                PropType::Int | PropType::Float => {
                    ("NumberAggregate", &["sum", "avg", "min", "max"])
                }
                PropType::Date => ("DateAggregate", &["min", "max"]),
                PropType::DateTime => ("DateTimeAggregate", &["min", "max"]),
                _ => return None,
            };
            Some(Out {
                key,
                non_null: true,
                kind: fields(child, type_name, |key, name, stat| {
                    (stats.contains(&name) && is_leaf(stat)).then(|| leaf(key, false))
                })?,
            })
        },
    )
}
