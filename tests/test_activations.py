"""Tests for sknn_sigmoid._activations: the sigmoid, its derivative, the two losses
and their output errors delta[L] = dJ/dz[L]."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn_sigmoid._activations import (
    LOSS_FUNCTIONS,
    OUTPUT_DELTAS,
    log_loss,
    log_loss_delta,
    sigmoid,
    sigmoid_derivative,
    squared_error,
    squared_error_delta,
)

LOSSES = ["squared_error", "log_loss"]


def literal_sigmoid(Z):
    """The textbook formula, only safe where exp(-z) does not overflow."""
    return 1.0 / (1.0 + np.exp(-Z))


def random_batch(seed, n_samples=6, n_outputs=3, dtype=np.float64):
    """Pre-activations z[L], one-hot targets y and non-uniform sample weights w."""
    rng = np.random.RandomState(seed)
    Z = rng.normal(scale=2.0, size=(n_samples, n_outputs))
    Y = np.eye(n_outputs)[rng.randint(n_outputs, size=n_samples)]
    w = rng.uniform(0.2, 3.0, size=n_samples)
    return Z.astype(dtype), Y.astype(dtype), w.astype(dtype)


# --- sigmoid ---------------------------------------------------------------------


def test_sigmoid_matches_literal_formula():
    Z = np.linspace(-30.0, 30.0, 121).reshape(11, 11)
    assert_allclose(sigmoid(Z), literal_sigmoid(Z), rtol=1e-14, atol=0)


def test_sigmoid_known_values():
    # sigmoid(0) = 1/2; sigmoid(ln 3) = 1/(1 + 1/3) = 3/4; sigmoid(-ln 3) = 1/4.
    Z = np.array([0.0, np.log(3.0), -np.log(3.0)])
    assert_allclose(sigmoid(Z), [0.5, 0.75, 0.25], rtol=1e-15)


def test_sigmoid_symmetry():
    # sigmoid(-z) = 1 - sigmoid(z)
    Z = np.linspace(-10.0, 10.0, 41)
    assert_allclose(sigmoid(-Z), 1.0 - sigmoid(Z), atol=1e-15)


def test_literal_formula_overflows_at_large_negative_z():
    # Why the package does not use the literal formula: exp(1000) overflows.
    with np.errstate(all="raise"), pytest.raises(FloatingPointError):
        literal_sigmoid(np.array([-1000.0]))


def test_sigmoid_saturates_without_overflow_or_warning():
    Z = np.array([-1000.0, -745.0, 0.0, 745.0, 1000.0])
    with np.errstate(all="raise"):
        A = sigmoid(Z)
    assert np.all(np.isfinite(A))
    assert A[0] == 0.0
    assert A[2] == 0.5
    assert A[-1] == 1.0
    assert np.all(np.diff(A) >= 0)


def test_sigmoid_saturates_without_overflow_float32():
    Z = np.array([-1000.0, -100.0, 100.0, 1000.0], dtype=np.float32)
    with np.errstate(all="raise"):
        A = sigmoid(Z)
    assert A.dtype == np.float32
    assert_array_equal(A, np.array([0.0, 0.0, 1.0, 1.0], dtype=np.float32))


def test_sigmoid_keeps_float32():
    Z64 = np.linspace(-8.0, 8.0, 33)
    Z32 = Z64.astype(np.float32)
    A32 = sigmoid(Z32)
    assert A32.dtype == np.float32
    assert A32.shape == Z32.shape
    assert_allclose(A32, literal_sigmoid(Z64), rtol=1e-6)


def test_sigmoid_in_place():
    Z = np.array([[-2.0, 0.0], [1.0, 3.0]])
    expected = literal_sigmoid(Z)
    result = sigmoid(Z, out=Z)
    assert result is Z
    assert_allclose(Z, expected, rtol=1e-15)


def test_sigmoid_into_separate_buffer_leaves_input_alone():
    Z = np.array([-1.0, 0.5, 2.0], dtype=np.float32)
    Z_before = Z.copy()
    out = np.empty_like(Z)
    result = sigmoid(Z, out=out)
    assert result is out
    assert_array_equal(Z, Z_before)
    assert_allclose(out, literal_sigmoid(Z_before.astype(np.float64)), rtol=1e-6)


# --- sigmoid_derivative ----------------------------------------------------------


def test_sigmoid_derivative_is_central_difference_of_sigmoid():
    Z = np.linspace(-12.0, 12.0, 97)
    h = 1e-6
    numerical = (sigmoid(Z + h) - sigmoid(Z - h)) / (2 * h)
    # Near a = 1 the difference of two numbers close to 1 loses ~1e-16 / h = 1e-10
    # absolutely; the derivative itself is at most 0.25.
    assert_allclose(sigmoid_derivative(sigmoid(Z)), numerical, rtol=1e-7, atol=1e-9)


def test_sigmoid_derivative_values():
    # a (1 - a): 0.5 * 0.5 = 0.25 (the maximum, at z = 0); 0.75 * 0.25 = 0.1875.
    A = np.array([0.5, 0.75, 0.25, 0.0, 1.0])
    assert_allclose(sigmoid_derivative(A), [0.25, 0.1875, 0.1875, 0.0, 0.0])


# --- losses ----------------------------------------------------------------------


def direct_squared_error(A, Y, w):
    m = w.sum()
    total = 0.0
    for i in range(A.shape[0]):
        total += w[i] * np.sum((A[i] - Y[i]) ** 2)
    return total / (2 * m)


def direct_log_loss(A, Y, w):
    m = w.sum()
    total = 0.0
    for i in range(A.shape[0]):
        total += w[i] * np.sum(Y[i] * np.log(A[i]) + (1 - Y[i]) * np.log(1 - A[i]))
    return -total / m


DIRECT = {"squared_error": direct_squared_error, "log_loss": direct_log_loss}


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_matches_direct_formula(loss, seed):
    Z, Y, w = random_batch(seed)
    A = literal_sigmoid(Z)
    J = LOSS_FUNCTIONS[loss](A, Y, w, w.sum())
    assert isinstance(J, float)
    assert J == pytest.approx(DIRECT[loss](A, Y, w), rel=1e-12)


@pytest.mark.parametrize("loss", LOSSES)
def test_loss_uses_the_given_normaliser(loss):
    # J is proportional to 1/m: doubling m halves J.
    Z, Y, w = random_batch(3)
    A = literal_sigmoid(Z)
    J = LOSS_FUNCTIONS[loss](A, Y, w, w.sum())
    assert LOSS_FUNCTIONS[loss](A, Y, w, 2 * w.sum()) == pytest.approx(J / 2, rel=1e-12)


def test_squared_error_small_example():
    # Two samples, two outputs, w = (1, 3), m = 4:
    # sample 0: (0.5 - 1)^2 + (0.5 - 0)^2 = 0.25 + 0.25 = 0.5, weighted 0.5
    # sample 1: (0.75 - 0)^2 + (0.25 - 1)^2 = 0.5625 + 0.5625 = 1.125, weighted 3.375
    # J = (0.5 + 3.375) / (2 * 4) = 3.875 / 8 = 0.484375
    A = np.array([[0.5, 0.5], [0.75, 0.25]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    w = np.array([1.0, 3.0])
    assert squared_error(A, Y, w, 4.0) == pytest.approx(0.484375, rel=1e-15)


def test_log_loss_small_example():
    # One sample, one output a = 0.5, y = 1: J = -log(0.5) = ln 2.
    assert log_loss(
        np.array([[0.5]]), np.array([[1.0]]), np.array([1.0]), 1.0
    ) == pytest.approx(np.log(2.0), rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_loss_finite_at_saturated_outputs(dtype):
    # a = 0 where y = 1 and a = 1 where y = 0: log(0) would be -inf.
    A = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
    Y = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=dtype)
    w = np.ones(2, dtype=dtype)
    with np.errstate(all="raise"):
        J = log_loss(A, Y, w, float(w.sum()))
    assert np.isfinite(J)
    # Sample 0 is wrong on both outputs, so J is at least -log(eps) per wrong output
    # divided by m = 2; sample 1 is right on both, so it adds nearly nothing.
    assert J >= -np.log(np.finfo(dtype).eps) * 0.99
    # A saturated correct output costs (almost) nothing.
    J_right = log_loss(A[1:], Y[1:], w[1:], 1.0)
    assert 0.0 <= J_right < 1e-6


# --- output deltas ---------------------------------------------------------------


def numerical_delta(loss, Z, Y, w, h=1e-6):
    """Central finite difference of J(sigmoid(Z)) with respect to every z[L]_ik."""
    m = w.sum()
    delta = np.zeros_like(Z)
    for index in np.ndindex(Z.shape):
        Z_plus, Z_minus = Z.copy(), Z.copy()
        Z_plus[index] += h
        Z_minus[index] -= h
        J_plus = LOSS_FUNCTIONS[loss](literal_sigmoid(Z_plus), Y, w, m)
        J_minus = LOSS_FUNCTIONS[loss](literal_sigmoid(Z_minus), Y, w, m)
        delta[index] = (J_plus - J_minus) / (2 * h)
    return delta


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_output_delta_is_derivative_of_loss_wrt_z(loss, seed):
    Z, Y, w = random_batch(seed)
    A = literal_sigmoid(Z)
    delta = OUTPUT_DELTAS[loss](A, Y, w, w.sum())
    assert delta.shape == Z.shape
    assert_allclose(delta, numerical_delta(loss, Z, Y, w), rtol=1e-5, atol=1e-9)


def test_squared_error_delta_keeps_sigmoid_derivative_and_log_loss_delta_drops_it():
    Z, Y, w = random_batch(4)
    A = literal_sigmoid(Z)
    m = w.sum()
    scale = (w / m)[:, np.newaxis]
    assert_allclose(log_loss_delta(A, Y, w, m), (A - Y) * scale, rtol=1e-14)
    assert_allclose(
        squared_error_delta(A, Y, w, m), (A - Y) * A * (1 - A) * scale, rtol=1e-14
    )
    # The ratio of the two output errors is exactly sigmoid'(z) = a (1 - a).
    ratio = squared_error_delta(A, Y, w, m) / log_loss_delta(A, Y, w, m)
    assert_allclose(ratio, A * (1 - A), rtol=1e-12)


def test_delta_small_example():
    # a = 0.75, y = 0, w = (1, 3), m = 4; sample 1 has weight 3, so w/m = 0.75.
    # squared error: (0.75 - 0) * 0.75 * 0.25 * 0.75 = 0.10546875
    # log-loss:      (0.75 - 0) * 0.75             = 0.5625
    # sample 0 with a = 0.5, y = 1, w/m = 0.25:
    # squared error: (-0.5) * 0.25 * 0.25 = -0.03125; log-loss: (-0.5) * 0.25 = -0.125
    A = np.array([[0.5], [0.75]])
    Y = np.array([[1.0], [0.0]])
    w = np.array([1.0, 3.0])
    assert_allclose(squared_error_delta(A, Y, w, 4.0), [[-0.03125], [0.10546875]])
    assert_allclose(log_loss_delta(A, Y, w, 4.0), [[-0.125], [0.5625]])


@pytest.mark.parametrize("loss", LOSSES)
def test_float32_inputs_give_float32_deltas(loss):
    Z, Y, w = random_batch(5, dtype=np.float32)
    A = sigmoid(Z)
    m = float(w.sum())
    delta = OUTPUT_DELTAS[loss](A, Y, w, m)
    assert delta.dtype == np.float32
    J = LOSS_FUNCTIONS[loss](A, Y, w, m)
    assert isinstance(J, float) and np.isfinite(J)
    A64, Y64, w64 = A.astype(np.float64), Y.astype(np.float64), w.astype(np.float64)
    assert_allclose(delta, OUTPUT_DELTAS[loss](A64, Y64, w64, m), rtol=1e-5, atol=1e-7)


def test_registries_pair_each_loss_with_its_delta():
    assert LOSS_FUNCTIONS == {"squared_error": squared_error, "log_loss": log_loss}
    assert OUTPUT_DELTAS == {
        "squared_error": squared_error_delta,
        "log_loss": log_loss_delta,
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_within_a_few_ulps_of_expit(dtype):
    # Over the whole range training uses (z clipped to +-log(1/eps)): measured 4
    # units in the last place of expit's float32 result at most, 2 of the larger of
    # a and 1 - a (which a(1 - a) and log(1 - a) read), 0 in float64.
    from scipy.special import expit

    from sknn_sigmoid._network import saturation_bound

    bound = saturation_bound(dtype)
    z = np.linspace(-bound, bound, 400_001, dtype=dtype)
    a, reference = sigmoid(z), expit(z)
    assert a.dtype == dtype
    assert np.max(np.abs(a - reference) / np.spacing(reference)) <= 8
    larger = np.maximum(reference, 1 - reference)
    assert np.max(np.abs(a - reference) / np.spacing(larger)) <= 4
