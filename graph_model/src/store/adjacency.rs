//! A node's relationships in one direction, grouped by type.
//!
//! Most nodes have a few dozen relationships: those live in one small vector
//! sorted by type, copied whole when the node is written. Hub nodes (a payer
//! with a million claims, a common medication) switch to a chunked form whose
//! chunks are shared between versions, so adding one relationship to a hub
//! copies one chunk of at most [`CHUNK`] entries, never the whole list.

use std::sync::Arc;

use thin_vec::ThinVec;

use crate::ids::{NodeId, RelId, RelTypeId};

/// Above this many entries a list switches to the chunked form.
const SMALL_LIMIT: usize = 128;
/// Entries per chunk of the chunked form.
const CHUNK: usize = 512;

/// One relationship as seen from one of its nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdjEntry {
    /// The relationship's type.
    pub rel_type: RelTypeId,
    /// The relationship.
    pub rel: RelId,
    /// The node at the other end.
    pub other: NodeId,
}

/// The relationships of one node in one direction.
#[derive(Clone, Debug, Default)]
pub enum Adjacency {
    /// Sorted by type; insertion order within a type.
    #[default]
    Empty,
    /// Up to [`SMALL_LIMIT`] entries, sorted by type.
    Small(ThinVec<AdjEntry>),
    /// Per type, a list of shared chunks.
    Large(Arc<Vec<TypeGroup>>),
}

/// The entries of one type in the chunked form.
#[derive(Clone, Debug)]
pub struct TypeGroup {
    rel_type: RelTypeId,
    len: usize,
    chunks: Vec<Arc<Vec<AdjEntry>>>,
}

impl TypeGroup {
    fn new(rel_type: RelTypeId) -> Self {
        TypeGroup {
            rel_type,
            len: 0,
            chunks: Vec::new(),
        }
    }

    fn push(&mut self, entry: AdjEntry) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => Arc::make_mut(chunk).push(entry),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(entry);
                self.chunks.push(Arc::new(chunk));
            }
        }
        self.len += 1;
    }

    fn remove(&mut self, rel: RelId) -> bool {
        for i in 0..self.chunks.len() {
            if let Some(pos) = self.chunks[i].iter().position(|e| e.rel == rel) {
                let chunk = Arc::make_mut(&mut self.chunks[i]);
                chunk.remove(pos);
                if chunk.is_empty() {
                    self.chunks.remove(i);
                }
                self.len -= 1;
                return true;
            }
        }
        false
    }

    fn iter(&self) -> impl Iterator<Item = &AdjEntry> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }
}

impl Adjacency {
    /// Number of entries.
    pub fn len(&self) -> usize {
        match self {
            Adjacency::Empty => 0,
            Adjacency::Small(v) => v.len(),
            Adjacency::Large(groups) => groups.iter().map(|g| g.len).sum(),
        }
    }

    /// `true` when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of entries of one type.
    pub fn len_of(&self, rel_type: RelTypeId) -> usize {
        match self {
            Adjacency::Empty => 0,
            Adjacency::Small(v) => small_range(v, rel_type).len(),
            Adjacency::Large(groups) => groups
                .iter()
                .find(|g| g.rel_type == rel_type)
                .map_or(0, |g| g.len),
        }
    }

    /// Adds an entry.
    pub fn insert(&mut self, entry: AdjEntry) {
        match self {
            Adjacency::Empty => {
                let mut v = ThinVec::with_capacity(4);
                v.push(entry);
                *self = Adjacency::Small(v);
            }
            Adjacency::Small(v) => {
                if v.len() >= SMALL_LIMIT {
                    let mut groups: Vec<TypeGroup> = Vec::new();
                    for e in v.iter().chain(std::iter::once(&entry)) {
                        if let Some(g) = groups.iter_mut().find(|g| g.rel_type == e.rel_type) {
                            g.push(*e);
                        } else {
                            let mut g = TypeGroup::new(e.rel_type);
                            g.push(*e);
                            groups.push(g);
                        }
                    }
                    *self = Adjacency::Large(Arc::new(groups));
                } else {
                    let end = small_range(v, entry.rel_type).end;
                    v.insert(end, entry);
                }
            }
            Adjacency::Large(groups) => {
                let groups = Arc::make_mut(groups);
                if let Some(g) = groups.iter_mut().find(|g| g.rel_type == entry.rel_type) {
                    g.push(entry);
                } else {
                    let mut g = TypeGroup::new(entry.rel_type);
                    g.push(entry);
                    groups.push(g);
                }
            }
        }
    }

    /// Removes the entry of relationship `rel` of type `rel_type`.
    pub fn remove(&mut self, rel_type: RelTypeId, rel: RelId) -> bool {
        match self {
            Adjacency::Empty => false,
            Adjacency::Small(v) => {
                let range = small_range(v, rel_type);
                let found = v[range.clone()].iter().position(|e| e.rel == rel);
                match found {
                    Some(pos) => {
                        v.remove(range.start + pos);
                        if v.is_empty() {
                            *self = Adjacency::Empty;
                        }
                        true
                    }
                    None => false,
                }
            }
            Adjacency::Large(groups) => {
                let Some(index) = groups.iter().position(|g| g.rel_type == rel_type) else {
                    return false;
                };
                let groups = Arc::make_mut(groups);
                let removed = groups[index].remove(rel);
                if groups[index].len == 0 {
                    groups.remove(index);
                }
                removed
            }
        }
    }

    /// All entries, grouped by type.
    pub fn iter(&self) -> AdjIter<'_> {
        match self {
            Adjacency::Empty => AdjIter::Slice([].iter()),
            Adjacency::Small(v) => AdjIter::Slice(v.iter()),
            Adjacency::Large(groups) => {
                AdjIter::Boxed(Box::new(groups.iter().flat_map(TypeGroup::iter)))
            }
        }
    }

    /// The entries of one type.
    pub fn iter_type(&self, rel_type: RelTypeId) -> AdjIter<'_> {
        match self {
            Adjacency::Empty => AdjIter::Slice([].iter()),
            Adjacency::Small(v) => AdjIter::Slice(v[small_range(v, rel_type)].iter()),
            Adjacency::Large(groups) => match groups.iter().find(|g| g.rel_type == rel_type) {
                Some(g) => AdjIter::Boxed(Box::new(g.iter())),
                None => AdjIter::Slice([].iter()),
            },
        }
    }

    /// Heap bytes used (for memory reports).
    pub fn heap_bytes(&self) -> usize {
        let entry = std::mem::size_of::<AdjEntry>();
        match self {
            Adjacency::Empty => 0,
            Adjacency::Small(v) => 16 + v.capacity() * entry,
            Adjacency::Large(groups) => groups
                .iter()
                .map(|g| {
                    48 + g
                        .chunks
                        .iter()
                        .map(|c| 32 + c.capacity() * entry)
                        .sum::<usize>()
                })
                .sum(),
        }
    }
}

impl<'a> IntoIterator for &'a Adjacency {
    type Item = &'a AdjEntry;
    type IntoIter = AdjIter<'a>;
    fn into_iter(self) -> AdjIter<'a> {
        self.iter()
    }
}

fn small_range(v: &[AdjEntry], rel_type: RelTypeId) -> std::ops::Range<usize> {
    let start = v.partition_point(|e| e.rel_type < rel_type);
    let end = start + v[start..].partition_point(|e| e.rel_type == rel_type);
    start..end
}

/// Iterator over adjacency entries.
pub enum AdjIter<'a> {
    /// Over a contiguous slice.
    Slice(std::slice::Iter<'a, AdjEntry>),
    /// Over chunks.
    Boxed(Box<dyn Iterator<Item = &'a AdjEntry> + 'a>),
}

impl<'a> Iterator for AdjIter<'a> {
    type Item = &'a AdjEntry;
    fn next(&mut self) -> Option<&'a AdjEntry> {
        match self {
            AdjIter::Slice(it) => it.next(),
            AdjIter::Boxed(it) => it.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(t: u32, r: u32) -> AdjEntry {
        AdjEntry {
            rel_type: RelTypeId(t),
            rel: RelId(r),
            other: NodeId(r + 1000),
        }
    }

    #[test]
    fn small_and_large_agree() {
        let mut adj = Adjacency::default();
        for r in 0..2000u32 {
            adj.insert(entry(r % 3, r));
        }
        assert!(matches!(adj, Adjacency::Large(_)));
        assert_eq!(adj.len(), 2000);
        assert_eq!(adj.len_of(RelTypeId(1)), 667);
        let shared = adj.clone();
        assert!(adj.remove(RelTypeId(1), RelId(1)));
        assert!(!adj.remove(RelTypeId(2), RelId(1)));
        assert_eq!(adj.len_of(RelTypeId(1)), 666);
        assert_eq!(shared.len_of(RelTypeId(1)), 667);
        let ones: Vec<u32> = adj
            .iter_type(RelTypeId(1))
            .map(|e| e.rel.0)
            .take(3)
            .collect();
        assert_eq!(ones, [4, 7, 10]);

        let mut small = Adjacency::default();
        for r in [5u32, 1, 9] {
            small.insert(entry(r % 2, r));
        }
        let order: Vec<u32> = small.iter().map(|e| e.rel.0).collect();
        assert_eq!(order, [5, 1, 9]);
        assert!(small.remove(RelTypeId(1), RelId(9)));
        assert_eq!(small.iter_type(RelTypeId(1)).count(), 2);
    }
}
