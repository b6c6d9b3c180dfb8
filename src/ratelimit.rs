//! Per-account request quotas: a sliding minute (sixty one-second buckets, so "61 requests
//! within any 60 seconds" is refused whatever the clock's phase) and the UTC calendar day.
//!
//! Counts live in memory; the day's counts are written to the database every few seconds
//! and at shutdown (see `startup`), and read back at start, so the daily quota survives a
//! restart. A crash can forget the last few seconds of counting, never more.
//! Refused requests are not counted: a client that backs off recovers on schedule.

use crate::accounts::Limits;
use crate::clock::{SECONDS_PER_DAY, Timestamp, day_of};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Minute,
    Day,
}

impl Window {
    pub fn name(self) -> &'static str {
        match self {
            Window::Minute => "minute",
            Window::Day => "day",
        }
    }

    fn seconds(self) -> u64 {
        match self {
            Window::Minute => 60,
            Window::Day => SECONDS_PER_DAY as u64,
        }
    }
}

/// The state of one window after a request, for the response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowState {
    pub window: Window,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window has room again (minute) or starts over (day).
    pub reset: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// `Some(window)` when refused because that window is used up.
    pub refused: Option<Window>,
    pub retry_after: u64,
    /// The account's limited windows (none for an unlimited account).
    pub windows: Vec<WindowState>,
}

impl Decision {
    /// The window with the least room left: the one the `X-RateLimit-*` headers describe.
    pub fn tightest(&self) -> Option<&WindowState> {
        self.windows.iter().min_by_key(|w| w.remaining)
    }

    /// `RateLimit-Policy` value, e.g. `"minute";q=60;w=60, "day";q=100;w=86400`.
    pub fn policy_header(&self) -> String {
        self.windows
            .iter()
            .map(|w| {
                format!(
                    "\"{}\";q={};w={}",
                    w.window.name(),
                    w.limit,
                    w.window.seconds()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `RateLimit` value, e.g. `"minute";r=59;t=60, "day";r=99;t=3600`.
    pub fn state_header(&self) -> String {
        self.windows
            .iter()
            .map(|w| format!("\"{}\";r={};t={}", w.window.name(), w.remaining, w.reset))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone)]
struct MinuteWindow {
    buckets: [u32; 60],
    /// The latest second recorded; buckets hold the 60 seconds ending here.
    head: Timestamp,
    total: u32,
}

impl Default for MinuteWindow {
    fn default() -> Self {
        MinuteWindow {
            buckets: [0; 60],
            head: 0,
            total: 0,
        }
    }
}

impl MinuteWindow {
    fn advance(&mut self, now: Timestamp) {
        if now <= self.head {
            return; // same second, or the clock stepped back: keep counting in place
        }
        if now - self.head >= 60 {
            *self = MinuteWindow {
                head: now,
                ..MinuteWindow::default()
            };
            return;
        }
        for second in self.head + 1..=now {
            let slot = &mut self.buckets[second.rem_euclid(60) as usize];
            self.total -= *slot;
            *slot = 0;
        }
        self.head = now;
    }

    fn record(&mut self) {
        self.buckets[self.head.rem_euclid(60) as usize] += 1;
        self.total += 1;
    }

    /// Seconds until `count` of the counted requests have left the window (at least 1;
    /// 60 when fewer are counted, as no request counted now can leave sooner).
    fn seconds_until_expired(&self, count: u32) -> u64 {
        let mut expired = 0;
        for second in self.head - 59..=self.head {
            expired += self.buckets[second.rem_euclid(60) as usize];
            if expired >= count.max(1) {
                return (second + 60 - self.head) as u64;
            }
        }
        60
    }

    /// Seconds until one more request fits under `limit`.
    fn seconds_until_room(&self, limit: u32) -> u64 {
        self.seconds_until_expired((self.total + 1).saturating_sub(limit))
    }
}

#[derive(Debug, Clone, Default)]
struct Usage {
    minute: MinuteWindow,
    day: i64,
    day_count: u32,
    dirty: bool,
}

impl Usage {
    fn roll_day(&mut self, today: i64) {
        if self.day != today {
            self.day = today;
            self.day_count = 0;
        }
    }
}

#[derive(Default)]
pub struct RateLimiter {
    accounts: Mutex<HashMap<i64, Usage>>,
}

impl RateLimiter {
    /// Counts a request of `account_id` at `now` if its limits allow it.
    pub fn check(&self, account_id: i64, limits: &Limits, now: Timestamp) -> Decision {
        let today = day_of(now);
        let until_midnight = ((today + 1) * SECONDS_PER_DAY - now) as u64;
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        let usage = accounts.entry(account_id).or_default();
        usage.roll_day(today);
        usage.minute.advance(now);

        let refused = match (limits.per_minute, limits.per_day) {
            (_, Some(day)) if usage.day_count >= day => Some((Window::Day, until_midnight)),
            (Some(minute), _) if usage.minute.total >= minute => {
                Some((Window::Minute, usage.minute.seconds_until_room(minute)))
            }
            _ => None,
        };
        if refused.is_none() {
            usage.minute.record();
            usage.day_count += 1;
            usage.dirty = true;
        }

        let mut windows = Vec::with_capacity(2);
        if let Some(limit) = limits.per_minute {
            let remaining = limit.saturating_sub(usage.minute.total);
            windows.push(WindowState {
                window: Window::Minute,
                limit,
                remaining,
                // Full: when the next request fits. Not full: when the oldest one leaves.
                reset: if remaining == 0 {
                    usage.minute.seconds_until_room(limit)
                } else {
                    usage.minute.seconds_until_expired(1)
                },
            });
        }
        if let Some(limit) = limits.per_day {
            windows.push(WindowState {
                window: Window::Day,
                limit,
                remaining: limit.saturating_sub(usage.day_count),
                reset: until_midnight,
            });
        }
        Decision {
            refused: refused.map(|(w, _)| w),
            retry_after: refused.map_or(0, |(_, s)| s),
            windows,
        }
    }

    /// `(today, this minute)` request counts of an account.
    pub fn usage(&self, account_id: i64, now: Timestamp) -> (u32, u32) {
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        match accounts.get_mut(&account_id) {
            Some(usage) => {
                usage.roll_day(day_of(now));
                usage.minute.advance(now);
                (usage.day_count, usage.minute.total)
            }
            None => (0, 0),
        }
    }

    /// Seeds today's counts from the database at start.
    pub fn load_day(&self, day: i64, counts: &[(i64, u32)]) {
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        for &(account_id, count) in counts {
            let usage = accounts.entry(account_id).or_default();
            usage.day = day;
            usage.day_count = usage.day_count.max(count);
        }
    }

    /// Forgets the accounts with no request today and no count left to save, so the map
    /// holds the accounts seen today (a few hundred bytes each), not every account ever.
    /// A forgotten account starts today from zero, which is its count.
    pub fn forget_idle(&self, now: Timestamp) {
        let today = day_of(now);
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        accounts.retain(|_, u| u.day == today || u.dirty);
    }

    /// Counts changed since the last call, as `(account, day, count)`, for the database.
    pub fn take_dirty(&self) -> Vec<(i64, i64, u32)> {
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        accounts
            .iter_mut()
            .filter(|(_, u)| u.dirty)
            .map(|(&id, u)| {
                u.dirty = false;
                (id, u.day, u.day_count)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: Timestamp = 1_795_341_600 + 2 * 3600; // 2026-11-22T12:00:00Z

    fn limits(per_minute: u32, per_day: u32) -> Limits {
        Limits {
            per_minute: Some(per_minute),
            per_day: Some(per_day),
            ..Limits::default()
        }
    }

    #[test]
    fn the_61st_request_within_a_sliding_minute_is_refused() {
        let rl = RateLimiter::default();
        let l = limits(60, 1000);
        // 30 requests at second 0, 30 at second 40: all allowed.
        for i in 0..60 {
            let at = if i < 30 { NOON } else { NOON + 40 };
            assert_eq!(rl.check(1, &l, at).refused, None, "request {i}");
        }
        let d = rl.check(1, &l, NOON + 59);
        assert_eq!(d.refused, Some(Window::Minute));
        assert_eq!(d.retry_after, 1, "the first 30 leave the window at +60");
        // A fixed window would have reset at a minute boundary; a sliding one has not.
        assert_eq!(rl.check(1, &l, NOON + 60).refused, None);
        assert_eq!(rl.check(1, &l, NOON + 60).windows[0].remaining, 28);
    }

    #[test]
    fn retry_after_counts_to_when_enough_requests_expire() {
        let rl = RateLimiter::default();
        let l = limits(2, 1000);
        rl.check(1, &l, NOON);
        rl.check(1, &l, NOON + 10);
        let d = rl.check(1, &l, NOON + 20);
        assert_eq!((d.refused, d.retry_after), (Some(Window::Minute), 40));
    }

    #[test]
    fn day_quota_is_refused_until_midnight_and_reported_before_the_minute() {
        let rl = RateLimiter::default();
        let l = limits(2, 2);
        rl.check(1, &l, NOON);
        rl.check(1, &l, NOON);
        let d = rl.check(1, &l, NOON);
        assert_eq!(d.refused, Some(Window::Day));
        assert_eq!(d.retry_after, 12 * 3600);
        let next_day = NOON + 12 * 3600;
        assert_eq!(rl.check(1, &l, next_day).refused, None);
    }

    #[test]
    fn accounts_do_not_share_quotas_and_refusals_are_not_counted() {
        let rl = RateLimiter::default();
        let l = limits(1, 100);
        assert_eq!(rl.check(1, &l, NOON).refused, None);
        assert!(rl.check(1, &l, NOON).refused.is_some());
        assert!(rl.check(1, &l, NOON).refused.is_some());
        assert_eq!(rl.check(2, &l, NOON).refused, None);
        assert_eq!(rl.usage(1, NOON), (1, 1));
    }

    #[test]
    fn unlimited_accounts_have_no_windows() {
        let rl = RateLimiter::default();
        let d = rl.check(1, &Limits::default(), NOON);
        assert_eq!(d.refused, None);
        assert!(d.windows.is_empty() && d.tightest().is_none());
    }

    #[test]
    fn headers_name_both_windows_and_the_tightest() {
        let rl = RateLimiter::default();
        let d = rl.check(1, &limits(60, 100), NOON);
        assert_eq!(
            d.policy_header(),
            r#""minute";q=60;w=60, "day";q=100;w=86400"#
        );
        assert_eq!(
            d.state_header(),
            r#""minute";r=59;t=60, "day";r=99;t=43200"#
        );
        assert_eq!(d.tightest().unwrap().window, Window::Minute);
    }

    #[test]
    fn loaded_counts_survive_and_dirty_counts_are_taken_once() {
        let rl = RateLimiter::default();
        let today = day_of(NOON);
        rl.load_day(today, &[(1, 99)]);
        assert!(rl.take_dirty().is_empty());
        assert_eq!(rl.check(1, &limits(60, 100), NOON).refused, None);
        assert_eq!(
            rl.check(1, &limits(60, 100), NOON).refused,
            Some(Window::Day)
        );
        assert_eq!(rl.take_dirty(), vec![(1, today, 100)]);
        assert!(rl.take_dirty().is_empty());
    }

    #[test]
    fn accounts_idle_since_yesterday_are_forgotten_once_their_counts_are_saved() {
        let rl = RateLimiter::default();
        let yesterday = NOON - SECONDS_PER_DAY;
        rl.check(1, &limits(60, 100), yesterday);
        rl.check(2, &limits(60, 100), yesterday);
        rl.forget_idle(NOON);
        assert_eq!(rl.accounts.lock().unwrap().len(), 2, "unsaved counts stay");
        assert_eq!(rl.take_dirty().len(), 2);
        rl.check(2, &limits(60, 100), NOON);
        rl.forget_idle(NOON);
        assert_eq!(
            rl.accounts.lock().unwrap().keys().collect::<Vec<_>>(),
            vec![&2]
        );
        assert_eq!(rl.usage(1, NOON), (0, 0));
        assert_eq!(rl.usage(2, NOON), (1, 1));
    }
}
