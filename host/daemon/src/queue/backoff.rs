use std::time::Duration;

use rand::Rng as _;

/// Delay before retry number `attempt` (1-based): exponential from `base`, capped
/// at `max`, with ±20 % jitter so retries of many items do not arrive in lockstep.
/// A delay the platform asked for (`Retry-After`) wins when it is longer.
pub(crate) fn delay(
    attempt: u32,
    base: Duration,
    max: Duration,
    asked: Option<Duration>,
) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let capped = exp.min(max);
    let jitter = rand::rng().random_range(0.8..1.2);
    let jittered = capped.mul_f64(jitter);
    match asked {
        Some(asked) if asked > jittered => asked.min(max.max(asked)),
        _ => jittered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps_and_honours_retry_after() {
        let base = Duration::from_secs(1);
        let max = Duration::from_secs(60);
        let first = delay(1, base, max, None);
        assert!(first >= Duration::from_millis(800) && first <= Duration::from_millis(1200));
        let fourth = delay(4, base, max, None);
        assert!(fourth >= Duration::from_millis(6400) && fourth <= Duration::from_millis(9600));
        let late = delay(30, base, max, None);
        assert!(late <= Duration::from_secs(72));
        assert_eq!(
            delay(1, base, max, Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
    }
}
