"""The circuit breaker's state machine and the retry delays, on a clock the test controls."""

from __future__ import annotations

import pytest

from gateway.upstreams.resilience import BreakerState, CircuitBreaker, RetryPolicy


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout_s=10, clock=FakeClock())
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # a success in between resets the count
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()


def test_breaker_half_open_lets_one_trial_through_then_closes_on_success() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_s=10, clock=clock)
    breaker.record_failure()
    clock.now = 10.0
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()  # a second caller waits for the trial's verdict
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()


def test_breaker_failed_trial_reopens_for_a_full_period() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_s=10, clock=clock)
    breaker.record_failure()
    clock.now = 10.0
    assert breaker.allow()
    breaker.record_failure()
    clock.now = 19.9
    assert breaker.state is BreakerState.OPEN
    clock.now = 20.0
    assert breaker.state is BreakerState.HALF_OPEN


def test_breaker_neutral_end_of_trial_frees_the_slot() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_s=1, clock=clock)
    breaker.record_failure()
    clock.now = 1.0
    assert breaker.allow()
    breaker.record_neutral()
    assert breaker.allow()


@pytest.mark.parametrize(("retry", "ceiling"), [(1, 0.1), (2, 0.2), (3, 0.4), (6, 2.0)])
def test_retry_delay_is_jittered_below_a_capped_exponential(retry: int, ceiling: float) -> None:
    policy = RetryPolicy(attempts=6, base_delay_s=0.1, max_delay_s=2.0)
    assert policy.delay(retry, rand=lambda: 0.999999) == pytest.approx(ceiling, rel=1e-4)
    assert policy.delay(retry, rand=lambda: 0.0) == 0.0
