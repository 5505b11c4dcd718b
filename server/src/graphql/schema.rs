//! The schema, generated from the model: an object type per label with its
//! properties and relationship fields, connections, filters, sorts,
//! aggregates, and the entry points of `Query`.

use async_graphql::dynamic::{
    Enum, EnumItem, Field, FieldFuture, FieldValue, InputObject, InputValue, Object,
    ResolverContext, Scalar, SchemaBuilder, TypeRef,
};
use async_graphql::Value;

use super::compile::Compiler;
use super::error::resolve;
use super::model::{self, Label, Prop, PropType, Rel};
use super::Api;

/// Registers every generated type on `builder` and returns the `Query`
/// object to finish it with.
pub fn register_types(mut builder: SchemaBuilder) -> (SchemaBuilder, Object) {
    builder = builder
        .register(Scalar::new("Date").description("A calendar date, `YYYY-MM-DD` (ISO 8601)."))
        .register(Scalar::new("DateTime").description(
            "A date-time with its UTC offset, ISO 8601 (`2020-01-31T09:30:00+01:00`).",
        ))
        .register(Scalar::new("JSON").description("Any JSON value."))
        .register(
            Enum::new("SortDirection")
                .description("Sort order.")
                .item(EnumItem::new("ASC").description("Smallest first."))
                .item(EnumItem::new("DESC").description("Largest first.")),
        )
        .register(page_info())
        .register(number_aggregate())
        .register(temporal_aggregate("Date"))
        .register(temporal_aggregate("DateTime"));
    for scalar in [
        "ID", "String", "Int", "Float", "Boolean", "Date", "DateTime",
    ] {
        builder = builder.register(scalar_filter(scalar));
    }
    let mut query = Object::new("Query").description(
        "Entry points: one node by key, a connection over a label, an aggregate over a label.",
    );
    for label in model::LABELS {
        builder = builder
            .register(node_type(label))
            .register(connection_type(label.name, label.name, &[]))
            .register(edge_type(label.name, label.name, &[]))
            .register(filter_type(label))
            .register(sort_type(label))
            .register(aggregate_type(label));
        for rel in label.rels {
            builder = builder
                .register(rel_where_type(label, rel))
                .register(rel_filter_type(label, rel));
            if !rel.props.is_empty() {
                let prefix = rel_prefix(label, rel);
                builder = builder
                    .register(connection_type(&prefix, rel.target, rel.props))
                    .register(edge_type(&prefix, rel.target, rel.props))
                    .register(props_filter_type(&format!("{prefix}EdgeFilter"), rel.props))
                    .register(props_sort_type(&format!("{prefix}EdgeSort"), rel.props));
            }
        }
        query = query
            .field(one_entry(label))
            .field(many_entry(label))
            .field(aggregate_entry(label));
    }
    (builder, query)
}

/// `PatientConditions` for `Patient.conditions`.
pub(super) fn rel_prefix(label: &Label, rel: &Rel) -> String {
    let mut field = rel.field.to_string();
    if let Some(first) = field.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    format!("{}{field}", label.name)
}

fn prop_type(prop: &Prop) -> TypeRef {
    match prop.ty {
        PropType::Key => TypeRef::named_nn(prop.ty.scalar()),
        _ => TypeRef::named(prop.ty.scalar()),
    }
}

/// The parent's pre-computed value of the field being resolved, by
/// response key.
fn parent_field<'a>(ctx: &ResolverContext<'a>) -> Option<&'a Value> {
    let field = ctx.ctx.field();
    let key = field.alias().unwrap_or(field.name());
    let parent = ctx
        .parent_value
        .downcast_ref::<Value>()
        .or_else(|| ctx.parent_value.as_value());
    match parent {
        Some(Value::Object(map)) => map.get(key),
        _ => None,
    }
}

/// A field read from the parent's pre-computed value, by response key.
/// Objects and lists of objects are lent to the children, not copied.
#[allow(clippy::needless_pass_by_value)] // the resolver signature async-graphql calls
pub fn from_parent(ctx: ResolverContext<'_>) -> FieldFuture<'_> {
    FieldFuture::Value(match parent_field(&ctx) {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(FieldValue::borrowed_any(v)),
        Some(Value::List(items)) => Some(FieldValue::list(items.iter().map(|item| match item {
            Value::Object(_) => FieldValue::borrowed_any(item),
            other => FieldValue::value(other.clone()),
        }))),
        Some(v) => Some(FieldValue::value(v.clone())),
    })
}

/// A field read from the parent by response key and copied: for scalars
/// whose values are objects (`JSON`).
#[allow(clippy::needless_pass_by_value)] // the resolver signature async-graphql calls
pub fn copy_from_parent(ctx: ResolverContext<'_>) -> FieldFuture<'_> {
    FieldFuture::Value(
        parent_field(&ctx)
            .filter(|v| !matches!(v, Value::Null))
            .map(|v| FieldValue::value(v.clone())),
    )
}

fn node_type(label: &'static Label) -> Object {
    let mut object = Object::new(label.name).description(label.doc);
    for prop in label.props {
        object =
            object.field(Field::new(prop.name, prop_type(prop), from_parent).description(prop.doc));
    }
    for rel in label.rels {
        if rel.many {
            let connection = if rel.props.is_empty() {
                format!("{}Connection", rel.target)
            } else {
                format!("{}Connection", rel_prefix(label, rel))
            };
            let mut field = Field::new(rel.field, TypeRef::named_nn(connection), from_parent)
                .description(rel.doc);
            for arg in connection_args(rel.target) {
                field = field.argument(arg);
            }
            if !rel.props.is_empty() {
                let prefix = rel_prefix(label, rel);
                field = field
                    .argument(
                        InputValue::new(
                            "edgeFilter",
                            TypeRef::named(format!("{prefix}EdgeFilter")),
                        )
                        .description("Conditions on the relationship's properties."),
                    )
                    .argument(
                        InputValue::new(
                            "edgeSort",
                            TypeRef::named_nn_list(format!("{prefix}EdgeSort")),
                        )
                        .description("Sort by the relationship's properties (before `sort`)."),
                    );
            }
            object = object.field(field);
            object = object.field(
                Field::new(
                    format!("{}Aggregate", rel.field),
                    TypeRef::named_nn(format!("{}Aggregate", rel.target)),
                    from_parent,
                )
                .description(format!("Count and statistics over `{}`.", rel.field))
                .argument(
                    InputValue::new("filter", TypeRef::named(format!("{}Filter", rel.target)))
                        .description("Only the related nodes that match."),
                ),
            );
        } else {
            object = object.field(
                Field::new(rel.field, TypeRef::named(rel.target), from_parent).description(rel.doc),
            );
        }
    }
    object
}

fn connection_args(target: &str) -> Vec<InputValue> {
    vec![
        InputValue::new("first", TypeRef::named(TypeRef::INT))
            .description("Page size, counting forward (default 20, at most the server's maximum)."),
        InputValue::new("after", TypeRef::named(TypeRef::STRING))
            .description("Start after this cursor."),
        InputValue::new("last", TypeRef::named(TypeRef::INT))
            .description("Page size, counting back from the end or from `before`."),
        InputValue::new("before", TypeRef::named(TypeRef::STRING))
            .description("End before this cursor."),
        InputValue::new("filter", TypeRef::named(format!("{target}Filter")))
            .description("Only nodes that match."),
        InputValue::new("sort", TypeRef::named_nn_list(format!("{target}Sort")))
            .description("Sort keys, in order; ties are broken by the key. Without a sort, the order is the store's (stable)."),
    ]
}

fn connection_type(prefix: &str, target: &str, props: &[Prop]) -> Object {
    let _ = (target, props);
    Object::new(format!("{prefix}Connection"))
        .description("A page of a list (Relay connection).")
        .field(
            Field::new(
                "edges",
                TypeRef::named_nn_list_nn(format!("{prefix}Edge")),
                from_parent,
            )
            .description("The items of the page."),
        )
        .field(
            Field::new("pageInfo", TypeRef::named_nn("PageInfo"), from_parent)
                .description("Where the page lies in the whole list."),
        )
        .field(
            Field::new("totalCount", TypeRef::named_nn(TypeRef::INT), from_parent)
                .description("Items in the whole list (after filters)."),
        )
}

fn edge_type(prefix: &str, target: &str, props: &[Prop]) -> Object {
    let mut object = Object::new(format!("{prefix}Edge"))
        .description("An item of a page, with its cursor.")
        .field(
            Field::new("cursor", TypeRef::named_nn(TypeRef::STRING), from_parent)
                .description("Pass to `after`/`before` to page from here."),
        )
        .field(Field::new("node", TypeRef::named_nn(target), from_parent).description("The node."));
    for prop in props {
        object =
            object.field(Field::new(prop.name, prop_type(prop), from_parent).description(prop.doc));
    }
    object
}

fn page_info() -> Object {
    Object::new("PageInfo")
        .description("Paging state of a connection.")
        .field(
            Field::new(
                "hasNextPage",
                TypeRef::named_nn(TypeRef::BOOLEAN),
                from_parent,
            )
            .description("More items follow."),
        )
        .field(
            Field::new(
                "hasPreviousPage",
                TypeRef::named_nn(TypeRef::BOOLEAN),
                from_parent,
            )
            .description("Items come before."),
        )
        .field(
            Field::new("startCursor", TypeRef::named(TypeRef::STRING), from_parent)
                .description("Cursor of the first item."),
        )
        .field(
            Field::new("endCursor", TypeRef::named(TypeRef::STRING), from_parent)
                .description("Cursor of the last item."),
        )
}

fn number_aggregate() -> Object {
    let mut object = Object::new("NumberAggregate")
        .description("Statistics of a numeric property (nulls skipped).");
    for (name, doc) in [
        ("sum", "Sum."),
        ("avg", "Mean."),
        ("min", "Smallest."),
        ("max", "Largest."),
    ] {
        object = object
            .field(Field::new(name, TypeRef::named(TypeRef::FLOAT), from_parent).description(doc));
    }
    object
}

fn temporal_aggregate(scalar: &str) -> Object {
    Object::new(format!("{scalar}Aggregate"))
        .description("Earliest and latest value.")
        .field(Field::new("min", TypeRef::named(scalar), from_parent).description("Earliest."))
        .field(Field::new("max", TypeRef::named(scalar), from_parent).description("Latest."))
}

fn aggregate_type(label: &Label) -> Object {
    let mut object = Object::new(format!("{}Aggregate", label.name))
        .description(format!("Count and statistics over {} nodes.", label.name))
        .field(
            Field::new("count", TypeRef::named_nn(TypeRef::INT), from_parent)
                .description("How many."),
        );
    for prop in label.props {
        let ty = match prop.ty {
            PropType::Int | PropType::Float => "NumberAggregate",
            PropType::Date => "DateAggregate",
            PropType::DateTime => "DateTimeAggregate",
            _ => continue,
        };
        object = object
            .field(Field::new(prop.name, TypeRef::named_nn(ty), from_parent).description(prop.doc));
    }
    object
}

fn scalar_filter(scalar: &str) -> InputObject {
    let mut input = InputObject::new(format!("{scalar}Filter"))
        .description(format!(
            "Conditions on a {scalar} property; all given must hold."
        ))
        .field(InputValue::new("eq", TypeRef::named(scalar)).description("Equal to."))
        .field(InputValue::new("ne", TypeRef::named(scalar)).description("Not equal to."))
        .field(InputValue::new("in", TypeRef::named_nn_list(scalar)).description("One of."))
        .field(InputValue::new("notIn", TypeRef::named_nn_list(scalar)).description("None of."))
        .field(
            InputValue::new("isNull", TypeRef::named(TypeRef::BOOLEAN))
                .description("Absent (true) or present (false)."),
        );
    if scalar != "Boolean" {
        for (op, doc) in [
            ("lt", "Less than."),
            ("lte", "At most."),
            ("gt", "Greater than."),
            ("gte", "At least."),
        ] {
            input = input.field(InputValue::new(op, TypeRef::named(scalar)).description(doc));
        }
    }
    if matches!(scalar, "String" | "ID") {
        for (op, doc) in [
            ("contains", "Contains."),
            ("startsWith", "Starts with."),
            ("endsWith", "Ends with."),
        ] {
            input = input.field(InputValue::new(op, TypeRef::named(scalar)).description(doc));
        }
    }
    input
}

fn filter_type(label: &Label) -> InputObject {
    let name = format!("{}Filter", label.name);
    let mut input = InputObject::new(&name)
        .description(format!(
            "Conditions on {} nodes; all given must hold.",
            label.name
        ))
        .field(InputValue::new("AND", TypeRef::named_nn_list(&name)).description("All of these."))
        .field(InputValue::new("OR", TypeRef::named_nn_list(&name)).description("Any of these."))
        .field(InputValue::new("NOT", TypeRef::named(&name)).description("Not this."));
    for prop in label.props {
        input = input.field(
            InputValue::new(
                prop.name,
                TypeRef::named(format!("{}Filter", prop.ty.scalar())),
            )
            .description(prop.doc),
        );
    }
    for rel in label.rels {
        input = input.field(
            InputValue::new(
                rel.field,
                TypeRef::named(format!("{}RelFilter", rel_prefix(label, rel))),
            )
            .description(format!(
                "Conditions on `{}`: some, none or all related nodes match.",
                rel.field
            )),
        );
    }
    input
}

fn rel_where_type(label: &Label, rel: &Rel) -> InputObject {
    let prefix = rel_prefix(label, rel);
    let mut input = InputObject::new(format!("{prefix}Where"))
        .description(format!(
            "A related node of `{}` (and its relationship) that matches.",
            rel.field
        ))
        .field(
            InputValue::new("node", TypeRef::named(format!("{}Filter", rel.target)))
                .description("Conditions on the related node."),
        );
    if !rel.props.is_empty() {
        input = input.field(
            InputValue::new("edge", TypeRef::named(format!("{prefix}EdgeFilter")))
                .description("Conditions on the relationship."),
        );
    }
    input
}

fn rel_filter_type(label: &Label, rel: &Rel) -> InputObject {
    let prefix = rel_prefix(label, rel);
    let where_type = format!("{prefix}Where");
    InputObject::new(format!("{prefix}RelFilter"))
        .description(format!("Quantified conditions on `{}`.", rel.field))
        .field(
            InputValue::new("some", TypeRef::named(&where_type))
                .description("At least one related node matches."),
        )
        .field(
            InputValue::new("none", TypeRef::named(&where_type))
                .description("No related node matches."),
        )
        .field(
            InputValue::new("all", TypeRef::named(&where_type))
                .description("Every related node matches."),
        )
}

fn props_filter_type(name: &str, props: &[Prop]) -> InputObject {
    let mut input = InputObject::new(name).description("Conditions on relationship properties.");
    for prop in props {
        input = input.field(
            InputValue::new(
                prop.name,
                TypeRef::named(format!("{}Filter", prop.ty.scalar())),
            )
            .description(prop.doc),
        );
    }
    input
}

fn props_sort_type(name: &str, props: &[Prop]) -> InputObject {
    let mut input = InputObject::new(name).description("A sort key over relationship properties.");
    for prop in props {
        input = input.field(
            InputValue::new(prop.name, TypeRef::named("SortDirection")).description(prop.doc),
        );
    }
    input
}

fn sort_type(label: &Label) -> InputObject {
    let mut input = InputObject::new(format!("{}Sort", label.name))
        .description("A sort key: set one field per list item, to ASC or DESC.");
    for prop in label.props.iter().filter(|p| p.ty.is_ordered()) {
        input = input.field(
            InputValue::new(prop.name, TypeRef::named("SortDirection")).description(prop.doc),
        );
    }
    for rel in label.rels.iter().filter(|r| r.many) {
        input = input.field(
            InputValue::new(
                format!("{}Count", rel.field),
                TypeRef::named("SortDirection"),
            )
            .description(format!("By the number of `{}`.", rel.field)),
        );
    }
    input
}

fn one_entry(label: &'static Label) -> Field {
    Field::new(label.one, TypeRef::named(label.name), move |ctx| {
        resolve(async move {
            let api = ctx.data::<std::sync::Arc<Api>>()?;
            let key = ctx.args.try_get(label.key)?.as_value().clone();
            let compiled = Compiler::new(&api.limits).one_by_key(label, &key, &ctx.ctx.field())?;
            Ok(api
                .read(&super::request_of(ctx.ctx)?, compiled)
                .await?
                .map(FieldValue::owned_any))
        })
    })
    .description(format!("One {} by its key, or null.", label.name))
    .argument(InputValue::new(label.key, TypeRef::named_nn(TypeRef::ID)).description("The key."))
}

fn many_entry(label: &'static Label) -> Field {
    let mut field = Field::new(
        label.many,
        TypeRef::named_nn(format!("{}Connection", label.name)),
        move |ctx| {
            resolve(async move {
                let api = ctx.data::<std::sync::Arc<Api>>()?;
                let compiled =
                    Compiler::new(&api.limits).root_connection(label, &ctx.ctx.field())?;
                Ok(api
                    .read(&super::request_of(ctx.ctx)?, compiled)
                    .await?
                    .map(FieldValue::owned_any))
            })
        },
    )
    .description(format!("{} nodes, a page at a time.", label.name));
    for arg in connection_args(label.name) {
        field = field.argument(arg);
    }
    field
}

fn aggregate_entry(label: &'static Label) -> Field {
    Field::new(
        format!("{}Aggregate", label.many),
        TypeRef::named_nn(format!("{}Aggregate", label.name)),
        move |ctx| {
            resolve(async move {
                let api = ctx.data::<std::sync::Arc<Api>>()?;
                let compiled =
                    Compiler::new(&api.limits).root_aggregate(label, &ctx.ctx.field())?;
                Ok(api
                    .read(&super::request_of(ctx.ctx)?, compiled)
                    .await?
                    .map(FieldValue::owned_any))
            })
        },
    )
    .description(format!("Count and statistics over {} nodes.", label.name))
    .argument(
        InputValue::new("filter", TypeRef::named(format!("{}Filter", label.name)))
            .description("Only nodes that match."),
    )
}
