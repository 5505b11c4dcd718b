//! What the compiler reads of a selected field, behind one trait: the
//! executor's [`SelectionField`] (inside a resolver) and [`DocField`], the
//! same field read straight from a parsed document and the request's
//! variables (the read fast path, [`super::fast`], which compiles without
//! running the executor). Both resolve arguments and flatten fragments the
//! same way, so the compiler writes the same Cypher from either.

use std::collections::HashMap;

use async_graphql::parser::types::{Field, FragmentDefinition, Selection, VariableDefinition};
use async_graphql::{Name, Positioned, SelectionField, Value, Variables};

use super::compile::Args;
use super::error::GqlError;

/// A selected field as the compiler sees it.
pub trait Selected: Sized {
    /// The field's name.
    fn name(&self) -> &str;
    /// Its alias, if any.
    fn alias(&self) -> Option<&str>;
    /// Its arguments with variables substituted (no defaults added).
    fn arguments(&self) -> Result<Args, GqlError>;
    /// `false` when `@skip(if: true)` or `@include(if: false)` drops it.
    fn is_selected(&self) -> Result<bool, GqlError>;
    /// The fields of its selection set, fragments flattened, in order.
    fn children(&self) -> Vec<Self>;
}

/// `@skip` / `@include` with their `if` arguments resolved.
fn selected_by(directives: &[(String, Option<bool>)]) -> bool {
    !directives.iter().any(|(name, condition)| {
        matches!(
            (name.as_str(), condition),
            ("skip", Some(true)) | ("include", Some(false))
        )
    })
}

impl Selected for SelectionField<'_> {
    fn name(&self) -> &str {
        SelectionField::name(self)
    }

    fn alias(&self) -> Option<&str> {
        SelectionField::alias(self)
    }

    fn arguments(&self) -> Result<Args, GqlError> {
        Ok(SelectionField::arguments(self)
            .map_err(|e| GqlError::BadInput(e.message))?
            .into_iter()
            .collect())
    }

    fn is_selected(&self) -> Result<bool, GqlError> {
        let directives = self
            .directives()
            .map_err(|e| GqlError::BadInput(e.message))?
            .into_iter()
            .map(|directive| {
                let condition = directive
                    .arguments
                    .iter()
                    .find(|(name, _)| name.node.as_str() == "if")
                    .map(|(_, v)| matches!(v.node, Value::Boolean(true)));
                (directive.name.node.to_string(), condition)
            })
            .collect::<Vec<_>>();
        Ok(selected_by(&directives))
    }

    fn children(&self) -> Vec<Self> {
        self.selection_set().collect()
    }
}

/// What a [`DocField`] resolves variables and fragments against: the
/// operation's variable definitions, the request's variables, and the
/// document's fragments.
#[derive(Clone, Copy)]
pub struct DocScope<'a> {
    /// The document's fragments.
    pub fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// The operation's variable definitions.
    pub definitions: &'a [Positioned<VariableDefinition>],
    /// The request's variables.
    pub variables: &'a Variables,
}

impl<'a> DocScope<'a> {
    /// A variable's value as the executor resolves it: the request's
    /// value, else the definition's default.
    fn var_value(&self, name: &str) -> Result<Value, GqlError> {
        self.definitions
            .iter()
            .find(|def| def.node.name.node == name)
            .and_then(|def| {
                self.variables
                    .get(&def.node.name.node)
                    .or_else(|| def.node.default_value())
            })
            .cloned()
            .ok_or_else(|| GqlError::BadInput(format!("Variable {name} is not defined.")))
    }

    /// The fields of a selection set, fragments flattened, in order (as
    /// the executor's `SelectionField::selection_set` walks them).
    pub fn fields_of(self, items: &'a [Positioned<Selection>]) -> Vec<DocField<'a>> {
        let mut out = Vec::new();
        self.collect(items, &mut out, 0);
        out
    }

    fn collect(
        self,
        items: &'a [Positioned<Selection>],
        out: &mut Vec<DocField<'a>>,
        depth: usize,
    ) {
        // Validation refuses fragment cycles; this guards the walk anyway.
        if depth > 64 {
            return;
        }
        for item in items {
            match &item.node {
                Selection::Field(field) => out.push(DocField {
                    field: &field.node,
                    scope: self,
                }),
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = self.fragments.get(&spread.node.fragment_name.node) {
                        self.collect(&fragment.node.selection_set.node.items, out, depth + 1);
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.collect(&inline.node.selection_set.node.items, out, depth + 1);
                }
            }
        }
    }
}

/// A field of a parsed document, read with the request's variables.
#[derive(Clone, Copy)]
pub struct DocField<'a> {
    /// The field.
    pub field: &'a Field,
    scope: DocScope<'a>,
}

impl Selected for DocField<'_> {
    fn name(&self) -> &str {
        self.field.name.node.as_str()
    }

    fn alias(&self) -> Option<&str> {
        self.field.alias.as_ref().map(|alias| alias.node.as_str())
    }

    fn arguments(&self) -> Result<Args, GqlError> {
        let mut args = Args::with_capacity(self.field.arguments.len());
        for (name, value) in &self.field.arguments {
            let value = value
                .node
                .clone()
                .into_const_with(|var| self.scope.var_value(&var))?;
            args.insert(name.node.clone(), value);
        }
        Ok(args)
    }

    fn is_selected(&self) -> Result<bool, GqlError> {
        let mut directives = Vec::with_capacity(self.field.directives.len());
        for directive in &self.field.directives {
            let mut condition = None;
            for (name, value) in &directive.node.arguments {
                let value = value
                    .node
                    .clone()
                    .into_const_with(|var| self.scope.var_value(&var))?;
                if condition.is_none() && name.node.as_str() == "if" {
                    condition = Some(matches!(value, Value::Boolean(true)));
                }
            }
            directives.push((directive.node.name.node.to_string(), condition));
        }
        Ok(selected_by(&directives))
    }

    fn children(&self) -> Vec<Self> {
        self.scope.fields_of(&self.field.selection_set.node.items)
    }
}
