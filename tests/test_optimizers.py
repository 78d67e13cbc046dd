"""Tests for sknn_sigmoid._optimizers: each update rule rebuilt in plain numpy."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sknn_sigmoid._optimizers import Adam, GradientDescent

SHAPES = [(3, 2), (2, 4), (2,), (4,)]  # like coefs + intercepts of a 3-2-4 network
N_STEPS = 4


def make_params(seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=shape).astype(dtype) for shape in SHAPES]


def make_grads(seed=1, n_steps=N_STEPS, dtype=np.float64):
    """A different gradient for every step."""
    rng = np.random.RandomState(seed)
    return [
        [rng.normal(size=shape).astype(dtype) for shape in SHAPES]
        for _ in range(n_steps)
    ]


def copies(arrays):
    return [a.copy() for a in arrays]


def assert_params_close(params, expected, rtol=1e-13):
    assert len(params) == len(expected)
    for theta, theta_expected in zip(params, expected):
        assert_allclose(theta, theta_expected, rtol=rtol, atol=1e-15)


# --- gradient descent ------------------------------------------------------------


@pytest.mark.parametrize("nesterov", [False, True])
def test_plain_gradient_descent(nesterov):
    # momentum = 0: theta <- theta - eta g, whatever nesterov says.
    eta = 0.3
    params = make_params()
    expected = copies(params)
    optimizer = GradientDescent(
        params, learning_rate_init=eta, momentum=0, nesterov=nesterov
    )
    for grads in make_grads():
        optimizer.update_params(params, grads)
        expected = [theta - eta * g for theta, g in zip(expected, grads)]
        assert_params_close(params, expected)


def test_momentum():
    # v <- mu v - eta g; theta <- theta + v
    eta, mu = 0.1, 0.8
    params = make_params()
    expected = copies(params)
    velocities = [np.zeros(shape) for shape in SHAPES]
    optimizer = GradientDescent(
        params, learning_rate_init=eta, momentum=mu, nesterov=False
    )
    for grads in make_grads():
        optimizer.update_params(params, grads)
        velocities = [mu * v - eta * g for v, g in zip(velocities, grads)]
        expected = [theta + v for theta, v in zip(expected, velocities)]
        assert_params_close(params, expected)


def test_nesterov_momentum():
    # v <- mu v - eta g; theta <- theta + mu v - eta g (with the new v)
    eta, mu = 0.1, 0.8
    params = make_params()
    expected = copies(params)
    velocities = [np.zeros(shape) for shape in SHAPES]
    optimizer = GradientDescent(params, learning_rate_init=eta, momentum=mu)
    for grads in make_grads():
        optimizer.update_params(params, grads)
        velocities = [mu * v - eta * g for v, g in zip(velocities, grads)]
        expected = [
            theta + mu * v - eta * g for theta, v, g in zip(expected, velocities, grads)
        ]
        assert_params_close(params, expected)


def test_momentum_and_nesterov_differ():
    # Guards the two tests above against both rules collapsing into one.
    results = []
    for nesterov in (False, True):
        params = make_params()
        optimizer = GradientDescent(params, momentum=0.9, nesterov=nesterov)
        for grads in make_grads():
            optimizer.update_params(params, grads)
        results.append(params)
    assert not np.allclose(results[0][0], results[1][0])


def test_first_step_with_momentum_hand_computed():
    # One parameter theta = 1, gradient g = 2 twice, eta = 0.1, mu = 0.5.
    # Classical momentum: v1 = -0.2, theta1 = 0.8; v2 = 0.5*(-0.2) - 0.2 = -0.3,
    #                     theta2 = 0.8 - 0.3 = 0.5.
    # Nesterov:           v1 = -0.2, theta1 = 1 + 0.5*(-0.2) - 0.2 = 0.7;
    #                     v2 = -0.3, theta2 = 0.7 + 0.5*(-0.3) - 0.2 = 0.35.
    for nesterov, expected in ((False, [0.8, 0.5]), (True, [0.7, 0.35])):
        theta = np.array([1.0])
        optimizer = GradientDescent(
            [theta], learning_rate_init=0.1, momentum=0.5, nesterov=nesterov
        )
        for value in expected:
            optimizer.update_params([theta], [np.array([2.0])])
            assert theta[0] == pytest.approx(value, rel=1e-14)


# --- learning-rate schedules -----------------------------------------------------


@pytest.mark.parametrize("power_t", [0.5, 0.25])
def test_invscaling_schedule(power_t):
    eta0 = 0.2
    params = make_params()
    optimizer = GradientDescent(
        params,
        learning_rate_init=eta0,
        learning_rate="invscaling",
        momentum=0,
        power_t=power_t,
    )
    assert optimizer.learning_rate == eta0
    for time_step in (10, 100, 999, 5000):
        optimizer.iteration_ends(time_step)
        eta = eta0 / (time_step + 1) ** power_t
        assert optimizer.learning_rate == pytest.approx(eta, rel=1e-14)
        # The next step uses the new rate.
        grads = make_grads(seed=time_step, n_steps=1)[0]
        expected = [theta - eta * g for theta, g in zip(params, grads)]
        optimizer.update_params(params, grads)
        assert_params_close(params, expected)


def test_invscaling_hand_computed():
    # eta0 = 0.5, power_t = 0.5, 99 samples seen: 0.5 / sqrt(100) = 0.05
    optimizer = GradientDescent(
        make_params(), learning_rate_init=0.5, learning_rate="invscaling"
    )
    optimizer.iteration_ends(99)
    assert optimizer.learning_rate == pytest.approx(0.05, rel=1e-15)


@pytest.mark.parametrize("power_t", [200, 200.0, 1e6])
def test_invscaling_with_a_huge_power_decays_to_zero(power_t):
    # (t + 1) ** power_t overflows a float: the rate is 0 to float precision.
    opt = GradientDescent(make_params(), learning_rate="invscaling", power_t=power_t)
    opt.iteration_ends(10**6)
    assert opt.learning_rate == 0.0


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
def test_other_schedules_keep_the_rate_at_epoch_end(schedule):
    optimizer = GradientDescent(
        make_params(), learning_rate_init=0.3, learning_rate=schedule
    )
    for time_step in (1, 50, 1000):
        optimizer.iteration_ends(time_step)
        assert optimizer.learning_rate == 0.3


@pytest.mark.parametrize("eta0", [0.1, 1e-3, 3e-6])
def test_adaptive_schedule_divides_by_five_until_tiny(eta0):
    optimizer = GradientDescent(
        make_params(), learning_rate_init=eta0, learning_rate="adaptive"
    )
    eta = eta0
    n_calls = 0
    while True:
        stop = optimizer.trigger_stopping()
        n_calls += 1
        eta /= 5.0
        assert optimizer.learning_rate == pytest.approx(eta, rel=1e-14)
        assert stop == (eta <= 1e-6)
        if stop:
            break
        assert n_calls < 100
    # It stops at the first division that brings eta to 1e-6 or below:
    # the smallest k with eta0 / 5^k <= 1e-6.
    assert n_calls == math.ceil(math.log(eta0 / 1e-6, 5))
    # Once there, it keeps saying stop without lowering the rate further.
    assert optimizer.trigger_stopping() is True
    assert optimizer.learning_rate == pytest.approx(eta, rel=1e-14)


def test_adaptive_hand_computed():
    # 0.1 / 5 = 0.02, / 5 = 0.004: going on both times.
    optimizer = GradientDescent(
        make_params(), learning_rate_init=0.1, learning_rate="adaptive"
    )
    assert optimizer.trigger_stopping() is False
    assert optimizer.learning_rate == pytest.approx(0.02, rel=1e-15)
    assert optimizer.trigger_stopping() is False
    assert optimizer.learning_rate == pytest.approx(0.004, rel=1e-15)


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_non_adaptive_schedules_stop_at_once(schedule):
    optimizer = GradientDescent(
        make_params(), learning_rate_init=0.1, learning_rate=schedule
    )
    assert optimizer.trigger_stopping() is True
    assert optimizer.learning_rate == 0.1


def test_adaptive_verbose_reports_new_rate(capsys):
    optimizer = GradientDescent(
        make_params(), learning_rate_init=0.1, learning_rate="adaptive"
    )
    optimizer.trigger_stopping(verbose=True)
    assert "0.020000" in capsys.readouterr().out


# --- Adam ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "eta, beta_1, beta_2, epsilon",
    [(0.001, 0.9, 0.999, 1e-8), (0.05, 0.5, 0.9, 1e-4)],
)
def test_adam(eta, beta_1, beta_2, epsilon):
    # m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
    # eta_t = eta sqrt(1 - b2^t) / (1 - b1^t)
    # theta <- theta - eta_t m / (sqrt(v) + eps)
    params = make_params()
    expected = copies(params)
    ms = [np.zeros(shape) for shape in SHAPES]
    vs = [np.zeros(shape) for shape in SHAPES]
    optimizer = Adam(
        params,
        learning_rate_init=eta,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=epsilon,
    )
    for t, grads in enumerate(make_grads(n_steps=6), start=1):
        optimizer.update_params(params, grads)
        ms = [beta_1 * m + (1 - beta_1) * g for m, g in zip(ms, grads)]
        vs = [beta_2 * v + (1 - beta_2) * g**2 for v, g in zip(vs, grads)]
        eta_t = eta * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        expected = [
            theta - eta_t * m / (np.sqrt(v) + epsilon)
            for theta, m, v in zip(expected, ms, vs)
        ]
        assert_params_close(params, expected, rtol=1e-12)
    assert optimizer.t == 6


def test_adam_bias_correction_makes_first_step_the_learning_rate():
    # t = 1: m = (1 - b1) g, v = (1 - b2) g^2, eta_1 = eta sqrt(1 - b2) / (1 - b1),
    # so the step is eta g / |g| (up to epsilon): every entry moves by eta against
    # the sign of its gradient, whatever the gradient's size.
    eta = 0.01
    theta = np.array([1.0, 1.0, 1.0, 1.0])
    g = np.array([1e-3, -2.0, 50.0, -0.1])
    Adam([theta], learning_rate_init=eta, epsilon=1e-12).update_params([theta], [g])
    assert_allclose(theta, 1.0 - eta * np.sign(g), rtol=1e-8)


def test_adam_keeps_its_rate_and_stops_at_once():
    optimizer = Adam(make_params(), learning_rate_init=0.01)
    optimizer.iteration_ends(100)
    assert optimizer.learning_rate == 0.01
    assert optimizer.trigger_stopping() is True


# --- in place, dtype -------------------------------------------------------------


def make_optimizers(params):
    return {
        "plain": GradientDescent(params, learning_rate_init=0.1, momentum=0),
        "momentum": GradientDescent(params, momentum=0.9, nesterov=False),
        "nesterov": GradientDescent(params, momentum=0.9, nesterov=True),
        "adam": Adam(params, learning_rate_init=0.01),
    }


@pytest.mark.parametrize("name", ["plain", "momentum", "nesterov", "adam"])
def test_updates_params_in_place(name):
    params = make_params()
    originals = list(params)
    before = copies(params)
    optimizer = make_optimizers(params)[name]
    optimizer.update_params(params, make_grads(n_steps=1)[0])
    for theta, original, theta_before in zip(params, originals, before):
        assert theta is original
        assert not np.allclose(theta, theta_before)


@pytest.mark.parametrize("name", ["plain", "momentum", "nesterov", "adam"])
def test_float32_params_stay_float32(name):
    params = make_params(dtype=np.float32)
    params64 = [theta.astype(np.float64) for theta in params]
    optimizer = make_optimizers(params)[name]
    optimizer64 = make_optimizers(params64)[name]
    for grads in make_grads(dtype=np.float32):
        optimizer.update_params(params, grads)
        optimizer64.update_params(params64, [g.astype(np.float64) for g in grads])
    for theta, theta64 in zip(params, params64):
        assert theta.dtype == np.float32
        assert_allclose(theta, theta64, rtol=1e-5, atol=1e-6)


# --- descent on a quadratic ------------------------------------------------------


@pytest.mark.parametrize(
    "name, n_steps, tol",
    [("plain", 200, 1e-8), ("momentum", 400, 1e-6), ("nesterov", 400, 1e-6)]
    + [("adam", 3000, 1e-3)],
)
def test_minimises_a_quadratic(name, n_steps, tol):
    # f(theta) = 1/2 sum ||theta - c||^2 has gradient theta - c and minimum at c.
    rng = np.random.RandomState(3)
    targets = [rng.normal(size=shape) for shape in SHAPES]
    params = make_params()

    def f():
        return 0.5 * sum(np.sum((theta - c) ** 2) for theta, c in zip(params, targets))

    if name == "adam":
        optimizer = Adam(params, learning_rate_init=0.01)
    else:
        optimizer = make_optimizers(params)[name]
    f_start = f()
    values = []
    for _ in range(n_steps):
        optimizer.update_params(
            params, [theta - c for theta, c in zip(params, targets)]
        )
        values.append(f())
    if name == "plain":
        # eta = 0.1 < 2 / curvature: every step goes downhill.
        assert np.all(np.diff([f_start, *values]) < 0)
    assert values[-1] < 1e-3 * f_start
    for theta, c in zip(params, targets):
        assert_allclose(theta, c, atol=tol)


def test_adam_follows_the_adaptive_schedule():
    # With "adaptive", a stall divides Adam's eta by 5, and the next step is the
    # bias-corrected step of the smaller eta.
    theta = [np.zeros(3)]
    grads = [np.array([1.0, -2.0, 0.5])]
    adam = Adam(theta, learning_rate_init=0.1, learning_rate="adaptive")
    assert adam.trigger_stopping() is False
    assert adam.learning_rate == pytest.approx(0.02)
    adam.update_params(theta, grads)
    # First step: m = 0.1 g, v = 0.001 g^2, bias-corrected ratio m/sqrt(v) = sign(g).
    assert_allclose(theta[0], -0.02 * np.sign(grads[0]), rtol=1e-6)


@pytest.mark.parametrize("name", ["momentum", "nesterov", "adam"])
def test_restoring_a_snapshot_undoes_the_steps_since(name):
    grads = make_grads()
    params = make_params()
    optimizer = make_optimizers(params)[name]
    optimizer.update_params(params, grads[0])
    saved, kept = optimizer.snapshot(), copies(params)
    with np.errstate(invalid="ignore"):  # Adam divides inf by inf
        optimizer.update_params(params, [np.full_like(g, np.inf) for g in grads[1]])
    assert not optimizer.is_finite()
    optimizer.restore(saved)
    for theta, theta_kept in zip(params, kept):
        theta[...] = theta_kept
    assert optimizer.is_finite()
    twin = make_params()
    twin_optimizer = make_optimizers(twin)[name]
    twin_optimizer.update_params(twin, grads[0])
    for g in grads[1:]:
        optimizer.update_params(params, g)
        twin_optimizer.update_params(twin, g)
    assert_params_close(params, twin, rtol=0)
