//! How fast one account's broadcasts may go: a token bucket per account. Pure.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A bucket untouched this long has refilled, and is the same as none: once a second the
/// pacer forgets those, so it holds the accounts broadcasting now, not every one that did.
const REFILLED: Duration = Duration::from_secs(1);

/// Sends per second per account for broadcasts: a token bucket holding at most one
/// second's worth, so a quiet account cannot save up a burst. Rate 0 means unpaced.
pub struct Pacer {
    rate: u32,
    buckets: HashMap<i64, (f64, Instant)>,
    pruned: Option<Instant>,
}

impl Pacer {
    pub fn new(rate: u32) -> Pacer {
        Pacer {
            rate,
            buckets: HashMap::new(),
            pruned: None,
        }
    }

    /// How many of `want` sends the account may make at `now`; takes them.
    pub fn take(&mut self, account_id: i64, want: usize, now: Instant) -> usize {
        if self.rate == 0 {
            return want;
        }
        if self
            .pruned
            .is_none_or(|t| now.saturating_duration_since(t) >= REFILLED)
        {
            self.buckets
                .retain(|_, (_, last)| now.saturating_duration_since(*last) < REFILLED);
            self.pruned = Some(now);
        }
        let rate = f64::from(self.rate);
        let (tokens, last) = self.buckets.entry(account_id).or_insert((rate, now));
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * rate).min(rate);
        *last = now;
        let granted = (tokens.floor() as usize).min(want);
        *tokens -= granted as f64;
        granted
    }

    /// Gives back what was granted but not used (the queue had fewer messages).
    pub fn refund(&mut self, account_id: i64, unused: usize) {
        if let Some((tokens, _)) = self.buckets.get_mut(&account_id) {
            *tokens = (*tokens + unused as f64).min(f64::from(self.rate));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn pacing_grants_the_rate_per_second_per_account() {
        let mut pacer = Pacer::new(80);
        let t = Instant::now();
        assert_eq!(pacer.take(1, 1000, t), 80, "one second's worth to start");
        assert_eq!(pacer.take(1, 1000, t), 0);
        assert_eq!(pacer.take(2, 1000, t), 80, "accounts are paced apart");
        assert_eq!(pacer.take(1, 1000, t + Duration::from_millis(500)), 40);
        assert_eq!(
            pacer.take(1, 1000, t + Duration::from_secs(60)),
            80,
            "no saved-up burst"
        );
        assert_eq!(pacer.take(1, 5, t + Duration::from_secs(120)), 5);
        assert_eq!(Pacer::new(0).take(1, 1000, t), 1000, "0 is unpaced");
    }

    #[test]
    fn refilled_buckets_are_forgotten() {
        let mut pacer = Pacer::new(80);
        let t = Instant::now();
        for account in 0..2_000 {
            pacer.take(account, 10, t);
        }
        assert_eq!(pacer.buckets.len(), 2_000);
        let later = t + Duration::from_millis(1500);
        assert_eq!(pacer.take(7, 1000, later), 80, "a full bucket, as if kept");
        assert_eq!(pacer.buckets.len(), 1);
    }
}
