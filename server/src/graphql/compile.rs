//! Compiles a GraphQL selection into ONE Cypher query with parameters.
//!
//! A root field becomes a query whose single row holds the whole answer:
//! nested nodes are map projections, one-node relationship fields are
//! pattern comprehensions, connections are `COUNT { }` and `COLLECT { }`
//! subqueries (sorted and paged inside the subquery). Every value a client
//! sends becomes a parameter; names (labels, types, properties, response
//! keys) come from the model and the validated document and are quoted.
//! The compiler also returns a [`Shape`] that tells [`super::result`] where
//! connections are, so cursors and `pageInfo` can be filled in.

use std::fmt::Write as _;

use async_graphql::{Name, Value};
use cypher::{CypherValue, Params};
use indexmap::IndexMap;

use super::error::GqlError;
use super::model::{self, Dir, Label, Rel};
use super::selection::Selected;
use super::Limits;

/// A compiled query.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The Cypher text.
    pub cypher: String,
    /// Its parameters.
    pub params: Params,
    /// How to read the answer.
    pub shape: Shape,
    /// A read that starts from one node found by key: small and bounded
    /// by page sizes, so it runs on the request's thread.
    pub point: bool,
}

/// Where the answer's parts are.
#[derive(Debug, Clone)]
pub enum Shape {
    /// A value used as it is (scalars, aggregates).
    Value,
    /// A node map: response key → part.
    Object(Vec<(String, Shape)>),
    /// A connection: a map `{total, items}` to turn into edges and pages.
    Connection(Box<ConnShape>),
}

/// A connection's paging and requested fields.
#[derive(Debug, Clone)]
pub struct ConnShape {
    /// Offset of the first item fetched (`None`: counted back from the
    /// total, for `last` without `before`).
    pub offset: Option<usize>,
    /// Items wanted.
    pub limit: usize,
    /// Items were fetched in reverse order (`last` without `before`).
    pub reversed: bool,
    /// The requested fields of the connection.
    pub fields: Vec<(String, ConnField)>,
}

/// A field of a connection.
#[derive(Debug, Clone)]
pub enum ConnField {
    /// `totalCount`.
    TotalCount,
    /// `pageInfo { ... }`.
    PageInfo(Vec<(String, PageField)>),
    /// `edges { ... }`.
    Edges(Vec<(String, EdgeField)>),
    /// `__typename`.
    Typename(String),
}

/// A field of `pageInfo`.
#[derive(Debug, Clone, Copy)]
pub enum PageField {
    /// `hasNextPage`.
    HasNext,
    /// `hasPreviousPage`.
    HasPrevious,
    /// `startCursor`.
    StartCursor,
    /// `endCursor`.
    EndCursor,
    /// `__typename`.
    Typename,
}

/// A field of an edge.
#[derive(Debug, Clone)]
pub enum EdgeField {
    /// `cursor`.
    Cursor,
    /// `node { ... }`.
    Node(Shape),
    /// A relationship property (read from the item's `edge` map).
    Prop,
    /// `__typename`.
    Typename(String),
}

/// How a connection is paged, from its arguments.
struct Paging {
    skip: usize,
    limit: usize,
    /// Fetch one more than `limit` to learn whether a next page exists.
    probe: bool,
    reversed: bool,
    offset: Option<usize>,
    needs_total: bool,
}

/// The compiler of one root field.
pub struct Compiler<'a> {
    pub(super) limits: &'a Limits,
    params: Params,
    vars: usize,
}

/// A field's arguments by name, defaults not applied.
pub type Args = IndexMap<Name, Value>;

/// The arguments of a selected field.
pub fn args_of(field: &impl Selected) -> Result<Args, GqlError> {
    field.arguments()
}

/// `@skip` / `@include` say whether a field is selected.
pub fn is_selected(field: &impl Selected) -> Result<bool, GqlError> {
    field.is_selected()
}

/// The response key: the alias, or the name.
pub fn response_key(field: &impl Selected) -> String {
    field.alias().unwrap_or(field.name()).to_owned()
}

/// Quotes a name for Cypher.
pub fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

impl<'a> Compiler<'a> {
    /// A compiler with the request's limits.
    pub fn new(limits: &'a Limits) -> Compiler<'a> {
        Compiler {
            limits,
            params: Params::new(),
            vars: 0,
        }
    }

    /// A fresh variable name.
    pub fn var(&mut self, prefix: &str) -> String {
        self.vars += 1;
        format!("{prefix}{}", self.vars)
    }

    /// Adds a parameter and returns `$name`.
    pub fn param(&mut self, value: CypherValue) -> String {
        let name = format!("p{}", self.params.len());
        self.params.insert(name.clone(), value);
        format!("${name}")
    }

    /// Finishes with the query text.
    pub fn finish(self, cypher: String, shape: Shape) -> Compiled {
        Compiled {
            cypher,
            params: self.params,
            shape,
            point: false,
        }
    }

    // ----- entry points --------------------------------------------------

    /// `patient(id: ...) { ... }`: one node by key.
    pub fn one_by_key(
        mut self,
        label: &'static Label,
        key: &Value,
        field: &impl Selected,
    ) -> Result<Compiled, GqlError> {
        let key = self.key_param(label, key)?;
        let (projection, shape) = self.node_projection(label, "this", field)?;
        let cypher = format!(
            "MATCH (this:{} {{{}: {key}}}) RETURN {projection} AS result",
            quote(label.name),
            quote(label.key)
        );
        let mut compiled = self.finish(cypher, shape);
        compiled.point = true;
        Ok(compiled)
    }

    /// `patients(...) { ... }`: a connection over every node of a label.
    pub fn root_connection(
        mut self,
        label: &'static Label,
        field: &impl Selected,
    ) -> Result<Compiled, GqlError> {
        let args = args_of(field)?;
        let (expr, shape) = self.connection(
            &format!("(this:{})", quote(label.name)),
            "this",
            None,
            label,
            None,
            &args,
            field,
        )?;
        Ok(self.finish(format!("RETURN {expr} AS result"), shape))
    }

    /// `patientsAggregate(filter: ...) { ... }`.
    pub fn root_aggregate(
        mut self,
        label: &'static Label,
        field: &impl Selected,
    ) -> Result<Compiled, GqlError> {
        let args = args_of(field)?;
        let filter = match args.get("filter") {
            Some(f) => self.node_filter(label, "this", f)?,
            None => None,
        };
        let projection = Self::aggregate_projection(label, "this", field)?;
        let cypher = format!(
            "MATCH (this:{}){} RETURN {projection} AS result",
            quote(label.name),
            filter.map(|f| format!(" WHERE {f}")).unwrap_or_default()
        );
        Ok(self.finish(cypher, Shape::Value))
    }

    /// The key argument as a parameter.
    pub fn key_param(&mut self, label: &Label, key: &Value) -> Result<String, GqlError> {
        match key {
            Value::String(s) => Ok(self.param(CypherValue::String(s.as_str().into()))),
            other => Err(GqlError::BadInput(format!(
                "{}.{} must be a string, got {other}",
                label.name, label.key
            ))),
        }
    }

    // ----- projections ---------------------------------------------------

    /// `var {key: ..., ...}` for the selection of a node, and its shape.
    pub fn node_projection(
        &mut self,
        label: &'static Label,
        var: &str,
        field: &impl Selected,
    ) -> Result<(String, Shape), GqlError> {
        let mut items = Vec::new();
        let mut shapes = Vec::new();
        for child in field.children() {
            if !is_selected(&child)? || child.name() == "__typename" {
                continue;
            }
            let key = response_key(&child);
            let name = child.name();
            let (expr, shape) = if let Some(prop) = label.prop(name) {
                (format!("{var}.{}", quote(prop.name)), Shape::Value)
            } else if let Some(rel) = label.rel(name) {
                self.rel_field(var, rel, &child)?
            } else if let Some(rel) = name.strip_suffix("Aggregate").and_then(|n| label.rel(n)) {
                let target = target_of(rel)?;
                let args = args_of(&child)?;
                let inner = self.var("a");
                let filter = match args.get("filter") {
                    Some(f) => self.node_filter(target, &inner, f)?,
                    None => None,
                };
                let pattern = hop_pattern(var, rel, &inner, None);
                let projection = Self::aggregate_projection(target, &inner, &child)?;
                (
                    format!(
                        "head(COLLECT {{ MATCH {pattern}{} RETURN {projection} }})",
                        filter.map(|f| format!(" WHERE {f}")).unwrap_or_default()
                    ),
                    Shape::Value,
                )
            } else {
                return Err(GqlError::BadInput(format!(
                    "{} has no field `{name}`",
                    label.name
                )));
            };
            items.push(format!("{}: {expr}", quote(&key)));
            shapes.push((key, shape));
        }
        Ok((
            format!("{var} {{{}}}", items.join(", ")),
            Shape::Object(shapes),
        ))
    }

    /// A relationship field: one node, or a connection.
    fn rel_field(
        &mut self,
        var: &str,
        rel: &'static Rel,
        field: &impl Selected,
    ) -> Result<(String, Shape), GqlError> {
        let target = target_of(rel)?;
        let inner = self.var("n");
        if rel.many {
            let args = args_of(field)?;
            let rel_var = (!rel.props.is_empty()).then(|| self.var("r"));
            let pattern = hop_pattern(var, rel, &inner, rel_var.as_deref());
            return self.connection(
                &pattern,
                &inner,
                rel_var.as_deref(),
                target,
                Some(rel),
                &args,
                field,
            );
        }
        let pattern = hop_pattern(var, rel, &inner, None);
        let (projection, shape) = self.node_projection(target, &inner, field)?;
        Ok((format!("head([{pattern} | {projection}])"), shape))
    }

    /// A connection over the matches of `pattern` (binding `var`, and
    /// `rel_var` for relationship properties).
    #[allow(clippy::too_many_arguments)]
    fn connection(
        &mut self,
        pattern: &str,
        var: &str,
        rel_var: Option<&str>,
        label: &'static Label,
        rel: Option<&'static Rel>,
        args: &Args,
        field: &impl Selected,
    ) -> Result<(String, Shape), GqlError> {
        let paging = self.paging(args)?;
        let mut conditions = Vec::new();
        if let Some(filter) = args.get("filter") {
            conditions.extend(self.node_filter(label, var, filter)?);
        }
        if let (Some(edge_filter), Some(rel_var), Some(rel)) =
            (args.get("edgeFilter"), rel_var, rel)
        {
            conditions.extend(self.props_filter(rel.props, rel_var, edge_filter)?);
        }
        let where_clause = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        let distinct = rel.is_some_and(|r| r.hops.len() > 1);

        // What the edges ask for.
        let mut fields = Vec::new();
        let mut node_items: Vec<(String, Shape, String)> = Vec::new();
        let mut edge_items: Vec<String> = Vec::new();
        let mut wants_total = paging.needs_total;
        let mut wants_items = false;
        for child in field.children() {
            if !is_selected(&child)? {
                continue;
            }
            let key = response_key(&child);
            let conn_field = match child.name() {
                "totalCount" => {
                    wants_total = true;
                    ConnField::TotalCount
                }
                "pageInfo" => {
                    wants_items = true;
                    let mut page = Vec::new();
                    for f in child.children() {
                        if !is_selected(&f)? {
                            continue;
                        }
                        let which = match f.name() {
                            "hasNextPage" => PageField::HasNext,
                            "hasPreviousPage" => PageField::HasPrevious,
                            "startCursor" => PageField::StartCursor,
                            "endCursor" => PageField::EndCursor,
                            _ => PageField::Typename,
                        };
                        page.push((response_key(&f), which));
                    }
                    ConnField::PageInfo(page)
                }
                "edges" => {
                    wants_items = true;
                    let mut edge = Vec::new();
                    for f in child.children() {
                        if !is_selected(&f)? {
                            continue;
                        }
                        let fkey = response_key(&f);
                        let which = match f.name() {
                            "cursor" => EdgeField::Cursor,
                            "node" => {
                                let (projection, shape) = self.node_projection(label, var, &f)?;
                                node_items.push((fkey.clone(), shape.clone(), projection));
                                EdgeField::Node(shape)
                            }
                            "__typename" => EdgeField::Typename(String::new()),
                            name => {
                                let prop = rel
                                    .and_then(|r| r.props.iter().find(|p| p.name == name))
                                    .ok_or_else(|| {
                                        GqlError::BadInput(format!("edges have no field `{name}`"))
                                    })?;
                                let rel_var = rel_var.unwrap_or("r");
                                edge_items.push(format!(
                                    "{}: {rel_var}.{}",
                                    quote(&fkey),
                                    quote(prop.name)
                                ));
                                EdgeField::Prop
                            }
                        };
                        edge.push((fkey, which));
                    }
                    ConnField::Edges(edge)
                }
                _ => ConnField::Typename(String::new()),
            };
            fields.push((key, conn_field));
        }

        let mut parts = Vec::new();
        if wants_total {
            let total = if distinct {
                format!("COUNT {{ MATCH {pattern}{where_clause} RETURN DISTINCT {var} }}")
            } else {
                format!("COUNT {{ MATCH {pattern}{where_clause} }}")
            };
            parts.push(format!("total: {total}"));
        }
        if wants_items {
            let sort = Self::sort_keys(label, var, rel_var, rel, args)?;
            let mut item = vec![];
            for (key, _, projection) in &node_items {
                item.push(format!("{}: {projection}", quote(key)));
            }
            let node_map = format!("{{{}}}", item.join(", "));
            let edge_map = format!("{{{}}}", edge_items.join(", "));
            let carried = match rel_var {
                Some(r) => format!("{var}, {r}"),
                None => var.to_owned(),
            };
            let distinct_kw = if distinct { "DISTINCT " } else { "" };
            let order = if sort.is_empty() {
                String::new()
            } else {
                format!(" ORDER BY {}", sort.join(", "))
            };
            let body = format!("MATCH {pattern}{where_clause} WITH {distinct_kw}{carried}{order}");
            let item = format!("{{node: {node_map}, edge: {edge_map}}}");
            if paging.reversed {
                // `last` without `before`: the tail of the whole ordered list.
                let items = if paging.limit == 0 {
                    "[]".to_owned()
                } else {
                    let from = self.param(CypherValue::Integer(-(paging.limit as i64)));
                    format!("COLLECT {{ {body} RETURN {item} }}[{from}..]")
                };
                parts.push(format!("items: {items}"));
            } else {
                let fetch = paging.limit + usize::from(paging.probe);
                let skip = if paging.skip > 0 {
                    format!(
                        " SKIP {}",
                        self.param(CypherValue::Integer(paging.skip as i64))
                    )
                } else {
                    String::new()
                };
                let limit = self.param(CypherValue::Integer(fetch as i64));
                parts.push(format!(
                    "items: COLLECT {{ {body}{skip} LIMIT {limit} RETURN {item} }}"
                ));
            }
        }
        let shape = Shape::Connection(Box::new(ConnShape {
            offset: paging.offset,
            limit: paging.limit,
            reversed: paging.reversed,
            fields,
        }));
        Ok((format!("{{{}}}", parts.join(", ")), shape))
    }

    /// Reads first/after/last/before.
    fn paging(&mut self, args: &Args) -> Result<Paging, GqlError> {
        let int = |name: &str| -> Result<Option<usize>, GqlError> {
            match args.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => match n.as_i64() {
                    Some(i) if i >= 0 => Ok(Some(i as usize)),
                    _ => Err(GqlError::BadInput(format!(
                        "`{name}` must be a non-negative integer, got {n}"
                    ))),
                },
                Some(other) => Err(GqlError::BadInput(format!(
                    "`{name}` must be an integer, got {other}"
                ))),
            }
        };
        let cursor = |name: &str| -> Result<Option<usize>, GqlError> {
            match args.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => {
                    super::result::decode_cursor(s).map(Some).ok_or_else(|| {
                        GqlError::BadInput(format!("`{name}`: `{s}` is not a cursor of this API"))
                    })
                }
                Some(other) => Err(GqlError::BadInput(format!(
                    "`{name}` must be a cursor string, got {other}"
                ))),
            }
        };
        let (first, after, last, before) = (
            int("first")?,
            cursor("after")?,
            int("last")?,
            cursor("before")?,
        );
        let max = self.limits.max_page_size;
        for (name, n) in [("first", first), ("last", last)] {
            if let Some(n) = n.filter(|&n| n > max) {
                return Err(GqlError::BadInput(format!(
                    "`{name}: {n}` is above the largest page size, {max}"
                )));
            }
        }
        if last.is_some() || before.is_some() {
            if first.is_some() || after.is_some() {
                return Err(GqlError::BadInput(
                    "page forward with first/after or backward with last/before, not both".into(),
                ));
            }
            let n = last.unwrap_or(self.limits.default_page_size);
            return Ok(match before {
                Some(end) => {
                    let start = end.saturating_sub(n);
                    Paging {
                        skip: start,
                        limit: end - start,
                        probe: false,
                        reversed: false,
                        offset: Some(start),
                        needs_total: true,
                    }
                }
                None => Paging {
                    skip: 0,
                    limit: n,
                    probe: false,
                    reversed: true,
                    offset: None,
                    needs_total: true,
                },
            });
        }
        let start = after.map_or(0, |a| a + 1);
        Ok(Paging {
            skip: start,
            limit: first.unwrap_or(self.limits.default_page_size),
            probe: true,
            reversed: false,
            offset: Some(start),
            needs_total: false,
        })
    }

    /// ORDER BY keys from `sort` / `edgeSort` (with the key last, so pages
    /// are stable); empty without a sort (natural order, also stable).
    fn sort_keys(
        label: &'static Label,
        var: &str,
        rel_var: Option<&str>,
        rel: Option<&'static Rel>,
        args: &Args,
    ) -> Result<Vec<String>, GqlError> {
        let mut keys = Vec::new();
        let flip = |desc: bool| if desc { "DESC" } else { "ASC" };
        if let (Some(sorts), Some(rel_var), Some(rel)) = (args.get("edgeSort"), rel_var, rel) {
            for (name, desc) in sort_entries(sorts)? {
                let prop = rel
                    .props
                    .iter()
                    .find(|p| p.name == name)
                    .ok_or_else(|| GqlError::BadInput(format!("no edge property `{name}`")))?;
                keys.push(format!("{rel_var}.{} {}", quote(prop.name), flip(desc)));
            }
        }
        if let Some(sorts) = args.get("sort") {
            for (name, desc) in sort_entries(sorts)? {
                if let Some(prop) = label.prop(&name) {
                    keys.push(format!("{var}.{} {}", quote(prop.name), flip(desc)));
                } else if let Some(counted) = name.strip_suffix("Count").and_then(|n| label.rel(n))
                {
                    let pattern = hop_pattern(var, counted, "", None);
                    keys.push(format!("COUNT {{ {pattern} }} {}", flip(desc)));
                } else {
                    return Err(GqlError::BadInput(format!(
                        "{} cannot be sorted by `{name}`",
                        label.name
                    )));
                }
            }
        }
        if !keys.is_empty() {
            keys.push(format!("{var}.{} ASC", quote(label.key)));
        }
        Ok(keys)
    }

    // ----- aggregates ----------------------------------------------------

    /// `{count: count(var), total: {sum: ..., ...}, ...}` for an aggregate
    /// selection over the nodes bound to `var`.
    fn aggregate_projection(
        label: &'static Label,
        var: &str,
        field: &impl Selected,
    ) -> Result<String, GqlError> {
        let mut items = Vec::new();
        for child in field.children() {
            if !is_selected(&child)? || child.name() == "__typename" {
                continue;
            }
            let key = quote(&response_key(&child));
            if child.name() == "count" {
                items.push(format!("{key}: count({var})"));
                continue;
            }
            let prop = label.prop(child.name()).ok_or_else(|| {
                GqlError::BadInput(format!(
                    "{} has no aggregate `{}`",
                    label.name,
                    child.name()
                ))
            })?;
            let access = format!("{var}.{}", quote(prop.name));
            let mut stats = Vec::new();
            for stat in child.children() {
                if !is_selected(&stat)? || stat.name() == "__typename" {
                    continue;
                }
                let function = match stat.name() {
                    "sum" => "sum",
                    "avg" => "avg",
                    "min" => "min",
                    "max" => "max",
                    other => {
                        return Err(GqlError::BadInput(format!("no aggregate `{other}`")));
                    }
                };
                // Sums and averages are floats whatever the property.
                let value = if matches!(function, "sum" | "avg") {
                    format!("toFloat({function}({access}))")
                } else {
                    format!("{function}({access})")
                };
                stats.push(format!("{}: {value}", quote(&response_key(&stat))));
            }
            items.push(format!("{key}: {{{}}}", stats.join(", ")));
        }
        Ok(format!("{{{}}}", items.join(", ")))
    }
}

/// `(var)-[:T]->(inner:Target)` for a relationship field (several hops for
/// derived fields; `rel_var` names the relationship of a one-hop field).
/// An empty `inner` leaves the end node unnamed.
pub fn hop_pattern(var: &str, rel: &Rel, inner: &str, rel_var: Option<&str>) -> String {
    let mut pattern = format!("({var})");
    let last = rel.hops.len().saturating_sub(1);
    for (i, (rel_type, dir, hop_label)) in rel.hops.iter().enumerate() {
        let name = if i == 0 && rel.hops.len() == 1 {
            rel_var.unwrap_or("")
        } else {
            ""
        };
        let arrow = format!("-[{name}:{}]-", quote(rel_type));
        let node_var = if i == last { inner } else { "" };
        let _ = match dir {
            Dir::Out => write!(pattern, "{arrow}>"),
            Dir::In => write!(pattern, "<{arrow}"),
        };
        let _ = write!(pattern, "({node_var}:{})", quote(hop_label));
    }
    pattern
}

pub(super) fn target_of(rel: &Rel) -> Result<&'static Label, GqlError> {
    model::label(rel.target)
        .ok_or_else(|| GqlError::Internal(format!("the model has no label {}", rel.target)))
}

/// `[{name: ASC}, {birthDate: DESC}]` as (field, descending) pairs.
fn sort_entries(value: &Value) -> Result<Vec<(String, bool)>, GqlError> {
    let items: Vec<&Value> = match value {
        Value::List(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        single => vec![single],
    };
    let mut entries = Vec::new();
    for item in items {
        let Value::Object(fields) = item else {
            return Err(GqlError::BadInput(format!(
                "a sort is an object such as {{name: ASC}}, got {item}"
            )));
        };
        for (name, direction) in fields {
            let desc = match direction {
                Value::Enum(d) if d.as_str() == "DESC" => true,
                Value::Enum(d) if d.as_str() == "ASC" => false,
                Value::String(d) if d == "DESC" => true,
                Value::String(d) if d == "ASC" => false,
                Value::Null => continue,
                other => {
                    return Err(GqlError::BadInput(format!(
                        "sort direction of `{name}` must be ASC or DESC, got {other}"
                    )))
                }
            };
            entries.push((name.to_string(), desc));
        }
    }
    Ok(entries)
}
