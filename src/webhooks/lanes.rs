//! The worker's lanes, one per endpoint: deliveries fetched and waiting their turn, attempts
//! in flight (at most `cap`), and attempts ended but not yet recorded. A delivery stays
//! pending in the database until its attempt is recorded, so every delivery held in a lane
//! is skipped when the lane is filled again; each is attempted once at a time.
//!
//! Waiting deliveries carry their endpoint's URL and secrets as fetched, so a lane drops them
//! when the endpoint changes, is disabled or deleted, or they have waited `stale_after`.

use super::outbox::Due;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

pub struct Lanes {
    lanes: HashMap<i64, Lane>,
    /// Every delivery in a lane, whatever its state.
    held: HashSet<i64>,
    cap: usize,
    prefetch: usize,
    stale_after: Duration,
}

#[derive(Default)]
struct Lane {
    waiting: VecDeque<Due>,
    in_flight: usize,
    unrecorded: usize,
    /// The endpoint's `updated_at` when the waiting deliveries were fetched.
    version: i64,
    fetched_at: Option<Instant>,
    /// The last fill got all it asked for: there may be more due.
    more: bool,
}

impl Lane {
    fn held(&self) -> usize {
        self.waiting.len() + self.in_flight + self.unrecorded
    }
}

impl Lanes {
    /// `cap` attempts in flight per endpoint, up to `prefetch` deliveries waiting.
    pub fn new(cap: usize, prefetch: usize, stale_after: Duration) -> Lanes {
        Lanes {
            lanes: HashMap::new(),
            held: HashSet::new(),
            cap: cap.max(1),
            prefetch: prefetch.max(1),
            stale_after,
        }
    }

    /// Takes the endpoints with deliveries due, each with its `updated_at`, and answers how
    /// many rows to fetch for each: enough to skip what its lane holds and still fill it.
    /// Waiting deliveries of endpoints absent, changed or stale are dropped first.
    pub fn wanted(&mut self, due: &[(i64, i64)], now: Instant) -> Vec<(i64, usize)> {
        let versions: HashMap<i64, i64> = due.iter().copied().collect();
        for (endpoint, lane) in &mut self.lanes {
            let stale = lane
                .fetched_at
                .is_some_and(|at| now.duration_since(at) >= self.stale_after);
            if versions.get(endpoint) != Some(&lane.version) || stale {
                for d in lane.waiting.drain(..) {
                    self.held.remove(&d.delivery_id);
                }
                lane.more = false;
            }
        }
        due.iter()
            .filter_map(|&(endpoint, _)| {
                let lane = self.lanes.get(&endpoint);
                let waiting = lane.map_or(0, |l| l.waiting.len());
                let want = self.prefetch.saturating_sub(waiting);
                (want > 0).then(|| (endpoint, want + lane.map_or(0, Lane::held)))
            })
            .collect()
    }

    /// Adds what a fetch of `limit` rows for `endpoint` found, skipping deliveries held.
    pub fn fill(
        &mut self,
        endpoint: i64,
        version: i64,
        fetched: Vec<Due>,
        limit: usize,
        now: Instant,
    ) {
        let lane = self.lanes.entry(endpoint).or_default();
        lane.more = fetched.len() >= limit;
        if lane.waiting.is_empty() {
            lane.version = version;
            lane.fetched_at = Some(now);
        }
        for d in fetched {
            if self.held.insert(d.delivery_id) {
                lane.waiting.push_back(d);
            }
        }
    }

    /// Deliveries to attempt now: from each lane, as many as its free slots allow.
    pub fn start(&mut self) -> Vec<Due> {
        let mut out = Vec::new();
        for lane in self.lanes.values_mut() {
            while lane.in_flight < self.cap {
                let Some(d) = lane.waiting.pop_front() else {
                    break;
                };
                lane.in_flight += 1;
                out.push(d);
            }
        }
        out
    }

    /// An attempt ended; it is held until recorded.
    pub fn ended(&mut self, endpoint: i64) {
        if let Some(lane) = self.lanes.get_mut(&endpoint) {
            lane.in_flight = lane.in_flight.saturating_sub(1);
            lane.unrecorded += 1;
        }
    }

    /// Attempts recorded (or given up on): their deliveries may be fetched again.
    pub fn recorded(&mut self, attempts: &[(i64, i64)]) {
        for &(endpoint, delivery) in attempts {
            self.held.remove(&delivery);
            if let Some(lane) = self.lanes.get_mut(&endpoint) {
                lane.unrecorded = lane.unrecorded.saturating_sub(1);
            }
        }
        self.lanes.retain(|_, l| l.held() > 0 || l.more);
    }

    /// Some lane is below half full and its last fill suggested more are due.
    pub fn hungry(&self) -> bool {
        self.lanes
            .values()
            .any(|l| l.more && l.waiting.len() < self.prefetch.div_ceil(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(endpoint: i64, delivery: i64) -> Due {
        Due {
            delivery_id: delivery,
            endpoint_id: endpoint,
            account_id: 1,
            event_id: format!("evt_{delivery}"),
            attempt: 0,
            payload: String::new(),
            url: "http://receiver.test/".into(),
            secrets: vec![],
        }
    }

    fn ids(d: &[Due]) -> Vec<i64> {
        d.iter().map(|d| d.delivery_id).collect()
    }

    #[test]
    fn caps_attempts_per_endpoint_and_skips_what_it_holds() {
        let now = Instant::now();
        let mut lanes = Lanes::new(2, 4, Duration::from_secs(1));
        assert_eq!(lanes.wanted(&[(7, 1), (8, 1)], now), [(7, 4), (8, 4)]);
        lanes.fill(7, 1, (1..=4).map(|i| due(7, i)).collect(), 4, now);
        lanes.fill(8, 1, vec![due(8, 10)], 4, now);
        let mut started = ids(&lanes.start());
        started.sort();
        assert_eq!(started, [1, 2, 10]);
        assert!(lanes.start().is_empty(), "both of 7's slots are taken");

        // 7 holds four; asking for 2 more means fetching 6 rows.
        assert_eq!(lanes.wanted(&[(7, 1)], now), [(7, 6)]);
        lanes.fill(7, 1, (1..=6).map(|i| due(7, i)).collect(), 6, now);
        lanes.ended(7);
        assert_eq!(ids(&lanes.start()), [3], "one slot freed, the next in line");
        lanes.recorded(&[(7, 1)]);
        lanes.ended(7);
        assert_eq!(ids(&lanes.start()), [4]);
        assert_eq!(ids(&lanes.start()), [0i64; 0]);
        lanes.ended(7);
        lanes.ended(7);
        assert_eq!(ids(&lanes.start()), [5, 6]);
    }

    #[test]
    fn drops_waiting_deliveries_of_changed_absent_or_stale_endpoints() {
        let now = Instant::now();
        let mut lanes = Lanes::new(1, 4, Duration::from_secs(1));
        lanes.fill(7, 1, vec![due(7, 1), due(7, 2)], 4, now);
        lanes.fill(8, 1, vec![due(8, 3), due(8, 4)], 4, now);
        lanes.fill(9, 1, vec![due(9, 5), due(9, 6)], 4, now);
        // 7 changed, 8 is gone, 9 is as it was.
        lanes.wanted(&[(7, 2), (9, 1)], now);
        assert_eq!(ids(&lanes.start()), [5]);
        // Nothing of 7 is held now: it is fetched again, with its new URL.
        assert_eq!(lanes.wanted(&[(7, 2)], now), [(7, 4)]);
        lanes.fill(7, 2, vec![due(7, 1)], 4, now);
        assert_eq!(ids(&lanes.start()), [1]);

        lanes.ended(9);
        let later = now + Duration::from_secs(2);
        lanes.wanted(&[(7, 2), (9, 1)], later);
        assert!(lanes.start().is_empty(), "9's waiting delivery went stale");
    }

    #[test]
    fn hungry_while_a_full_fill_runs_low() {
        let now = Instant::now();
        let mut lanes = Lanes::new(4, 4, Duration::from_secs(1));
        lanes.fill(7, 1, (1..=4).map(|i| due(7, i)).collect(), 4, now);
        assert!(!lanes.hungry());
        assert_eq!(lanes.start().len(), 4);
        assert!(lanes.hungry(), "the fill was full: more may be due");
        lanes.fill(7, 1, vec![due(7, 5)], 8, now);
        assert!(!lanes.hungry(), "the last fill found less than it asked");
    }
}
