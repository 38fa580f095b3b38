//! Variable assignments and the boolean conditions of `if`, evaluated in
//! text order as upstream does while parsing.

use super::variables::SetVariable;
use super::{Resolver, codes};
use crate::diagnostic::Diagnostic;
use crate::parse::ast;
use crate::source::Span;

impl Resolver<'_> {
    pub(super) fn assign_set(&mut self, assignment: &ast::VariableAssignment, chain: &[Span]) {
        let name = assignment.name.clone();
        let values: Vec<String> = assignment.values.iter().map(|w| w.text.clone()).collect();
        let exists =
            self.symbols.sets.contains_key(&name) || self.symbols.booleans.contains_key(&name);
        match assignment.op {
            ast::AssignOp::Append => match self.symbols.sets.get_mut(&name) {
                Some(variable) => variable.values.extend(values),
                None => {
                    let message =
                        format!("`@{{{name}}}` gets values with `+=` but was never defined");
                    self.error(
                        codes::VARIABLE,
                        "bad-variable",
                        assignment.name_span,
                        chain,
                        message,
                        "not defined",
                    );
                }
            },
            ast::AssignOp::Define if exists => {
                let message = format!("variable `@{{{name}}}` is already defined");
                let mut diagnostic = Diagnostic::error(codes::VARIABLE, "bad-variable", message)
                    .with_primary(assignment.name_span, "defined again here")
                    .with_help("write `+=` to add values, or `:=` to replace them")
                    .with_include_chain(chain.to_vec());
                if let Some(previous) = self.symbols.sets.get(&name) {
                    diagnostic = diagnostic.with_secondary(previous.span, "first defined here");
                }
                self.report(diagnostic);
            }
            ast::AssignOp::DefineIfUndefined if exists => {}
            _ => {
                self.symbols.booleans.remove(&name);
                let variable = SetVariable {
                    values,
                    span: assignment.name_span,
                };
                self.symbols.sets.insert(name, variable);
            }
        }
    }

    pub(super) fn assign_boolean(&mut self, assignment: &ast::BooleanAssignment, chain: &[Span]) {
        let name = &assignment.name;
        let exists =
            self.symbols.booleans.contains_key(name) || self.symbols.sets.contains_key(name);
        let problem = match assignment.op {
            ast::AssignOp::Append => Some("`+=` is not allowed with boolean variables"),
            ast::AssignOp::Define if exists => Some("boolean variable is already defined"),
            _ => None,
        };
        if let Some(problem) = problem {
            let message = format!("{problem}: `${name}`");
            self.error(
                codes::VARIABLE,
                "bad-variable",
                assignment.span,
                chain,
                message,
                "here",
            );
            return;
        }
        let Some(value) = self.evaluate(&assignment.value, chain) else {
            return;
        };
        if assignment.op == ast::AssignOp::DefineIfUndefined && exists {
            return;
        }
        self.symbols.sets.remove(name);
        self.symbols.booleans.insert(name.clone(), value);
    }

    /// Evaluates a condition; `None` after reporting an error.
    pub(super) fn evaluate(&mut self, expr: &ast::Expr, chain: &[Span]) -> Option<bool> {
        match expr {
            ast::Expr::Boolean(name, span) => match self.symbols.booleans.get(name) {
                Some(value) => Some(*value),
                None => {
                    let message = format!("boolean variable `${name}` is not defined");
                    self.error(
                        codes::CONDITIONAL,
                        "bad-condition",
                        *span,
                        chain,
                        message,
                        "not defined",
                    );
                    None
                }
            },
            ast::Expr::Defined { name, set, .. } => Some(if *set {
                self.symbols.sets.contains_key(name)
            } else {
                self.symbols.booleans.contains_key(name)
            }),
            ast::Expr::Literal(word) => match word.text.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => {
                    let message = format!("`{}` is not true or false", word.text);
                    self.error(
                        codes::CONDITIONAL,
                        "bad-condition",
                        word.span,
                        chain,
                        message,
                        "not a boolean",
                    );
                    None
                }
            },
            ast::Expr::Not(inner) => self.evaluate(inner, chain).map(|v| !v),
            ast::Expr::And(left, right) => {
                let left = self.evaluate(left, chain)?;
                let right = self.evaluate(right, chain)?;
                Some(left && right)
            }
            ast::Expr::Or(left, right) => {
                let left = self.evaluate(left, chain)?;
                let right = self.evaluate(right, chain)?;
                Some(left || right)
            }
            ast::Expr::Compare { left, op, right } => self.compare(left, op, right, chain),
        }
    }

    fn compare(
        &mut self,
        left: &ast::Word,
        op: &str,
        right: &ast::Word,
        chain: &[Span],
    ) -> Option<bool> {
        let left_set = self.operand(left, chain)?;
        let right_set = self.operand(right, chain)?;
        let numbers = |set: &std::collections::BTreeSet<String>| -> Option<i64> {
            (set.len() == 1)
                .then(|| set.iter().next()?.parse().ok())
                .flatten()
        };
        Some(match op {
            "==" => left_set == right_set,
            "!=" => left_set != right_set,
            "in" => left_set.is_subset(&right_set),
            _ => match (numbers(&left_set), numbers(&right_set)) {
                (Some(l), Some(r)) => compare_ordered(op, l, r),
                (None, None) => compare_ordered(op, left_set, right_set),
                _ => {
                    let message = "cannot compare a number with a set".to_string();
                    self.error(
                        codes::CONDITIONAL,
                        "bad-condition",
                        left.span,
                        chain,
                        message,
                        "here",
                    );
                    return None;
                }
            },
        })
    }

    fn operand(
        &mut self,
        word: &ast::Word,
        chain: &[Span],
    ) -> Option<std::collections::BTreeSet<String>> {
        let text = &word.text;
        let Some(name) = text.strip_prefix("@{").and_then(|t| t.strip_suffix('}')) else {
            return Some([text.clone()].into_iter().collect());
        };
        match self.symbols.expand_set(name) {
            Ok(set) => Some(set),
            Err(error) => {
                self.error(
                    codes::VARIABLE,
                    "bad-variable",
                    word.span,
                    chain,
                    error.message(),
                    "here",
                );
                None
            }
        }
    }
}

fn compare_ordered<T: PartialOrd>(op: &str, left: T, right: T) -> bool {
    match op {
        ">" => left > right,
        ">=" => left >= right,
        "<" => left < right,
        _ => left <= right,
    }
}
