//! Login attempts are limited per username and per client address, so that neither a
//! single account nor the whole user list can be guessed at speed. Limits are kept in
//! memory per process; with several servers an attacker gains at most a factor of
//! the number of servers.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginLimiter {
    per_user: DefaultKeyedRateLimiter<String>,
    per_addr: DefaultKeyedRateLimiter<IpAddr>,
}

/// Burst of 10 attempts per username, then one every 30 s.
const USER_BURST: u32 = 10;
const USER_PERIOD: Duration = Duration::from_secs(30);
/// Burst of 30 attempts per address, then one every 5 s.
const ADDR_BURST: u32 = 30;
const ADDR_PERIOD: Duration = Duration::from_secs(5);

fn quota(burst: u32, period: Duration) -> Quota {
    // Both constants are non-zero; `Quota::with_period` only refuses a zero period.
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter {
            per_user: RateLimiter::keyed(quota(USER_BURST, USER_PERIOD)),
            per_addr: RateLimiter::keyed(quota(ADDR_BURST, ADDR_PERIOD)),
        }
    }
}

impl LoginLimiter {
    /// Counts one attempt; `Err(seconds)` when the caller must wait.
    pub fn check(&self, username: &str, addr: IpAddr) -> Result<(), u64> {
        let now = DefaultClock::default().now();
        // Forget idle keys now and then so that the maps stay small.
        if self.per_user.len() > 10_000 {
            self.per_user.retain_recent();
        }
        if self.per_addr.len() > 10_000 {
            self.per_addr.retain_recent();
        }
        let key = username.trim().to_lowercase();
        self.per_addr
            .check_key(&addr)
            .and_then(|_| self.per_user.check_key(&key))
            .map_err(|not_until| not_until.wait_time_from(now).as_secs().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_attempt_on_one_username_is_refused() {
        let limiter = LoginLimiter::default();
        let addr: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..USER_BURST {
            assert!(limiter.check("an", addr).is_ok());
        }
        let wait = limiter.check("AN", addr).unwrap_err();
        assert!(wait >= 1);
        // Another user from the same address is still allowed.
        assert!(limiter.check("binh", addr).is_ok());
    }
}
