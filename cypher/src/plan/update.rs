//! Planning the updating clauses (`CREATE`, `MERGE`, `SET`, `REMOVE`) and
//! procedure calls.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::ast::{self, Direction, ExprKind};
use crate::error::{CypherError, ErrorDetail, QueryErrorKind};

use super::expr::compile_error;
use crate::ast::MergeActionKind;

use super::ir::{CreateItem, Expr, Operator, PathPart, ProcedureCall, SetAction};
use super::{Compiler, Scope};

type R<T> = Result<T, CypherError>;

/// The output fields of the built-in procedures.
pub(crate) fn procedure_outputs(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "db.labels" => &["label"],
        "db.relationshiptypes" => &["relationshipType"],
        "db.propertykeys" => &["propertyKey"],
        _ => return None,
    })
}

/// Whether a literal argument fits a declared procedure input type
/// (non-literals are checked when the procedure runs).
fn literal_fits(arg: &ast::Expr, declared: &str) -> bool {
    let ExprKind::Literal(lit) = &arg.kind else {
        return true;
    };
    let declared = declared.trim_end_matches('?').to_ascii_uppercase();
    match lit {
        ast::Literal::Null => true,
        ast::Literal::Boolean(_) => matches!(declared.as_str(), "BOOLEAN" | "ANY"),
        ast::Literal::Integer(_) => {
            matches!(declared.as_str(), "INTEGER" | "FLOAT" | "NUMBER" | "ANY")
        }
        ast::Literal::Float(_) => matches!(declared.as_str(), "FLOAT" | "NUMBER" | "ANY"),
        ast::Literal::String(_) => matches!(declared.as_str(), "STRING" | "ANY"),
    }
}

impl Compiler<'_> {
    /// The nodes and relationships of a CREATE (or the create half of a
    /// MERGE). New variables are bound in `scope`.
    pub(crate) fn create_items(
        &mut self,
        parts: &[ast::PatternPart],
        scope: &mut Scope,
        preassigned: Option<&Scope>,
    ) -> R<Vec<CreateItem>> {
        let fresh = |this: &mut Self, name: Option<&str>| {
            name.and_then(|n| preassigned.and_then(|p| p.get(n)))
                .unwrap_or_else(|| this.new_slot())
        };
        let mut items = Vec::new();
        for part in parts {
            let mut path_parts = Vec::new();
            let mut previous = None;
            let element = &part.element;
            for (i, node) in element.nodes().enumerate() {
                let slot = match node.variable.as_ref().and_then(|v| scope.get(&v.name)) {
                    Some(slot) => {
                        let fresh_in_this_clause = items
                            .iter()
                            .any(|it| matches!(it, CreateItem::Node { slot: s, .. } if *s == slot));
                        if (!node.labels.is_empty() || node.properties.is_some())
                            && (element.steps.is_empty() || !fresh_in_this_clause)
                        {
                            let name = node.variable.as_ref().map_or("", |v| v.name.as_str());
                            return Err(compile_error(
                                QueryErrorKind::Syntax,
                                Some(ErrorDetail::VariableAlreadyBound),
                                format!("Variable `{name}` already declared"),
                                node.span.start,
                            ));
                        }
                        if element.steps.is_empty() {
                            let name = node.variable.as_ref().map_or("", |v| v.name.as_str());
                            return Err(compile_error(
                                QueryErrorKind::Syntax,
                                Some(ErrorDetail::VariableAlreadyBound),
                                format!("Variable `{name}` already declared"),
                                node.span.start,
                            ));
                        }
                        slot
                    }
                    None => {
                        let slot = fresh(self, node.variable.as_ref().map(|v| v.name.as_str()));
                        if let Some(v) = &node.variable {
                            scope.bind(&v.name, slot);
                        }
                        items.push(CreateItem::Node {
                            slot,
                            labels: node.labels.iter().map(|l| l.as_str().into()).collect(),
                            properties: node
                                .properties
                                .as_ref()
                                .map(|p| self.expr(p, scope))
                                .transpose()?,
                        });
                        slot
                    }
                };
                if i == 0 {
                    path_parts.push(PathPart::Node(slot));
                }
                if let Some(prev) = previous {
                    let rel = &element.steps[i - 1].relationship;
                    let rel_slot = fresh(self, rel.variable.as_ref().map(|v| v.name.as_str()));
                    if let Some(v) = &rel.variable {
                        if scope.get(&v.name).is_some() {
                            return Err(compile_error(
                                QueryErrorKind::Syntax,
                                Some(ErrorDetail::VariableAlreadyBound),
                                format!("Variable `{}` already declared", v.name),
                                v.span.start,
                            ));
                        }
                        scope.bind(&v.name, rel_slot);
                    }
                    let (start, end) = match rel.direction {
                        Direction::Incoming => (slot, prev),
                        _ => (prev, slot),
                    };
                    let rel_type: Arc<str> = rel.types.first().map_or("", String::as_str).into();
                    items.push(CreateItem::Rel {
                        slot: rel_slot,
                        start,
                        end,
                        rel_type,
                        properties: rel
                            .properties
                            .as_ref()
                            .map(|p| self.expr(p, scope))
                            .transpose()?,
                    });
                    path_parts.push(PathPart::Rel(rel_slot));
                }
                previous = Some(slot);
            }
            if let Some(v) = &part.variable {
                let slot = fresh(self, Some(v.name.as_str()));
                scope.bind(&v.name, slot);
                items.push(CreateItem::Path {
                    slot,
                    parts: path_parts,
                });
            }
        }
        Ok(items)
    }

    /// Plans a MERGE.
    pub(crate) fn merge(&mut self, m: &ast::MergeClause, scope: &mut Scope) -> R<Operator> {
        let before = scope.clone();
        let mut match_scope = scope.clone();
        let pattern = self.pattern(
            std::slice::from_ref(&m.pattern),
            None,
            &mut match_scope,
            false,
        )?;
        // The create half binds the same variables to the same slots.
        let mut create_scope = before;
        let create = self.create_items(
            std::slice::from_ref(&m.pattern),
            &mut create_scope,
            Some(&match_scope),
        )?;
        *scope = match_scope;
        let mut on_create = Vec::new();
        let mut on_match = Vec::new();
        for action in &m.actions {
            for item in &action.items {
                let compiled = self.set_item(item, scope)?;
                match action.on {
                    MergeActionKind::Create => on_create.push(compiled),
                    MergeActionKind::Match => on_match.push(compiled),
                }
            }
        }
        Ok(Operator::Merge {
            pattern: Arc::new(pattern),
            create,
            on_create,
            on_match,
        })
    }

    /// The entity and key of a `n.key` written by SET or REMOVE.
    fn property_target(
        &mut self,
        property: &ast::Expr,
        clause: &str,
        scope: &Scope,
    ) -> R<(Expr, Arc<str>)> {
        let ExprKind::Property { expr, key } = &property.kind else {
            return Err(compile_error(
                QueryErrorKind::Syntax,
                Some(ErrorDetail::UnexpectedSyntax),
                format!("{clause} needs a property"),
                property.span.start,
            ));
        };
        Ok((self.expr(expr, scope)?, key.as_str().into()))
    }

    /// One SET item.
    pub(crate) fn set_item(&mut self, item: &ast::SetItem, scope: &Scope) -> R<SetAction> {
        Ok(match item {
            ast::SetItem::Property { property, value } => {
                let (target, key) = self.property_target(property, "SET", scope)?;
                SetAction::Property {
                    target,
                    key,
                    value: self.expr(value, scope)?,
                }
            }
            ast::SetItem::Replace { variable, value } => SetAction::Replace {
                target: Self::variable(variable, scope)?,
                value: self.expr(value, scope)?,
            },
            ast::SetItem::Merge { variable, value } => SetAction::Merge {
                target: Self::variable(variable, scope)?,
                value: self.expr(value, scope)?,
            },
            ast::SetItem::Labels { variable, labels } => SetAction::AddLabels {
                target: Self::variable(variable, scope)?,
                labels: labels.iter().map(|l| l.as_str().into()).collect(),
            },
        })
    }

    /// One REMOVE item.
    pub(crate) fn remove_item(&mut self, item: &ast::RemoveItem, scope: &Scope) -> R<SetAction> {
        Ok(match item {
            ast::RemoveItem::Property(property) => {
                let (target, key) = self.property_target(property, "REMOVE", scope)?;
                SetAction::Property {
                    target,
                    key,
                    value: Expr::Const(crate::CypherValue::Null),
                }
            }
            ast::RemoveItem::Labels { variable, labels } => SetAction::RemoveLabels {
                target: Self::variable(variable, scope)?,
                labels: labels.iter().map(|l| l.as_str().into()).collect(),
            },
        })
    }

    fn variable(v: &ast::Ident, scope: &Scope) -> R<Expr> {
        scope.get(&v.name).map(Expr::Slot).ok_or_else(|| {
            compile_error(
                QueryErrorKind::Syntax,
                Some(ErrorDetail::UndefinedVariable),
                format!("Variable `{}` not defined", v.name),
                v.span.start,
            )
        })
    }

    /// Plans a CALL; returns it and, for a standalone call, its columns.
    pub(crate) fn call(
        &mut self,
        c: &ast::CallClause,
        scope: &mut Scope,
        standalone: bool,
    ) -> R<(ProcedureCall, Vec<(String, usize)>)> {
        let name = c.procedure.full_name();
        let lower = name.to_ascii_lowercase();
        let outputs: Vec<String> = match procedure_outputs(&lower) {
            Some(o) => o.iter().map(|s| (*s).to_string()).collect(),
            None => match self.procedures.and_then(|p| p.get(&lower)) {
                Some(spec) => spec.outputs.clone(),
                None => {
                    return Err(compile_error(
                        QueryErrorKind::ProcedureError,
                        Some(ErrorDetail::ProcedureNotFound),
                        format!("There is no procedure with the name `{name}` registered"),
                        c.span.start,
                    ))
                }
            },
        };
        let inputs = self
            .procedures
            .and_then(|p| p.get(&lower))
            .map_or(0, |spec| spec.inputs.len());
        let args = match &c.args {
            Some(args) => {
                if args.len() != inputs {
                    return Err(compile_error(
                        QueryErrorKind::Syntax,
                        Some(ErrorDetail::InvalidNumberOfArguments),
                        format!(
                            "Procedure call `{name}` takes {inputs} arguments, {} given",
                            args.len()
                        ),
                        c.span.start,
                    ));
                }
                if let Some(spec) = self.procedures.and_then(|p| p.get(&lower)) {
                    for (arg, declared) in args.iter().zip(&spec.input_types) {
                        if !literal_fits(arg, declared) {
                            return Err(compile_error(
                                QueryErrorKind::Syntax,
                                Some(ErrorDetail::InvalidArgumentType),
                                format!("Type mismatch: `{name}` expects {declared}"),
                                arg.span.start,
                            ));
                        }
                    }
                }
                args.iter()
                    .map(|a| self.expr(a, scope))
                    .collect::<R<Vec<_>>>()?
            }
            None => {
                if !standalone {
                    return Err(compile_error(
                        QueryErrorKind::Syntax,
                        Some(ErrorDetail::InvalidArgumentPassingMode),
                        "Procedure call inside a query does not support passing arguments implicitly",
                        c.span.start,
                    ));
                }
                // Implicit arguments come from parameters of the same names.
                let spec_inputs = self
                    .procedures
                    .and_then(|p| p.get(&lower))
                    .map(|s| s.inputs.clone())
                    .unwrap_or_default();
                spec_inputs
                    .iter()
                    .map(|n| {
                        if self.params.contains_key(n) {
                            Ok(Expr::Param(n.as_str().into()))
                        } else {
                            Err(compile_error(
                                QueryErrorKind::ParameterMissing,
                                Some(ErrorDetail::MissingParameter),
                                format!("Expected parameter(s): {n}"),
                                c.span.start,
                            ))
                        }
                    })
                    .collect::<R<Vec<_>>>()?
            }
        };
        let mut yields = Vec::new();
        let mut columns = Vec::new();
        match &c.yields {
            Some(y) => match &y.items {
                Some(items) => {
                    let mut seen = BTreeSet::new();
                    for item in items {
                        if !outputs.iter().any(|o| o == &item.field) {
                            return Err(compile_error(
                                QueryErrorKind::Syntax,
                                Some(ErrorDetail::UndefinedVariable),
                                format!("Unknown procedure output: `{}`", item.field),
                                item.span.start,
                            ));
                        }
                        let var = item.variable().to_string();
                        if !seen.insert(var.clone()) || scope.get(&var).is_some() {
                            return Err(compile_error(
                                QueryErrorKind::Syntax,
                                Some(ErrorDetail::VariableAlreadyBound),
                                format!("Variable `{var}` already declared"),
                                item.span.start,
                            ));
                        }
                        let slot = self.new_slot();
                        scope.bind(&var, slot);
                        yields.push((item.field.clone(), slot));
                        columns.push((var, slot));
                    }
                }
                None => {
                    for o in &outputs {
                        let slot = self.new_slot();
                        scope.bind(o, slot);
                        yields.push((o.clone(), slot));
                        columns.push((o.clone(), slot));
                    }
                }
            },
            None => {
                for o in &outputs {
                    let slot = self.new_slot();
                    if standalone {
                        scope.bind(o, slot);
                    }
                    yields.push((o.clone(), slot));
                    columns.push((o.clone(), slot));
                }
            }
        }
        Ok((
            ProcedureCall {
                name: lower,
                args,
                yields,
                standalone,
            },
            columns,
        ))
    }
}
