//! The work and memory one render may spend: a [`Meter`] counts steps
//! (every node, expression, loop pass, and every KiB a string operation
//! reads or writes) and the bytes of every value the render builds, and
//! stops the render with a [`Fault::Limit`] once either passes its bound.
//!
//! Values are charged *before* they are built wherever their size can be
//! known (concatenation, `replace`, ranges, JSON conversions); where it
//! cannot (regex replacement, `split`), the building loop charges as it
//! goes, so no single operation allocates more than the room that is left.
//! A value is refunded only when the render drops the last reference to it
//! (a variable overwritten by `#set`), so the count never falls below what
//! is really held.

use super::ast::Offset;
use super::{Limits, RenderError};

/// Why a method or a value operation stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Fault {
    /// The template asked for something that cannot be done.
    Eval(String),
    /// A bound of the render was reached.
    Limit(String),
}

impl Fault {
    /// The render error for a fault at `at`.
    pub fn at(self, at: Offset) -> RenderError {
        match self {
            Fault::Eval(m) => RenderError::eval(at, m),
            Fault::Limit(m) => RenderError::limit(at, m),
        }
    }
}

pub(super) type Fallible<T> = Result<T, Fault>;

/// What an allocation of a value costs beyond its payload: the reference
/// count header of an `Rc` and the slot the value takes in its container.
pub(super) const VALUE_SLOT: usize = std::mem::size_of::<super::Value>();
/// The header of a string value (`Rc<str>`: two counts).
pub(super) const STR_HEADER: usize = 16;
/// A list or map: its `Rc`, `RefCell` and vector or table headers.
pub(super) const CONTAINER_HEADER: usize = 64;
/// One map entry beyond its key's bytes: the key's `String`, the value,
/// the hash and the index slot.
pub(super) const MAP_ENTRY: usize = 24 + VALUE_SLOT + 16;
/// Bytes a string operation may read or write for one step.
const BYTES_PER_STEP: usize = 1024;

/// The bytes a new string of `len` bytes costs.
pub(super) fn str_cost(len: usize) -> usize {
    STR_HEADER.saturating_add(len)
}

/// The bytes a new list of `len` items costs (not counting the items).
pub(super) fn list_cost(len: usize) -> usize {
    CONTAINER_HEADER.saturating_add(len.saturating_mul(VALUE_SLOT))
}

/// The bytes a new map costs for its entries' keys (not counting values).
pub(super) fn map_cost<'k>(keys: impl Iterator<Item = &'k str>) -> usize {
    keys.fold(CONTAINER_HEADER, |sum, k| {
        sum.saturating_add(MAP_ENTRY).saturating_add(k.len())
    })
}

/// Counts one render's steps and value bytes against its [`Limits`].
#[derive(Debug)]
pub(super) struct Meter {
    max_steps: u64,
    max_bytes: usize,
    steps: u64,
    bytes: usize,
    peak: usize,
    /// Bytes read or written by string operations and not yet counted as
    /// a step.
    carry: usize,
}

impl Meter {
    pub fn new(limits: &Limits) -> Meter {
        Meter {
            max_steps: limits.max_steps,
            max_bytes: limits.max_value_bytes,
            steps: 0,
            bytes: 0,
            peak: 0,
            carry: 0,
        }
    }

    /// One step of work.
    pub fn tick(&mut self) -> Fallible<()> {
        self.steps += 1;
        if self.steps > self.max_steps {
            return Err(Fault::Limit(format!(
                "the template ran more than {} steps",
                self.max_steps
            )));
        }
        Ok(())
    }

    /// Work proportional to `bytes` read or written (one step a KiB).
    pub fn work(&mut self, bytes: usize) -> Fallible<()> {
        self.carry = self.carry.saturating_add(bytes);
        while self.carry >= BYTES_PER_STEP {
            self.carry -= BYTES_PER_STEP;
            self.tick()?;
        }
        Ok(())
    }

    /// Charges `bytes` of new values (and the work of writing them); fails
    /// without charging when they do not fit.
    pub fn charge(&mut self, bytes: usize) -> Fallible<()> {
        if bytes > self.room() {
            return Err(self.exceeded());
        }
        self.bytes += bytes;
        self.peak = self.peak.max(self.bytes);
        self.work(bytes)
    }

    /// Returns `bytes` of values the render no longer holds.
    pub fn refund(&mut self, bytes: usize) {
        self.bytes = self.bytes.saturating_sub(bytes);
    }

    /// Bytes of values that may still be built.
    pub fn room(&self) -> usize {
        self.max_bytes.saturating_sub(self.bytes)
    }

    /// The fault for a value that would not fit.
    pub fn exceeded(&self) -> Fault {
        Fault::Limit(format!(
            "the template's values would take more than {} bytes (the render's memory budget)",
            self.max_bytes
        ))
    }

    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The most value bytes held at once.
    pub fn peak(&self) -> usize {
        self.peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(steps: u64, bytes: usize) -> Limits {
        Limits {
            max_steps: steps,
            max_value_bytes: bytes,
            ..Limits::default()
        }
    }

    #[test]
    fn charges_stop_at_the_budget_and_refunds_make_room() {
        let mut m = Meter::new(&limits(1_000, 100));
        m.charge(60).expect("fits");
        assert!(matches!(m.charge(41), Err(Fault::Limit(_))));
        assert_eq!(m.room(), 40, "a refused charge is not counted");
        m.refund(60);
        m.charge(100).expect("fits after the refund");
        assert_eq!(m.peak(), 100);
    }

    #[test]
    fn work_counts_a_step_per_kib() {
        let mut m = Meter::new(&limits(3, usize::MAX));
        m.work(1023).expect("under a KiB");
        assert_eq!(m.steps(), 0);
        m.work(1).expect("one KiB");
        assert_eq!(m.steps(), 1);
        assert!(m.work(3 * 1024).is_err(), "past the step limit");
    }
}
