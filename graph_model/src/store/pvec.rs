//! A persistent (copy-on-write) vector: the storage of node and relationship
//! records.
//!
//! Three levels: a directory of up to 1,024 leaf pointers per middle block,
//! leaves of 64 items. Cloning the vector is `O(1)`; writing an item copies
//! only the leaf and the middle block on its path, and only when another
//! version still shares them (`Arc::make_mut`). That is what lets readers keep
//! a consistent version of the graph for as long as they like while a writer
//! builds the next one.

use std::sync::Arc;

const LEAF_BITS: usize = 6;
const LEAF_SIZE: usize = 1 << LEAF_BITS;
const MID_BITS: usize = 10;
const MID_SIZE: usize = 1 << MID_BITS;
const BLOCK_SIZE: usize = LEAF_SIZE * MID_SIZE;

type Leaf<T> = Vec<T>;
type Mid<T> = Vec<Arc<Leaf<T>>>;

/// A persistent vector of `T` with cheap clones and path-copying writes.
#[derive(Debug)]
pub struct PVec<T> {
    top: Arc<Vec<Arc<Mid<T>>>>,
    len: usize,
}

impl<T> Clone for PVec<T> {
    fn clone(&self) -> Self {
        PVec {
            top: Arc::clone(&self.top),
            len: self.len,
        }
    }
}

impl<T> Default for PVec<T> {
    fn default() -> Self {
        PVec {
            top: Arc::new(Vec::new()),
            len: 0,
        }
    }
}

impl<T: Clone> PVec<T> {
    /// An empty vector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The item at `index`.
    pub fn get(&self, index: usize) -> Option<&T> {
        if index >= self.len {
            return None;
        }
        let mid = self.top.get(index / BLOCK_SIZE)?;
        let leaf = mid.get((index / LEAF_SIZE) % MID_SIZE)?;
        leaf.get(index % LEAF_SIZE)
    }

    /// The item at `index`, mutable; copies the shared path first.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        if index >= self.len {
            return None;
        }
        let top = Arc::make_mut(&mut self.top);
        let mid = Arc::make_mut(top.get_mut(index / BLOCK_SIZE)?);
        let leaf = Arc::make_mut(mid.get_mut((index / LEAF_SIZE) % MID_SIZE)?);
        leaf.get_mut(index % LEAF_SIZE)
    }

    /// Appends an item, returning its index.
    pub fn push(&mut self, item: T) -> usize {
        let index = self.len;
        let top = Arc::make_mut(&mut self.top);
        if index.is_multiple_of(BLOCK_SIZE) {
            top.push(Arc::new(Vec::with_capacity(16)));
        }
        let mid = Arc::make_mut(top.last_mut().expect("a block was just ensured"));
        if index.is_multiple_of(LEAF_SIZE) {
            mid.push(Arc::new(Vec::with_capacity(LEAF_SIZE)));
        }
        let leaf = Arc::make_mut(mid.last_mut().expect("a leaf was just ensured"));
        leaf.push(item);
        self.len += 1;
        index
    }

    /// Iterates over all items in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.top
            .iter()
            .flat_map(|mid| mid.iter())
            .flat_map(|leaf| leaf.iter())
    }

    /// Iterates from `start` on, in order.
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = (usize, &T)> + '_ {
        (start..self.len).filter_map(move |i| self.get(i).map(|item| (i, item)))
    }

    /// Approximate bytes of the directory structure (not of the items).
    pub fn overhead_bytes(&self) -> usize {
        let mids = self.top.len();
        let leaves: usize = self.top.iter().map(|m| m.len()).sum();
        mids * (MID_SIZE * 8 + 32) + leaves * 32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_get_and_copy_on_write() {
        let mut v = PVec::new();
        for i in 0..200_000u32 {
            assert_eq!(v.push(i), i as usize);
        }
        let snapshot = v.clone();
        *v.get_mut(70_000).expect("in range") = 7;
        v.push(42);
        assert_eq!(snapshot.get(70_000), Some(&70_000));
        assert_eq!(v.get(70_000), Some(&7));
        assert_eq!(snapshot.len(), 200_000);
        assert_eq!(v.len(), 200_001);
        assert_eq!(v.get(200_000), Some(&42));
        assert_eq!(snapshot.get(200_000), None);
        assert_eq!(v.iter().count(), 200_001);
        assert_eq!(
            snapshot.iter().copied().map(u64::from).sum::<u64>(),
            (0..200_000u64).sum::<u64>()
        );
    }
}
