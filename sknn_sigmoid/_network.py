"""Forward and backward propagation through a network of sigmoid layers.

Notation (the lecture's, with samples as rows):

* L layers after the input layer 0; layer l has n[l] neurons, ``layer_sizes[l]``.
* W[l] has shape (n[l], n[l-1]); the code stores its transpose ``coefs[l-1]`` with shape
  (n[l-1], n[l]) so that a batch is propagated as ``A_prev @ W``.
* b[l] is ``intercepts[l-1]``.
* z[l] = W[l] a[l-1] + b[l] and a[l] = sigmoid(z[l]); ``activations[l]`` is a[l] for a
  batch, with ``activations[0] = X``.

Only ``activations`` are indexed by the layer number l; the per-parameter lists
``coefs``, ``intercepts`` and their gradients are indexed by l - 1.

Nothing here knows about scikit-learn.
"""

import numpy as np

from ._activations import (
    LOSS_FUNCTIONS,
    OUTPUT_DELTAS,
    sigmoid_derivative,
    sigmoid_of_bounded,
)
from ._blas import axpy, matmul, sum_of_squares


def glorot_uniform(n_prev, n, rng):
    """W[l] and b[l] uniform in [-r, r], r = sqrt(2 / (n[l-1] + n[l])).

    Glorot and Bengio's (2010) normalised initialisation keeps the variance of the
    activations and of the back-propagated errors alike across layers; this bound
    (that of scikit-learn's ``MLPClassifier`` for logistic units) starts sigmoid
    units in their linear range around 0.
    """
    bound = np.sqrt(2.0 / (n_prev + n))
    return rng.uniform(-bound, bound, (n_prev, n)), rng.uniform(-bound, bound, n)


def standard_normal(n_prev, n, rng):
    """W[l] and b[l] drawn from N(0, 1): the lecture's "start from random W and b"."""
    return rng.standard_normal((n_prev, n)), rng.standard_normal(n)


def scaled_normal(n_prev, n, rng):
    """W[l] from N(0, 1 / n[l-1]), b[l] from N(0, 1).

    Dividing by the square root of the number of inputs keeps z[l] of order 1, so
    units do not start saturated.
    """
    return rng.standard_normal((n_prev, n)) / np.sqrt(n_prev), rng.standard_normal(n)


INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "normal": standard_normal,
    "scaled_normal": scaled_normal,
}


def weighted_mean(Y, w):
    """The mean of the rows of Y weighted by w, in float64 (a product through
    scipy's BLAS, as every product of training)."""
    w = np.asarray(w, np.float64)
    return matmul(w[np.newaxis], np.asarray(Y, np.float64))[0] / float(w.sum())


def frequency_logits(Y, w, low=0.01):
    """The output biases b[L] at which a[L] answers each target's frequency.

    With no hidden information (every weight zero) the best a[L] under squared error
    or log-loss is the weighted mean p_k of target column k; sigmoid(b) = p_k gives
    b = log(p_k / (1 - p_k)). Each p_k is first kept within [low, 1 - low], so that
    a class rare (or missing) in the data does not start saturated.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n[L])
        One-hot targets.
    w : ndarray of shape (n_samples,)
        Sample weights, not all zero.
    low : float, default=0.01
        The least frequency used.

    Returns
    -------
    ndarray of shape (n[L],), float64
    """
    p = weighted_mean(Y, w)
    p = np.clip(p, low, 1 - low)
    return np.log(p) - np.log1p(-p)


def frequency_loss(Y, w, loss):
    """The loss J of outputs a[L] that answer each target's frequency p_k.

    It is the least loss of a network whose outputs ignore their inputs: what a
    network that has learned nothing scores (and where the default output biases,
    :func:`frequency_logits`, start it).

    Parameters
    ----------
    Y, w
        As in :func:`frequency_logits`.
    loss : {"squared_error", "log_loss"}
        The loss.

    Returns
    -------
    float
    """
    # Both losses are sums over samples of terms linear in y (and, for the squared
    # error, in y^2), so J of a constant output p needs only the weighted means of
    # y and y^2: one pass over Y, not a loss evaluated on an array the size of Y.
    p = weighted_mean(Y, w)
    if loss == "squared_error":
        mean_of_squares = weighted_mean(np.square(Y, dtype=np.float64), w)
        return float(np.sum(mean_of_squares - p * p)) / 2
    eps = np.finfo(np.float64).eps
    q = np.clip(p, eps, 1 - eps)  # as log_loss clips the outputs
    return -float(np.sum(p * np.log(q) + (1 - p) * np.log1p(-q)))


def init_parameters(
    layer_sizes, rng, dtype=np.float64, init="glorot_uniform", output_bias=None
):
    """Draw the initial weights and biases of every layer.

    Parameters
    ----------
    layer_sizes : sequence of int
        n[0], n[1], ..., n[L].
    rng : numpy.random.RandomState
        Source of randomness.
    dtype : numpy dtype, default=np.float64
        Dtype of the returned arrays.
    init : {"glorot_uniform", "normal", "scaled_normal"}, default="glorot_uniform"
        The scheme, one of :data:`INITIALIZERS` (see :func:`glorot_uniform`,
        :func:`standard_normal`, :func:`scaled_normal`).
    output_bias : ndarray of shape (n[L],), default=None
        Where b[L] starts instead of the scheme's draw (see
        :func:`frequency_logits`). The draw is still made, so the other
        parameters do not depend on it.

    Returns
    -------
    coefs : list of ndarray
        ``coefs[l-1]`` is W[l] transposed, shape (n[l-1], n[l]).
    intercepts : list of ndarray
        ``intercepts[l-1]`` is b[l], shape (n[l],).
    """
    coefs, intercepts = [], []
    for n_prev, n in zip(layer_sizes[:-1], layer_sizes[1:]):
        W, b = INITIALIZERS[init](n_prev, n, rng)
        coefs.append(W.astype(dtype))
        intercepts.append(b.astype(dtype))
    if output_bias is not None:
        intercepts[-1][:] = output_bias
    return coefs, intercepts


def saturation_bound(dtype):
    """The |z| beyond which sigmoid(z) is within the dtype's epsilon of 0 or 1.

    It is log(1 / eps): about 15.9 in float32 and 36.0 in float64.
    """
    return float(-np.log(np.finfo(dtype).eps))


def forward(X, coefs, intercepts, out=None):
    """Forward propagation: a[l] = sigmoid(a[l-1] W[l]^T + b[l]) for l = 1..L.

    Pre-activations are clipped to +-:func:`saturation_bound` before the sigmoid
    (a NaN, from inf - inf on huge inputs, becomes -bound).
    This changes no activation by more than the dtype's epsilon, and it keeps a[l],
    a[l](1 - a[l]) and the errors back-propagated through them well above the
    subnormal range, whose arithmetic is an order of magnitude slower.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n[0])
        Input batch a[0].
    coefs, intercepts : list of ndarray
        Parameters as returned by :func:`init_parameters`.
    out : list of ndarray, default=None
        Buffers of shape (n_samples, n[l]) for l = 1..L, to compute in place of
        allocating new arrays.

    Returns
    -------
    activations : list of length L + 1
        ``activations[l]`` is a[l]; ``activations[0]`` is ``X`` itself.
    """
    activations = [X]
    # Overflow in z is expected on huge inputs: the bound below takes care of it.
    with np.errstate(over="ignore", invalid="ignore"):
        for l in range(1, len(coefs) + 1):
            buffer = None if out is None else out[l - 1]
            Z = matmul(activations[l - 1], coefs[l - 1], buffer)
            Z += intercepts[l - 1]
            activations.append(clipped_sigmoid(Z))
    return activations


def clipped_sigmoid(Z):
    """sigmoid(z) of z clipped to +-:func:`saturation_bound`, computed in place in Z.

    A NaN (from inf - inf) becomes -bound, a unit that is off.
    """
    bound = saturation_bound(Z.dtype)
    np.clip(Z, -bound, bound, out=Z)
    # A NaN goes through the clip; np.min propagates it, so one cheap reduction
    # tells whether there is one to mend. (fmax and fmin would do both at once, but
    # 3-4 times slower.)
    if Z.size and np.isnan(Z.min()):
        np.copyto(Z, -bound, where=np.isnan(Z))
    return sigmoid_of_bounded(Z, out=Z)


def output_pre_activation(X, coefs, intercepts):
    """z[L] = a[L-1] W[L]^T + b[L], the output units' pre-activations, not clipped.

    The sigmoid is increasing, so the largest z[L] is the most activated output unit;
    but where a[L] saturates at 1 - epsilon for several units, only z[L] still tells
    which answers more strongly. A NaN (from inf - inf on huge inputs) becomes -inf,
    a unit that is off, as in :func:`forward`.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n[0])
        Input batch a[0].
    coefs, intercepts : list of ndarray
        Parameters as returned by :func:`init_parameters`.

    Returns
    -------
    ndarray of shape (n_samples, n[L])
        z[L].
    """
    A = forward(X, coefs[:-1], intercepts[:-1])[-1]
    with np.errstate(over="ignore", invalid="ignore"):
        Z = matmul(A, coefs[-1], None)
        Z += intercepts[-1]
    if Z.size and np.isnan(Z.min()):
        np.copyto(Z, -np.inf, where=np.isnan(Z))
    return Z


def penalty(coefs, alpha, m):
    """L2 penalty alpha / (2m) sum_l ||W[l]||^2 (biases are not penalised)."""
    if not alpha:
        return 0.0
    return alpha / (2 * m) * sum(sum_of_squares(W) for W in coefs)


def backward(activations, Y, w, coefs, alpha, loss, out=None, m=None):
    """Back-propagation: the gradient of J with respect to every W[l] and b[l].

    With m = sum(w) and delta[L] given by the loss, for l = L, ..., 1::

        dJ/dW[l]  = delta[l]^T a[l-1] + (alpha / m) W[l]
        dJ/db[l]  = sum over samples of delta[l]
        delta[l-1] = (delta[l] W[l]) * a[l-1] (1 - a[l-1])

    Parameters
    ----------
    activations : list of ndarray
        Output of :func:`forward` for the batch.
    Y : ndarray of shape (n_samples, n[L])
        One-hot targets.
    w : ndarray of shape (n_samples,)
        Sample weights.
    coefs : list of ndarray
        Weights, ``coefs[l-1]`` = W[l] transposed.
    alpha : float
        L2 penalty strength.
    loss : {"squared_error", "log_loss"}
        Which loss J is.
    out : Workspace, default=None
        Buffers to compute in place: lists ``deltas``, ``derivatives`` (shaped like
        the activations), ``coef_grads`` (shaped like ``coefs``)
        and ``intercept_grads``.
    m : float, default=None
        The normaliser of J; None means ``sum(w)``.

    Returns
    -------
    coef_grads, intercept_grads : list of ndarray
        Shaped like ``coefs`` and the intercepts.
    """
    L = len(coefs)
    m = float(w.sum()) if m is None else m
    buffers = out if out is not None else _NoBuffers(L)
    delta = deltas(activations, Y, w, coefs, loss, m, out=buffers)
    coef_grads = [
        weight_gradient(activations[l - 1], delta[l - 1], coefs[l - 1], alpha, m,
                        out=buffers.coef_grads[l - 1])
        for l in range(1, L + 1)
    ]  # fmt: skip
    intercept_grads = [
        bias_gradient(delta[l - 1], out=buffers.intercept_grads[l - 1])
        for l in range(1, L + 1)
    ]
    return coef_grads, intercept_grads


def deltas(activations, Y, w, coefs, loss, m, out=None):
    """The errors delta[l] = dJ/dz[l] of every layer, from the output back.

    ``delta[L]`` is given by the loss; then delta[l-1] = (delta[l] W[l]) * a[l-1]
    (1 - a[l-1]). Each row (sample) is computed independently of the others.

    Parameters
    ----------
    activations, Y, w, coefs, loss
        As in :func:`backward`.
    m : float
        The normaliser of J.
    out : Workspace, default=None
        Buffers ``deltas`` and ``derivatives`` to compute in place.

    Returns
    -------
    list of ndarray
        ``delta[l - 1]`` is delta[l], of shape (n_samples, n[l]), for l = 1..L.
    """
    L = len(coefs)
    buffers = out if out is not None else _NoBuffers(L)
    delta = [None] * L
    delta[L - 1] = OUTPUT_DELTAS[loss](
        activations[L], Y, w, m, out=buffers.deltas[L - 1]
    )
    for l in range(L, 1, -1):
        delta_prev = matmul(delta[l - 1], coefs[l - 1].T, buffers.deltas[l - 2])
        delta_prev *= sigmoid_derivative(
            activations[l - 1], out=buffers.derivatives[l - 2]
        )
        delta[l - 2] = delta_prev
    return delta


def weight_gradient(A_prev, delta, W, alpha, m, out=None):
    """dJ/dW[l] = a[l-1]^T delta[l] + (alpha / m) W[l].

    Rows of the result depend only on the same rows of ``W`` and columns of
    ``A_prev``, so a block of rows can be computed alone (``A_prev[:, rows]``,
    ``W[rows]``).
    """
    grad = matmul(A_prev.T, delta, out)
    if alpha:
        axpy(alpha / m, W, grad)
    return grad


def bias_gradient(delta, out=None):
    """dJ/db[l]: the sum over samples of delta[l]."""
    return np.sum(delta, axis=0, out=out)


class _NoBuffers:
    """Stands for a workspace when none is given: every buffer is None."""

    def __init__(self, L):
        self.deltas = self.derivatives = self.intercept_grads = [None] * L
        self.coef_grads = [None] * L


def objective(activations, Y, w, coefs, alpha, loss, m=None):
    """The regularised loss J of a batch, from its forward pass.

    Parameters
    ----------
    activations, Y, w, coefs, alpha, loss
        As in :func:`backward`.

    Returns
    -------
    float
    """
    m = float(w.sum()) if m is None else m
    return LOSS_FUNCTIONS[loss](activations[-1], Y, w, m) + penalty(coefs, alpha, m)


def loss_and_gradients(X, Y, w, coefs, intercepts, alpha, loss, workspace=None, m=None):
    """One forward and one backward pass: J and its gradients for a batch.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n[0])
        Input batch.
    Y, w, coefs, alpha, loss
        As in :func:`backward`.
    intercepts : list of ndarray
        Biases, ``intercepts[l-1]`` = b[l].
    workspace : Workspace, default=None
        Buffers for a batch of exactly ``n_samples`` rows (see :func:`backward`,
        plus ``activations`` for :func:`forward`); None allocates new arrays.
    m : float, default=None
        The normaliser of J; None means ``sum(w)``.

    Returns
    -------
    J : float
    coef_grads, intercept_grads : list of ndarray
    """
    buffers = None if workspace is None else workspace.activations
    activations = forward(X, coefs, intercepts, out=buffers)
    J = objective(activations, Y, w, coefs, alpha, loss, m)
    return (J, *backward(activations, Y, w, coefs, alpha, loss, workspace, m))


def pack(arrays):
    """Concatenate arrays into one flat vector (used by L-BFGS)."""
    return np.concatenate([a.ravel() for a in arrays])


def unpack(theta, shapes, dtype):
    """Split a flat vector into arrays of the given shapes (inverse of :func:`pack`)."""
    arrays, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        arrays.append(theta[start : start + size].reshape(shape).astype(dtype))
        start += size
    return arrays
