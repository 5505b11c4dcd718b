//! Interned names: labels, relationship types and property keys are stored as
//! small integers; this table maps them both ways.

use std::sync::Arc;

use hashbrown::HashMap;

/// The three namespaces of interned names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    /// Node labels.
    Label,
    /// Relationship types.
    RelType,
    /// Property keys.
    PropKey,
}

/// One namespace of interned names.
#[derive(Clone, Debug, Default)]
pub struct Interner {
    names: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, u32>,
}

impl Interner {
    /// The id of `name`, if interned.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The name of `id`.
    pub fn name(&self, id: u32) -> Option<&Arc<str>> {
        self.names.get(id as usize)
    }

    /// Interns `name`, returning its id and whether it is new.
    pub fn intern(&mut self, name: &str) -> (u32, bool) {
        if let Some(id) = self.ids.get(name) {
            return (*id, false);
        }
        let id = self.names.len() as u32;
        let name: Arc<str> = Arc::from(name);
        self.names.push(name.clone());
        self.ids.insert(name, id);
        (id, true)
    }

    /// Interns `name` under a given id (replay of the log or a snapshot).
    /// Ids must arrive in order; a repeated definition is ignored.
    pub fn define(&mut self, id: u32, name: &str) -> bool {
        if (id as usize) < self.names.len() {
            return self.names[id as usize].as_ref() == name;
        }
        if id as usize != self.names.len() {
            return false;
        }
        self.intern(name);
        true
    }

    /// Number of interned names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// `true` when nothing is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// All names in id order.
    pub fn names(&self) -> &[Arc<str>] {
        &self.names
    }
}

/// The labels, relationship types and property keys of one graph.
#[derive(Clone, Debug, Default)]
pub struct Symbols {
    /// Node labels.
    pub labels: Interner,
    /// Relationship types.
    pub rel_types: Interner,
    /// Property keys.
    pub prop_keys: Interner,
}

impl Symbols {
    /// The namespace of `kind`.
    pub fn of(&self, kind: SymbolKind) -> &Interner {
        match kind {
            SymbolKind::Label => &self.labels,
            SymbolKind::RelType => &self.rel_types,
            SymbolKind::PropKey => &self.prop_keys,
        }
    }

    /// The namespace of `kind`, mutable.
    pub fn of_mut(&mut self, kind: SymbolKind) -> &mut Interner {
        match kind {
            SymbolKind::Label => &mut self.labels,
            SymbolKind::RelType => &mut self.rel_types,
            SymbolKind::PropKey => &mut self.prop_keys,
        }
    }
}
