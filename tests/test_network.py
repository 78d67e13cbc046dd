"""Tests for sknn_sigmoid._network: forward and backward propagation.

Notation of the lecture: L layers after the input layer 0, n[l] neurons in layer l,
z[l] = W[l] a[l-1] + b[l], a[l] = sigmoid(z[l]); ``coefs[l-1]`` is W[l] transposed,
``intercepts[l-1]`` is b[l], ``activations[l]`` is a[l].
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit

from sknn_sigmoid._activations import LOSS_FUNCTIONS, sigmoid
from sknn_sigmoid._network import (
    backward,
    forward,
    frequency_logits,
    frequency_loss,
    init_parameters,
    loss_and_gradients,
    objective,
    pack,
    penalty,
    unpack,
)
from sknn_sigmoid._optimizers import GradientDescent

LOSSES = ["squared_error", "log_loss"]

# n[0], ..., n[L]
ARCHITECTURES = {
    "no-hidden-layer": [3, 2],
    "one-hidden-layer": [3, 4, 3],
    "two-hidden-layers": [4, 3, 5, 2],
    "two-class-single-output": [3, 2, 1],
}


def make_problem(layer_sizes, seed, weighted, dtype=np.float64, n_samples=5):
    """Random X, targets Y, sample weights w and parameters of the given network."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, layer_sizes[0]))
    n_outputs = layer_sizes[-1]
    if n_outputs == 1:
        Y = rng.randint(2, size=(n_samples, 1)).astype(float)
    else:
        Y = np.eye(n_outputs)[rng.randint(n_outputs, size=n_samples)]
    w = rng.uniform(0.3, 3.0, n_samples) if weighted else np.ones(n_samples)
    # Parameters of order 1 so that the hidden units are neither linear nor saturated.
    coefs = [rng.normal(size=(a, b)) for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]
    intercepts = [rng.normal(size=n) for n in layer_sizes[1:]]
    cast = [X, Y, w]
    return (
        *(v.astype(dtype) for v in cast),
        [W.astype(dtype) for W in coefs],
        [b.astype(dtype) for b in intercepts],
    )


def numerical_gradients(X, Y, w, coefs, intercepts, alpha, loss, eps=1e-6):
    """Central differences (J(theta + eps) - J(theta - eps)) / (2 eps), entrywise."""

    def J():
        return loss_and_gradients(X, Y, w, coefs, intercepts, alpha, loss)[0]

    grads = []
    for theta in coefs + intercepts:
        grad = np.zeros_like(theta)
        for index in np.ndindex(theta.shape):
            original = theta[index]
            theta[index] = original + eps
            J_plus = J()
            theta[index] = original - eps
            J_minus = J()
            theta[index] = original
            grad[index] = (J_plus - J_minus) / (2 * eps)
        grads.append(grad)
    L = len(coefs)
    return grads[:L], grads[L:]


def assert_gradients_match(X, Y, w, coefs, intercepts, alpha, loss):
    J, coef_grads, intercept_grads = loss_and_gradients(
        X, Y, w, coefs, intercepts, alpha, loss
    )
    num_coef_grads, num_intercept_grads = numerical_gradients(
        X, Y, w, coefs, intercepts, alpha, loss
    )
    assert np.isfinite(J)
    assert len(coef_grads) == len(coefs)
    assert len(intercept_grads) == len(intercepts)
    for grad, num, W in zip(coef_grads, num_coef_grads, coefs):
        assert grad.shape == W.shape
        assert_allclose(grad, num, rtol=1e-5, atol=1e-8)
    for grad, num, b in zip(intercept_grads, num_intercept_grads, intercepts):
        assert grad.shape == b.shape
        assert_allclose(grad, num, rtol=1e-5, atol=1e-8)


# --- finite-difference gradient check --------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("alpha", [0.0, 0.1])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_gradients_match_finite_differences(architecture, loss, alpha, weighted):
    X, Y, w, coefs, intercepts = make_problem(
        ARCHITECTURES[architecture],
        seed=list(ARCHITECTURES).index(architecture),
        weighted=weighted,
    )
    assert_gradients_match(X, Y, w, coefs, intercepts, alpha, loss)


@pytest.mark.parametrize("loss", LOSSES)
def test_gradients_match_finite_differences_sparse_input(loss):
    X, Y, w, coefs, intercepts = make_problem([4, 3, 2], seed=7, weighted=True)
    X[np.abs(X) < 0.7] = 0.0  # about half the entries become structural zeros
    X_csr = sp.csr_matrix(X)
    assert 0 < X_csr.nnz < X.size
    assert_gradients_match(X_csr, Y, w, coefs, intercepts, 0.1, loss)
    # ... and sparse and dense inputs give the same J and gradients.
    J_sparse, *grads_sparse = loss_and_gradients(
        X_csr, Y, w, coefs, intercepts, 0.1, loss
    )
    J_dense, *grads_dense = loss_and_gradients(X, Y, w, coefs, intercepts, 0.1, loss)
    assert J_sparse == pytest.approx(J_dense, rel=1e-12)
    for sparse_list, dense_list in zip(grads_sparse, grads_dense):
        for g_sparse, g_dense in zip(sparse_list, dense_list):
            assert isinstance(g_sparse, np.ndarray)
            assert_allclose(g_sparse, g_dense, rtol=1e-12, atol=1e-15)


def test_integer_sample_weights_equal_repeated_samples():
    # w_i = 2 is the same as sample i appearing twice (m counts it twice too).
    X, Y, _, coefs, intercepts = make_problem([3, 4, 2], seed=11, weighted=False)
    w = np.array([1.0, 2.0, 1.0, 3.0, 1.0])
    rows = np.repeat(np.arange(5), w.astype(int))
    weighted = loss_and_gradients(X, Y, w, coefs, intercepts, 0.1, "squared_error")
    repeated = loss_and_gradients(
        X[rows], Y[rows], np.ones(len(rows)), coefs, intercepts, 0.1, "squared_error"
    )
    assert weighted[0] == pytest.approx(repeated[0], rel=1e-12)
    for weighted_list, repeated_list in zip(weighted[1:], repeated[1:]):
        for g_w, g_r in zip(weighted_list, repeated_list):
            assert_allclose(g_w, g_r, rtol=1e-12, atol=1e-15)


# --- a hand-worked example -------------------------------------------------------


def test_hand_worked_one_step_example():
    # A 2-2-1 network (n[0] = 2, n[1] = 2, n[2] = 1, L = 2), squared error,
    # alpha = 0.4, two samples with weights w = (1, 3), so m = 1 + 3 = 4,
    # alpha / (2m) = 0.05 and alpha / m = 0.1. Learning rate eta = 0.5.
    #
    # x(1) = (1, 0), y(1) = 1;  x(2) = (0, 1), y(2) = 0.
    # W[1] = [[ 0.5,  1.5],      b[1] = (-0.5, 0.5)
    #         [-0.5, -1.0]]
    # (row j = neuron j of layer 1, column k = input k; coefs[0] = W[1]^T)
    # W[2] = [[2.0, -1.0]],      b[2] = (-0.5,)
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    Y = np.array([[1.0], [0.0]])
    w = np.array([1.0, 3.0])
    coefs = [np.array([[0.5, -0.5], [1.5, -1.0]]), np.array([[2.0], [-1.0]])]
    intercepts = [np.array([-0.5, 0.5]), np.array([-0.5])]
    alpha, eta = 0.4, 0.5
    #
    # Forward pass.
    # Sample 1: z[1] = (0.5*1 + 1.5*0 - 0.5, -0.5*1 - 1.0*0 + 0.5) = (0, 0)
    #           a[1] = (sigmoid(0), sigmoid(0)) = (0.5, 0.5)
    #           z[2] = 2.0*0.5 - 1.0*0.5 - 0.5 = 0,  a[2] = sigmoid(0) = 0.5
    # Sample 2: z[1] = (0.5*0 + 1.5*1 - 0.5, -0.5*0 - 1.0*1 + 0.5) = (1.0, -0.5)
    #           a[1] = (sigmoid(1), sigmoid(-0.5))
    #                = (1/(1 + e^-1), 1/(1 + e^0.5))
    #                = (1/1.3678794411714423, 1/2.6487212707001282)
    #                = (0.7310585786300049, 0.3775406687981454)
    #           z[2] = 2.0*0.7310585786300049 - 1.0*0.3775406687981454 - 0.5
    #                = 1.4621171572600098 - 0.8775406687981454 = 0.5845764884618644
    #           a[2] = 1/(1 + e^-0.5845764884618644) = 1/(1 + 0.5573462664892376)
    #                = 0.6421197750308077
    activations = forward(X, coefs, intercepts)
    assert activations[0] is X
    assert activations[1] == pytest.approx(
        np.array([[0.5, 0.5], [0.7310585786300049, 0.3775406687981454]]), rel=1e-13
    )
    assert activations[2] == pytest.approx(
        np.array([[0.5], [0.6421197750308077]]), rel=1e-13
    )
    #
    # Loss J = 1/(2m) sum_i w_i (a[2]_i - y_i)^2 + alpha/(2m) (||W[1]||^2 + ||W[2]||^2)
    #   data term: (1*(0.5 - 1)^2 + 3*(0.6421197750308077 - 0)^2) / 8
    #            = (0.25 + 3*0.4123178054856151) / 8
    #            = (0.25 + 1.2369534164568454) / 8 = 1.4869534164568454 / 8
    #            = 0.18586917705710568
    #   penalty:   0.05 * (0.25 + 0.25 + 2.25 + 1 + 4 + 1) = 0.05 * 8.75 = 0.4375
    #   J = 0.18586917705710568 + 0.4375 = 0.62336917705710568
    J, coef_grads, intercept_grads = loss_and_gradients(
        X, Y, w, coefs, intercepts, alpha, "squared_error"
    )
    assert J == pytest.approx(0.62336917705710568, rel=1e-13)
    #
    # Output error delta[2] = (a[2] - y) a[2] (1 - a[2]) w / m.
    #   Sample 1: (0.5 - 1) * 0.5 * 0.5 * 1/4 = -0.5 * 0.25 * 0.25 = -0.03125
    #   Sample 2: a(1 - a) = 0.6421197750308077 * 0.3578802249691923
    #                      = 0.2298019695451926
    #             (a - y) a (1 - a) = 0.6421197750308077 * 0.2298019695451926
    #                               = 0.1475603889859956
    #             times w/m = 3/4:  0.1475603889859956 * 0.75 = 0.1106702917394967
    #
    # Hidden error delta[1] = (delta[2] W[2]) * a[1] (1 - a[1]), W[2] = (2, -1).
    #   Sample 1: (-0.03125*2, -0.03125*(-1)) * (0.25, 0.25)
    #           = (-0.0625, 0.03125) * 0.25 = (-0.015625, 0.0078125)
    #   Sample 2: sigmoid'(1)    = 0.7310585786300049 * 0.2689414213699951
    #                            = 0.19661193324148185
    #             sigmoid'(-0.5) = 0.3775406687981454 * 0.6224593312018546
    #                            = 0.2350037122015945
    #             delta[2] W[2] = (0.2213405834789934, -0.1106702917394967)
    #             delta[1] = (0.2213405834789934 * 0.19661193324148185,
    #                         -0.1106702917394967 * 0.2350037122015945)
    #                      = (0.04351820002260249, -0.02600792938921518)
    #
    # Gradients, dJ/dW[l] = sum_i delta[l]_i a[l-1]_i^T + (alpha/m) W[l].
    #   dJ/dW[2], entry from hidden neuron 1:
    #       -0.03125*0.5 + 0.1106702917394967*0.7310585786300049 + 0.1*2
    #     = -0.015625 + 0.08090646617564443 + 0.2 = 0.26528146617564443
    #   dJ/dW[2], entry from hidden neuron 2:
    #       -0.03125*0.5 + 0.1106702917394967*0.3775406687981454 + 0.1*(-1)
    #     = -0.015625 + 0.04178253595941545 - 0.1 = -0.07384246404058455
    #   dJ/db[2] = -0.03125 + 0.1106702917394967 = 0.0794202917394967
    assert coef_grads[1] == pytest.approx(
        np.array([[0.26528146617564443], [-0.07384246404058455]]), rel=1e-12
    )
    assert intercept_grads[1] == pytest.approx(
        np.array([0.0794202917394967]), rel=1e-12
    )
    #   dJ/dW[1]: the inputs are the unit vectors, so the gradient's row k
    #   (coefs[0] layout, input k) is delta[1] of sample k plus 0.1 * coefs[0][k]:
    #     row 1: (-0.015625 + 0.1*0.5, 0.0078125 + 0.1*(-0.5)) = (0.034375, -0.0421875)
    #     row 2: (0.04351820002260249 + 0.1*1.5, -0.02600792938921518 + 0.1*(-1.0))
    #          = (0.19351820002260249, -0.12600792938921518)
    #   dJ/db[1] = (-0.015625 + 0.04351820002260249, 0.0078125 - 0.02600792938921518)
    #            = (0.02789320002260249, -0.01819542938921518)
    assert coef_grads[0] == pytest.approx(
        np.array([[0.034375, -0.0421875], [0.19351820002260249, -0.12600792938921518]]),
        rel=1e-12,
    )
    assert intercept_grads[0] == pytest.approx(
        np.array([0.02789320002260249, -0.01819542938921518]), rel=1e-12
    )
    #
    # One plain gradient-descent step, theta <- theta - 0.5 * dJ/dtheta:
    #   coefs[0] = [[0.5 - 0.0171875,              -0.5 + 0.02109375],
    #               [1.5 - 0.096759100011301245,   -1.0 + 0.06300396469460759]]
    #            = [[0.4828125,          -0.47890625],
    #               [1.4032408999886988, -0.9369960353053924]]
    #   b[1]     = (-0.5 - 0.013946600011301245, 0.5 + 0.00909771469460759)
    #            = (-0.5139466000113012, 0.5090977146946076)
    #   coefs[1] = [[2.0 - 0.13264073308782222], [-1.0 + 0.036921232020292275]]
    #            = [[1.8673592669121778], [-0.9630787679797077]]
    #   b[2]     = (-0.5 - 0.03971014586974835,) = (-0.5397101458697484,)
    params = coefs + intercepts
    optimizer = GradientDescent(params, learning_rate_init=eta, momentum=0)
    optimizer.update_params(params, coef_grads + intercept_grads)
    expected = [
        [[0.4828125, -0.47890625], [1.4032408999886988, -0.9369960353053924]],
        [[1.8673592669121778], [-0.9630787679797077]],
        [-0.5139466000113012, 0.5090977146946076],
        [-0.5397101458697484],
    ]
    for theta, theta_expected in zip(params, expected):
        assert theta == pytest.approx(np.array(theta_expected), rel=1e-13)
    # The step went downhill.
    J_after = loss_and_gradients(X, Y, w, coefs, intercepts, alpha, "squared_error")[0]
    assert J_after < J


# --- forward ---------------------------------------------------------------------


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_forward_returns_one_activation_per_layer(architecture):
    layer_sizes = ARCHITECTURES[architecture]
    X, _, _, coefs, intercepts = make_problem(layer_sizes, seed=0, weighted=False)
    X_before = X.copy()
    activations = forward(X, coefs, intercepts)
    assert len(activations) == len(layer_sizes)  # L + 1
    assert activations[0] is X
    assert_array_equal(X, X_before)
    for l in range(1, len(layer_sizes)):
        assert activations[l].shape == (X.shape[0], layer_sizes[l])
        assert np.all((activations[l] > 0) & (activations[l] < 1))


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_forward_is_sigmoid_of_affine_map_layer_by_layer(architecture):
    X, _, _, coefs, intercepts = make_problem(
        ARCHITECTURES[architecture], seed=1, weighted=False
    )
    activations = forward(X, coefs, intercepts)
    A = X
    for l in range(1, len(coefs) + 1):
        # z[l] = W[l] a[l-1] + b[l] for every sample (row), a[l] = 1/(1 + e^-z[l])
        Z = np.array([coefs[l - 1].T @ a + intercepts[l - 1] for a in A])
        A = 1.0 / (1.0 + np.exp(-Z))
        assert_allclose(activations[l], A, rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_clips_pre_activations_and_turns_nan_into_an_off_unit(dtype):
    # On the first row, z of unit 0 is inf times a zero weight, NaN (as inf - inf
    # would be, from huge inputs); units 1, 2 and 3 are driven to +inf, -inf, +inf.
    X = np.array([[np.inf, 1], [0.5, 0.25]], dtype=dtype)
    W = np.array([[0, 1, -1, 0.5], [0, 0, 0, 0.5]], dtype=dtype)
    b = np.zeros(4, dtype=dtype)
    (a,) = forward(X, [W], [b])[1:]
    bound = -np.log(np.finfo(dtype).eps)
    # The package's sigmoid of the clipped z, on an array of the same shape (so the
    # same vectorised exp runs): bit for bit. Against expit, within a few ulps (the
    # last bits of exp depend on the CPU and NumPy's build).
    clipped = np.array([[-bound, bound, -bound, bound], X[1] @ W], dtype=dtype)
    assert_array_equal(a, sigmoid(clipped))
    eps = np.finfo(dtype).eps
    assert_allclose(a, expit(clipped), rtol=4 * eps, atol=0)
    assert np.all(a[0] > np.finfo(dtype).tiny)  # never subnormal


def test_forward_does_not_change_parameters():
    X, _, _, coefs, intercepts = make_problem([3, 4, 2], seed=2, weighted=False)
    before = [p.copy() for p in coefs + intercepts]
    forward(X, coefs, intercepts)
    for p, p_before in zip(coefs + intercepts, before):
        assert_array_equal(p, p_before)


@pytest.mark.parametrize("loss", LOSSES)
def test_float32_stays_float32_through_forward_and_backward(loss):
    layer_sizes = [4, 3, 5, 2]
    X, Y, w, coefs, intercepts = make_problem(
        layer_sizes, seed=3, weighted=True, dtype=np.float32
    )
    activations = forward(X, coefs, intercepts)
    for A in activations:
        assert A.dtype == np.float32
    coef_grads, intercept_grads = backward(activations, Y, w, coefs, 0.1, loss)
    for grad in coef_grads + intercept_grads:
        assert grad.dtype == np.float32
    J, *grads32 = loss_and_gradients(X, Y, w, coefs, intercepts, 0.1, loss)
    assert isinstance(J, float) and np.isfinite(J)
    # Same numbers as in float64, up to float32 precision.
    X64, Y64, w64 = (v.astype(np.float64) for v in (X, Y, w))
    coefs64 = [W.astype(np.float64) for W in coefs]
    intercepts64 = [b.astype(np.float64) for b in intercepts]
    J64, *grads64 = loss_and_gradients(X64, Y64, w64, coefs64, intercepts64, 0.1, loss)
    assert J == pytest.approx(J64, rel=1e-5)
    for list32, list64 in zip(grads32, grads64):
        for g32, g64 in zip(list32, list64):
            assert g32.dtype == np.float32
            assert_allclose(g32, g64, rtol=1e-4, atol=1e-6)


def test_float32_sparse_input_stays_float32():
    X, Y, w, coefs, intercepts = make_problem(
        [4, 3, 2], seed=4, weighted=True, dtype=np.float32
    )
    X[np.abs(X) < 0.7] = 0.0
    _, coef_grads, intercept_grads = loss_and_gradients(
        sp.csr_matrix(X), Y, w, coefs, intercepts, 0.1, "squared_error"
    )
    for grad in coef_grads + intercept_grads:
        assert isinstance(grad, np.ndarray)
        assert grad.dtype == np.float32


# --- init_parameters -------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_init_parameters_shapes_dtype_and_bound(dtype):
    layer_sizes = [60, 40, 30, 10]
    coefs, intercepts = init_parameters(layer_sizes, np.random.RandomState(0), dtype)
    assert len(coefs) == len(intercepts) == len(layer_sizes) - 1
    for l in range(1, len(layer_sizes)):
        n_prev, n = layer_sizes[l - 1], layer_sizes[l]
        W, b = coefs[l - 1], intercepts[l - 1]
        assert W.shape == (n_prev, n)
        assert b.shape == (n,)
        assert W.dtype == dtype and b.dtype == dtype
        bound = dtype(np.sqrt(2.0 / (n_prev + n)))
        assert np.all(np.abs(W) <= bound)
        assert np.all(np.abs(b) <= bound)
        # Uniform on [-bound, bound]: with hundreds of draws the extremes come close
        # to both ends, and the values are not all of one sign.
        assert W.max() > 0.8 * bound and W.min() < -0.8 * bound
        assert abs(W.mean()) < 0.2 * bound


def test_init_parameters_reproducible_with_same_seed():
    layer_sizes = [5, 4, 3]
    first = init_parameters(layer_sizes, np.random.RandomState(42))
    second = init_parameters(layer_sizes, np.random.RandomState(42))
    other = init_parameters(layer_sizes, np.random.RandomState(43))
    for a, b, c in zip(first[0] + first[1], second[0] + second[1], other[0] + other[1]):
        assert_array_equal(a, b)
        assert not np.array_equal(a, c)


def test_init_parameters_default_dtype_is_float64():
    coefs, intercepts = init_parameters([2, 3], np.random.RandomState(0))
    assert coefs[0].dtype == np.float64 and intercepts[0].dtype == np.float64


# --- pack / unpack ---------------------------------------------------------------


def test_pack_unpack_round_trip():
    rng = np.random.RandomState(0)
    shapes = [(3, 4), (4, 2), (4,), (2,)]
    arrays = [rng.normal(size=shape) for shape in shapes]
    theta = pack(arrays)
    assert theta.shape == (sum(a.size for a in arrays),)
    # The flat vector lists the arrays in order, each in row-major order.
    assert_array_equal(theta[:12], arrays[0].ravel())
    assert_array_equal(theta[12:20], arrays[1].ravel())
    assert_array_equal(theta[20:24], arrays[2])
    assert_array_equal(theta[24:], arrays[3])
    unpacked = unpack(theta, shapes, np.float64)
    assert len(unpacked) == len(arrays)
    for a, b in zip(unpacked, arrays):
        assert a.shape == b.shape and a.dtype == np.float64
        assert_array_equal(a, b)
    assert_array_equal(pack(unpacked), theta)


def test_unpack_casts_to_dtype():
    arrays = [np.arange(6.0).reshape(2, 3), np.array([0.5, -1.5, 2.25])]
    unpacked = unpack(pack(arrays), [(2, 3), (3,)], np.float32)
    for a, b in zip(unpacked, arrays):
        assert a.dtype == np.float32
        assert_array_equal(a, b.astype(np.float32))


# --- objective and penalty -------------------------------------------------------


def test_penalty_formula():
    # alpha/(2m) sum_l ||W[l]||^2 with alpha = 0.5, m = 2.5:
    # ||W[1]||^2 = 1 + 4 + 0 + 9 = 14, ||W[2]||^2 = 0.25 + 0.25 = 0.5
    # penalty = 0.5 / 5 * 14.5 = 1.45
    coefs = [np.array([[1.0, -2.0], [0.0, 3.0]]), np.array([[0.5], [-0.5]])]
    assert penalty(coefs, 0.5, 2.5) == pytest.approx(1.45, rel=1e-15)
    assert penalty(coefs, 0.0, 2.5) == 0.0


@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("loss", LOSSES)
def test_objective_equals_loss_plus_penalty(loss, alpha):
    X, Y, w, coefs, intercepts = make_problem([3, 4, 2], seed=5, weighted=True)
    activations = forward(X, coefs, intercepts)
    m = w.sum()
    A = activations[-1]
    if loss == "squared_error":
        data = np.sum(w[:, None] * (A - Y) ** 2) / (2 * m)
    else:
        data = -np.sum(w[:, None] * (Y * np.log(A) + (1 - Y) * np.log(1 - A))) / m
    l2 = alpha / (2 * m) * sum(np.sum(W**2) for W in coefs)
    J = objective(activations, Y, w, coefs, alpha, loss)
    assert J == pytest.approx(data + l2, rel=1e-12)
    assert J == pytest.approx(
        LOSS_FUNCTIONS[loss](A, Y, w, m) + penalty(coefs, alpha, m), rel=1e-14
    )
    # loss_and_gradients reports the same J.
    J_lg = loss_and_gradients(X, Y, w, coefs, intercepts, alpha, loss)[0]
    assert J_lg == pytest.approx(J, rel=1e-14)


def test_biases_are_not_penalised():
    X, Y, w, coefs, intercepts = make_problem([3, 2], seed=6, weighted=False)
    _, _, grads0 = loss_and_gradients(X, Y, w, coefs, intercepts, 0.0, "log_loss")
    _, _, grads1 = loss_and_gradients(X, Y, w, coefs, intercepts, 10.0, "log_loss")
    assert_allclose(grads0[0], grads1[0], rtol=1e-14)


def test_frequency_logits_answer_the_weighted_frequencies():
    # Three classes, the third absent: its frequency is kept at 0.01.
    Y = np.eye(3)[[0, 0, 1, 0]]
    w = np.array([1.0, 1.0, 2.0, 0.0])
    b = frequency_logits(Y, w)
    assert_allclose(1 / (1 + np.exp(-b)), [0.5, 0.5, 0.01])
    assert_allclose(frequency_logits(Y[:, :1], w), [0.0], atol=1e-15)


def test_frequency_loss_by_hand():
    # Frequencies (1/2, 1/4, 1/4): squared error 1/2 sum_k p_k (1 - p_k) = 0.3125;
    # log-loss sum_k -[p_k log p_k + (1 - p_k) log(1 - p_k)]
    #   = log 2 + 2 (1/4 log 4 + 3/4 log 4/3).
    Y = np.eye(3)[[0, 0, 1, 2]]
    w = np.ones(4)
    assert_allclose(frequency_loss(Y, w, "squared_error"), 0.3125, rtol=1e-15)
    expected = np.log(2) + 2 * (0.25 * np.log(4) + 0.75 * np.log(4 / 3))
    assert_allclose(frequency_loss(Y, w, "log_loss"), expected, rtol=1e-15)
    # Weights count as repeats.
    assert_allclose(
        frequency_loss(Y[[0, 2, 3]], np.array([2.0, 1.0, 1.0]), "squared_error"),
        0.3125,
        rtol=1e-15,
    )


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
@pytest.mark.parametrize("targets", ["one_hot", "multilabel", "soft"])
def test_frequency_loss_is_the_loss_of_the_constant_output(loss, targets):
    # The closed form against the loss evaluated on outputs answering p everywhere.
    rng = np.random.default_rng(5)
    Y = {
        "one_hot": np.eye(4)[rng.integers(0, 4, 60)],
        "multilabel": (rng.random((60, 4)) < 0.3).astype(float),
        "soft": rng.random((60, 4)),
    }[targets]
    w = rng.random(60)
    p = w @ Y / w.sum()
    A = np.broadcast_to(p, Y.shape).copy()
    direct = LOSS_FUNCTIONS[loss](A, Y, w, w.sum())
    assert_allclose(frequency_loss(Y, w, loss), direct, rtol=1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
def test_frequency_loss_is_the_least_of_constant_outputs(loss):
    rng = np.random.default_rng(3)
    Y = np.eye(4)[rng.integers(0, 4, 50)]
    w = rng.random(50)
    floor = frequency_loss(Y, w, loss)
    p = w @ Y / w.sum()
    for _ in range(20):
        q = np.clip(p + rng.normal(0, 0.05, 4), 0.01, 0.99)
        A = np.broadcast_to(q, Y.shape).copy()
        assert LOSS_FUNCTIONS[loss](A, Y, w, w.sum()) > floor
