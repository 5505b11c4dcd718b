//! Typed identifiers of nodes, relationships and interned names.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            /// The position of this id in its table.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// A node's id: stable for the node's life, never reused while the
    /// store runs (a deleted node's slot stays empty).
    NodeId,
    "n"
);
id_type!(
    /// A relationship's id, stable like [`NodeId`].
    RelId,
    "r"
);
id_type!(
    /// An interned node label.
    LabelId,
    "label:"
);
id_type!(
    /// An interned relationship type.
    RelTypeId,
    "type:"
);
id_type!(
    /// An interned property key.
    PropKeyId,
    "key:"
);

/// Which way a relationship is followed from a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the node to the relationship's end node.
    Outgoing,
    /// From the relationship's start node back to the node.
    Incoming,
    /// Either way.
    Both,
}
