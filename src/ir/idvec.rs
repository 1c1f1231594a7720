//! A vector indexed by a typed id (rustc's `IndexVec`): `f.consts[c]` takes
//! a [`super::ConstIdx`], `f.names.get(n)` a [`super::NameIdx`], so an index
//! of one table cannot be used on another by mistake. It derefs to a slice
//! for iteration and length.

use std::marker::PhantomData;
use std::ops::{Deref, Index, IndexMut};

/// A typed index: a position in one [`IdVec`].
pub trait Id: Copy {
    /// The id of position `i`.
    fn from_index(i: usize) -> Self;
    /// The position.
    fn index(self) -> usize;
}

/// A `Vec<T>` whose positions are `I`s.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdVec<I, T> {
    items: Vec<T>,
    _id: PhantomData<fn(I) -> I>,
}

impl<I: Id, T> IdVec<I, T> {
    /// An empty vector.
    pub fn new() -> Self {
        Self::from(Vec::new())
    }

    /// The item at `i`, if any.
    pub fn get(&self, i: I) -> Option<&T> {
        self.items.get(i.index())
    }

    /// The item at `i`, mutably, if any.
    pub fn get_mut(&mut self, i: I) -> Option<&mut T> {
        self.items.get_mut(i.index())
    }

    /// Appends `t` and returns its id.
    pub fn push(&mut self, t: T) -> I {
        self.items.push(t);
        I::from_index(self.items.len() - 1)
    }

    /// Inserts `t` at `i`, moving the later items up by one.
    pub fn insert(&mut self, i: I, t: T) {
        self.items.insert(i.index(), t);
    }

    /// Every item with its id.
    pub fn iter_enumerated(&self) -> impl Iterator<Item = (I, &T)> {
        self.items
            .iter()
            .enumerate()
            .map(|(k, t)| (I::from_index(k), t))
    }

    /// The id of the first item equal to `t`.
    pub fn position(&self, t: &T) -> Option<I>
    where
        T: PartialEq,
    {
        self.items.iter().position(|x| x == t).map(I::from_index)
    }

    /// The items as a slice, indexed by position.
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }

    /// The items as a plain vector.
    pub fn into_vec(self) -> Vec<T> {
        self.items
    }
}

impl<I: Id, T> Default for IdVec<I, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<I, T> From<Vec<T>> for IdVec<I, T> {
    fn from(items: Vec<T>) -> Self {
        IdVec {
            items,
            _id: PhantomData,
        }
    }
}

impl<I, T> FromIterator<T> for IdVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        Self::from(iter.into_iter().collect::<Vec<T>>())
    }
}

impl<I, T> Deref for IdVec<I, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<I: Id, T> Index<I> for IdVec<I, T> {
    type Output = T;
    fn index(&self, i: I) -> &T {
        &self.items[i.index()]
    }
}

impl<I: Id, T> IndexMut<I> for IdVec<I, T> {
    fn index_mut(&mut self, i: I) -> &mut T {
        &mut self.items[i.index()]
    }
}

impl<'a, I, T> IntoIterator for &'a IdVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<I, T: std::fmt::Debug> std::fmt::Debug for IdVec<I, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.items.fmt(f)
    }
}
