//! How fast one account's broadcasts may go: a token bucket per account. Pure.

use std::collections::HashMap;
use std::time::Instant;

/// Sends per second per account for broadcasts: a token bucket holding at most one
/// second's worth, so a quiet account cannot save up a burst. Rate 0 means unpaced.
pub struct Pacer {
    rate: u32,
    buckets: HashMap<i64, (f64, Instant)>,
}

impl Pacer {
    pub fn new(rate: u32) -> Pacer {
        Pacer {
            rate,
            buckets: HashMap::new(),
        }
    }

    /// How many of `want` sends the account may make at `now`; takes them.
    pub fn take(&mut self, account_id: i64, want: usize, now: Instant) -> usize {
        if self.rate == 0 {
            return want;
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
}
