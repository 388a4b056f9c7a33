//! Time as a value: the [`Instant`] the driver passes in, and per-owner deadline tables.
//!
//! The core has no clock. Every owner (a transaction, a call, the registration, the
//! transport) keeps its deadlines in a [`TimerTable`] indexed by its own timer enum; the
//! user agent asks every table for its earliest deadline and hands the minimum to the driver.

use core::marker::PhantomData;

/// A point in time in milliseconds from an arbitrary origin chosen by the driver
/// (`performance.now()` in the browser, a virtual clock in tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub u64);

/// A span of time in milliseconds.
pub type Millis = u64;

impl Instant {
    /// This instant moved `ms` milliseconds later (saturating, never wraps).
    #[must_use]
    pub fn plus(self, ms: Millis) -> Instant {
        Instant(self.0.saturating_add(ms))
    }

    /// This instant moved `ms` milliseconds earlier (saturating at the origin).
    #[must_use]
    pub fn minus(self, ms: Millis) -> Instant {
        Instant(self.0.saturating_sub(ms))
    }

    /// Milliseconds elapsed from `earlier` to `self` (zero if `earlier` is later).
    #[must_use]
    pub fn since(self, earlier: Instant) -> Millis {
        self.0.saturating_sub(earlier.0)
    }
}

/// RFC 3261 timer T1 (round-trip estimate), 500 ms.
pub const T1: Millis = 500;
/// RFC 3261 64*T1: the lifetime of a transaction that gets no answer (Timers B, F, H, L, M).
pub const T1_X64: Millis = 64 * T1;
/// RFC 3261 timer T2, 4 s: the longest interval between retransmissions of our 2xx.
pub const T2: Millis = 4000;

/// A timer enum owned by one kind of state machine.
///
/// `VALUES` lists every timer so a table can be scanned; `index` is each value's slot.
pub trait TimerKind: Copy + Eq + 'static {
    /// Every timer of this kind, in slot order.
    const VALUES: &'static [Self];
    /// The slot of this timer in a table, `0..VALUES.len()`.
    fn index(self) -> usize;
}

/// Deadlines for the timers of one owner; at most one deadline per timer.
#[derive(Clone, Debug)]
pub struct TimerTable<T: TimerKind, const N: usize> {
    deadlines: [Option<Instant>; N],
    kind: PhantomData<T>,
}

impl<T: TimerKind, const N: usize> Default for TimerTable<T, N> {
    fn default() -> Self {
        // The size is written by hand at each table's type: a table one slot short would never
        // arm its last timer. Checked when the table's type is compiled.
        const {
            assert!(
                N == T::VALUES.len(),
                "a TimerTable's size must equal its TimerKind::VALUES.len()"
            )
        };
        // And each timer's slot must be its place in VALUES, or pop_expired would name another
        // timer. Checked in every test that builds a table (free in release builds).
        debug_assert!(
            T::VALUES
                .iter()
                .enumerate()
                .all(|(slot, t)| t.index() == slot),
            "TimerKind::index must be the position in VALUES"
        );
        Self {
            deadlines: [None; N],
            kind: PhantomData,
        }
    }
}

impl<T: TimerKind, const N: usize> TimerTable<T, N> {
    /// Arms `timer` to fire at `at`, replacing any earlier deadline for it.
    pub fn set(&mut self, timer: T, at: Instant) {
        if let Some(slot) = self.deadlines.get_mut(timer.index()) {
            *slot = Some(at);
        }
    }

    /// Disarms `timer`.
    pub fn stop(&mut self, timer: T) {
        if let Some(slot) = self.deadlines.get_mut(timer.index()) {
            *slot = None;
        }
    }

    /// Disarms every timer.
    pub fn clear(&mut self) {
        self.deadlines = [None; N];
    }

    /// The deadline of `timer`, if armed.
    #[must_use]
    pub fn get(&self, timer: T) -> Option<Instant> {
        self.deadlines.get(timer.index()).copied().flatten()
    }

    /// Whether `timer` is armed.
    #[must_use]
    pub fn is_set(&self, timer: T) -> bool {
        self.get(timer).is_some()
    }

    /// The earliest armed deadline of this table.
    #[must_use]
    pub fn earliest(&self) -> Option<Instant> {
        earliest_slot(&self.deadlines).map(|(_, at)| at)
    }

    /// Disarms and returns the earliest timer whose deadline is at or before `now`
    /// (on a tie, the first in slot order).
    pub fn pop_expired(&mut self, now: Instant) -> Option<T> {
        let (slot, at) = earliest_slot(&self.deadlines)?;
        if at > now {
            return None;
        }
        if let Some(d) = self.deadlines.get_mut(slot) {
            *d = None;
        }
        T::VALUES.get(slot).copied()
    }
}

/// The first slot holding the earliest deadline. Not generic, so the tables of every
/// owner share one copy in the wasm engine.
fn earliest_slot(deadlines: &[Option<Instant>]) -> Option<(usize, Instant)> {
    let mut best: Option<(usize, Instant)> = None;
    for (slot, at) in deadlines.iter().enumerate() {
        if let Some(at) = *at {
            if best.is_none_or(|(_, b)| at < b) {
                best = Some((slot, at));
            }
        }
    }
    best
}

/// The earliest of two optional deadlines.
#[must_use]
pub fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum T {
        A,
        B,
    }
    impl TimerKind for T {
        const VALUES: &'static [Self] = &[T::A, T::B];
        fn index(self) -> usize {
            self as usize
        }
    }

    #[test]
    fn earliest_wins_and_pop_clears() {
        let mut t: TimerTable<T, 2> = TimerTable::default();
        assert_eq!(t.earliest(), None);
        t.set(T::A, Instant(30));
        t.set(T::B, Instant(10));
        assert_eq!(t.earliest(), Some(Instant(10)));
        assert_eq!(t.pop_expired(Instant(5)), None);
        assert_eq!(t.pop_expired(Instant(40)), Some(T::B));
        assert_eq!(t.pop_expired(Instant(40)), Some(T::A));
        assert_eq!(t.pop_expired(Instant(40)), None);
        t.set(T::A, Instant(1));
        t.stop(T::A);
        assert!(!t.is_set(T::A));
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Misnumbered {
        A,
        B,
    }
    impl TimerKind for Misnumbered {
        const VALUES: &'static [Self] = &[Misnumbered::A, Misnumbered::B];
        fn index(self) -> usize {
            match self {
                Misnumbered::A => 1,
                Misnumbered::B => 0,
            }
        }
    }

    #[test]
    #[should_panic(expected = "position in VALUES")]
    fn a_timer_whose_slot_is_not_its_place_is_caught() {
        let _: TimerTable<Misnumbered, 2> = TimerTable::default();
    }

    #[test]
    fn instant_arithmetic_saturates() {
        assert_eq!(Instant(u64::MAX).plus(5), Instant(u64::MAX));
        assert_eq!(Instant(3).minus(5), Instant(0));
        assert_eq!(Instant(3).since(Instant(9)), 0);
        assert_eq!(earliest(Some(Instant(4)), None), Some(Instant(4)));
    }
}
