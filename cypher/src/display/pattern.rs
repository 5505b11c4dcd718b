//! Printing patterns.

use std::fmt::{self, Display, Formatter};

use super::{Name, Var};
use crate::ast::{
    Direction, NodePattern, PatternElement, PatternPart, RelationshipPattern, ShortestPath,
    VarLength,
};

impl Display for PatternPart {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(v) = &self.variable {
            write!(f, "{} = ", Var(&v.name))?;
        }
        self.element.fmt(f)
    }
}

impl Display for PatternElement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.shortest {
            Some(ShortestPath::Single) => f.write_str("shortestPath(")?,
            Some(ShortestPath::All) => f.write_str("allShortestPaths(")?,
            None => {}
        }
        self.start.fmt(f)?;
        for step in &self.steps {
            write!(f, "{}{}", step.relationship, step.node)?;
        }
        if self.shortest.is_some() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl Display for NodePattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        if let Some(v) = &self.variable {
            Var(&v.name).fmt(f)?;
        }
        for l in &self.labels {
            write!(f, ":{}", Name(l))?;
        }
        if let Some(p) = &self.properties {
            if self.variable.is_some() || !self.labels.is_empty() {
                f.write_str(" ")?;
            }
            p.fmt(f)?;
        }
        f.write_str(")")
    }
}

impl Display for VarLength {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("*")?;
        match (self.min, self.max) {
            (None, None) => Ok(()),
            (Some(a), Some(b)) if a == b => write!(f, "{a}"),
            (min, max) => {
                if let Some(a) = min {
                    write!(f, "{a}")?;
                }
                f.write_str("..")?;
                if let Some(b) = max {
                    write!(f, "{b}")?;
                }
                Ok(())
            }
        }
    }
}

impl Display for RelationshipPattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (left, right) = match self.direction {
            Direction::Outgoing => ("-", "->"),
            Direction::Incoming => ("<-", "-"),
            Direction::Undirected => ("-", "-"),
            Direction::Both => ("<-", "->"),
        };
        f.write_str(left)?;
        let empty = self.variable.is_none()
            && self.types.is_empty()
            && self.length.is_none()
            && self.properties.is_none();
        if !empty {
            f.write_str("[")?;
            if let Some(v) = &self.variable {
                Var(&v.name).fmt(f)?;
            }
            for (i, t) in self.types.iter().enumerate() {
                f.write_str(if i == 0 { ":" } else { "|" })?;
                Name(t).fmt(f)?;
            }
            if let Some(len) = &self.length {
                len.fmt(f)?;
            }
            if let Some(p) = &self.properties {
                write!(f, " {p}")?;
            }
            f.write_str("]")?;
        }
        f.write_str(right)
    }
}
