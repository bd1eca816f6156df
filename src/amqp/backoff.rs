//! The wait between two attempts to reach the broker: doubling from a floor up to a cap, reset
//! by a success.

use std::time::Duration;

use tokio::time::Instant;

/// Failures in a row and when the next attempt may start.
#[derive(Debug, Clone)]
pub(super) struct Backoff {
    floor: Duration,
    cap: Duration,
    failures: u32,
    next_attempt: Option<Instant>,
}

impl Backoff {
    pub(super) fn new(floor: Duration, cap: Duration) -> Self {
        Backoff { floor, cap: cap.max(floor), failures: 0, next_attempt: None }
    }

    /// The wait after `failures` failures in a row: none after none, then the floor, doubled
    /// for each further failure, at most the cap.
    pub(super) fn delay(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let doublings = (failures - 1).min(31);
        self.floor.saturating_mul(1u32 << doublings).min(self.cap)
    }

    /// Records a failure at `now`; returns the wait before the next attempt.
    pub(super) fn failed(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let wait = self.delay(self.failures);
        self.next_attempt = Some(now + wait);
        wait
    }

    /// Records a success: the next attempt may start at once.
    pub(super) fn succeeded(&mut self) {
        self.failures = 0;
        self.next_attempt = None;
    }

    /// Failures in a row so far.
    pub(super) fn failures(&self) -> u32 {
        self.failures
    }

    /// When the next attempt may start (`None`: now).
    pub(super) fn next_attempt(&self) -> Option<Instant> {
        self.next_attempt
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::Backoff;

    #[test]
    fn the_wait_doubles_from_the_floor_up_to_the_cap() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(30));
        let table = [
            (0, 0),
            (1, 100),
            (2, 200),
            (3, 400),
            (8, 12_800),
            (9, 25_600),
            (10, 30_000),
            (40, 30_000),
            (u32::MAX, 30_000),
        ];
        for (failures, millis) in table {
            assert_eq!(backoff.delay(failures), Duration::from_millis(millis), "{failures} failures");
        }
    }

    #[test]
    fn a_success_resets_the_wait() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let now = Instant::now();
        assert_eq!(backoff.failed(now), Duration::from_millis(100));
        assert_eq!(backoff.failed(now), Duration::from_millis(200));
        assert_eq!(backoff.next_attempt(), Some(now + Duration::from_millis(200)));
        assert_eq!(backoff.failures(), 2);
        backoff.succeeded();
        assert_eq!((backoff.failures(), backoff.next_attempt()), (0, None));
        assert_eq!(backoff.failed(now), Duration::from_millis(100));
    }

    #[test]
    fn a_cap_below_the_floor_is_the_floor() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_millis(10));
        assert_eq!(backoff.delay(5), Duration::from_secs(1));
    }
}
