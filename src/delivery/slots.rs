//! Provider calls in flight, per account, under a cap: an account whose provider is slow
//! or silent holds only its own slots, never another account's turn. Pure.

use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Slots {
    cap: usize,
    taken: HashMap<i64, usize>,
    /// The account served first last time; the next turn starts after it.
    last_first: i64,
}

impl Slots {
    /// At most `cap` calls of one account at once (at least one).
    pub fn new(cap: usize) -> Slots {
        Slots {
            cap: cap.max(1),
            taken: HashMap::new(),
            last_first: 0,
        }
    }

    pub fn free(&self, account: i64) -> usize {
        self.cap - self.taken.get(&account).copied().unwrap_or(0).min(self.cap)
    }

    pub fn take(&mut self, account: i64, n: usize) {
        if n > 0 {
            *self.taken.entry(account).or_default() += n;
        }
    }

    /// One call of `account` ended.
    pub fn release(&mut self, account: i64) {
        if let Some(n) = self.taken.get_mut(&account) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.taken.remove(&account);
            }
        }
    }

    /// Calls in flight, of every account.
    pub fn in_flight(&self) -> usize {
        self.taken.values().sum()
    }

    /// `accounts` (ascending) in this turn's order: from the first after the one that led
    /// the last turn, wrapping round, so that when a round cannot serve everyone, the
    /// same accounts do not always come first.
    pub fn in_turn(&mut self, mut accounts: Vec<i64>) -> Vec<i64> {
        let start = accounts.partition_point(|&a| a <= self.last_first);
        accounts.rotate_left(start);
        if let Some(&first) = accounts.first() {
            self.last_first = first;
        }
        accounts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_account_has_its_own_cap() {
        let mut slots = Slots::new(2);
        slots.take(1, 2);
        slots.take(2, 1);
        assert_eq!((slots.free(1), slots.free(2), slots.free(3)), (0, 1, 2));
        slots.release(1);
        assert_eq!(slots.free(1), 1);
        assert_eq!(slots.in_flight(), 2);
        slots.release(1);
        slots.release(1);
        assert_eq!(slots.free(1), 2, "never more than the cap");
    }

    #[test]
    fn turns_rotate_through_the_accounts() {
        let mut slots = Slots::new(1);
        assert_eq!(slots.in_turn(vec![3, 5, 9]), [3, 5, 9]);
        assert_eq!(slots.in_turn(vec![3, 5, 9]), [5, 9, 3]);
        assert_eq!(slots.in_turn(vec![3, 9]), [9, 3]);
        assert_eq!(slots.in_turn(vec![3, 5, 9]), [3, 5, 9]);
        assert!(slots.in_turn(Vec::new()).is_empty());
    }
}
