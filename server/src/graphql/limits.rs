//! Limits that keep one request from hurting everyone: depth, complexity
//! (page sizes multiply what is nested under a connection), page sizes and
//! time. Depth and complexity are checked right after parsing, before
//! anything runs, by an extension (so they hold over HTTP and websocket).

use std::sync::Arc;
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, ServerError, ServerResult, ValidationResult, Value, Variables};

use super::error::GqlError;
use super::model::{self, Label};

/// The limits of the GraphQL API.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deepest nesting of selections.
    pub max_depth: usize,
    /// Largest complexity: each field counts 1, and what is nested under a
    /// connection counts once per item of the page asked for.
    pub max_complexity: usize,
    /// Page size when `first`/`last` is not given.
    pub default_page_size: usize,
    /// Largest `first`/`last`.
    pub max_page_size: usize,
    /// Time limit of one request.
    pub timeout: Duration,
    /// Answers of reads kept in the result cache, keyed by query,
    /// parameters and graph version (0: no cache).
    pub cache_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 10_000,
            default_page_size: 20,
            max_page_size: 100,
            timeout: Duration::from_secs(10),
            cache_entries: 10_000,
        }
    }
}

/// What a selection set is over.
#[derive(Clone, Copy)]
enum Over {
    Root,
    Node(&'static Label),
    Connection(&'static Label),
    Edge(&'static Label),
    /// Anything else: each field counts 1, children walked generically.
    Other,
}

/// Depth and complexity of the operations of a document (the largest
/// over its operations).
pub fn measure(
    document: &ExecutableDocument,
    variables: &Variables,
    limits: &Limits,
) -> (usize, usize) {
    let walker = Walker {
        document,
        variables,
        limits,
    };
    let mut depth = 0;
    let mut complexity = 0;
    for (_, operation) in document.operations.iter() {
        let (d, c) = walker.set(&operation.node.selection_set, Over::Root, 0);
        depth = depth.max(d);
        complexity = complexity.max(c);
    }
    (depth, complexity)
}

struct Walker<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    limits: &'a Limits,
}

impl Walker<'_> {
    /// (depth below and including this set, complexity of this set).
    fn set(&self, set: &Positioned<SelectionSet>, over: Over, level: usize) -> (usize, usize) {
        // Guard against absurd nesting of fragments.
        if level > 64 {
            return (level, usize::MAX / 4);
        }
        let mut depth = 0;
        let mut complexity = 0_usize;
        for selection in &set.node.items {
            let (d, c) = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    if name.starts_with("__") {
                        continue;
                    }
                    let child = Self::child(over, name);
                    let (d, inner) = if field.selection_set.node.items.is_empty() {
                        (0, 0)
                    } else {
                        self.set(&field.selection_set, child, level + 1)
                    };
                    let factor = match child {
                        Over::Connection(..) => self.page_size(field),
                        _ => 1,
                    };
                    (d + 1, 1 + inner.saturating_mul(factor))
                }
                Selection::FragmentSpread(spread) => {
                    match self.document.fragments.get(&spread.node.fragment_name.node) {
                        Some(fragment) => self.set(&fragment.node.selection_set, over, level + 1),
                        None => (0, 0),
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.set(&inline.node.selection_set, over, level + 1)
                }
            };
            depth = depth.max(d);
            complexity = complexity.saturating_add(c);
        }
        (depth, complexity)
    }

    fn child(over: Over, name: &str) -> Over {
        match over {
            Over::Root => root_field(name),
            Over::Node(label) => match label.rel(name) {
                Some(rel) => match model::label(rel.target) {
                    Some(target) if rel.many => Over::Connection(target),
                    Some(target) => Over::Node(target),
                    None => Over::Other,
                },
                None => Over::Other,
            },
            Over::Connection(label) => match name {
                "edges" => Over::Edge(label),
                _ => Over::Other,
            },
            Over::Edge(label) => match name {
                "node" => Over::Node(label),
                _ => Over::Other,
            },
            Over::Other => Over::Other,
        }
    }

    fn page_size(&self, field: &async_graphql::parser::types::Field) -> usize {
        let mut size = None;
        for name in ["first", "last"] {
            if let Some(value) = field.get_argument(name) {
                let value = value.node.clone().into_const_with(|var| {
                    Ok::<_, std::convert::Infallible>(
                        self.variables.get(&var).cloned().unwrap_or(Value::Null),
                    )
                });
                if let Ok(Value::Number(n)) = value {
                    size = n.as_u64().map(|n| n as usize);
                }
            }
        }
        size.unwrap_or(self.limits.default_page_size).max(1)
    }
}

fn root_field(name: &str) -> Over {
    for label in model::LABELS {
        if name == label.one {
            return Over::Node(label);
        }
        if name == label.many {
            return Over::Connection(label);
        }
        if name == format!("create{}", label.name) || name == format!("update{}", label.name) {
            return Over::Node(label);
        }
    }
    match name {
        "prescribe" => model::label("Prescription").map_or(Over::Other, Over::Node),
        _ => Over::Other,
    }
}

/// The extension that refuses too deep or too complex documents.
pub struct LimitsExtension {
    limits: Arc<Limits>,
}

impl LimitsExtension {
    /// The extension for `limits`.
    pub fn new(limits: Arc<Limits>) -> LimitsExtension {
        LimitsExtension { limits }
    }
}

impl ExtensionFactory for LimitsExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsCheck {
            limits: self.limits.clone(),
        })
    }
}

struct LimitsCheck {
    limits: Arc<Limits>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for LimitsCheck {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = match next.run(ctx, query, variables).await {
            Ok(document) => document,
            Err(mut error) => {
                let code = if error.message.contains("recursion depth") {
                    "QUERY_TOO_DEEP"
                } else {
                    "GRAPHQL_PARSE_FAILED"
                };
                error
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("code", code);
                return Err(error);
            }
        };
        let (depth, complexity) = measure(&document, variables, &self.limits);
        if depth > self.limits.max_depth {
            return Err(GqlError::TooDeep {
                depth,
                limit: self.limits.max_depth,
            }
            .into_server_error());
        }
        if complexity > self.limits.max_complexity {
            return Err(GqlError::TooComplex {
                complexity,
                limit: self.limits.max_complexity,
            }
            .into_server_error());
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|mut error| {
                    error
                        .extensions
                        .get_or_insert_with(Default::default)
                        .set("code", "GRAPHQL_VALIDATION_FAILED");
                    error
                })
                .collect()
        })
    }
}
