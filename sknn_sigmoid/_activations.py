"""The sigmoid activation and the two losses, in the lecture's notation.

Every function here is a small piece of math on numpy arrays. Samples are rows, so
``A`` is a batch of activations a[l] with shape (n_samples, n[l]).

The losses are given per batch with sample weights ``w`` and the normaliser
``m = sum(w)``:

* squared error: J = 1/(2m) sum_i w_i sum_k (a[L]_ik - y_ik)^2
* log-loss:      J = -1/m sum_i w_i sum_k (y_ik log a[L]_ik + (1-y_ik) log(1-a[L]_ik))

and each comes with its output error delta[L] = dJ/dz[L].
"""

import numpy as np

from ._blas import dot


def sigmoid(Z, out=None):
    """Return a = sigmoid(z) = 1 / (1 + exp(-z)).

    Computed as written, with numpy's vectorised ``exp``: within a few units in
    the last place of ``scipy.special.expit`` (measured at most 4 in float32, 2 of
    the larger of a and 1 - a, 0 in float64), and several times faster than
    ``expit``'s float32 loop. Where exp(-z)
    overflows (z below about -88 in float32, -709 in float64), 1 / (1 + inf) is
    the right answer, 0, and the overflow is not reported (nor an underflow).

    Parameters
    ----------
    Z : ndarray
        Pre-activations z[l].
    out : ndarray, default=None
        Where to write the result; may be ``Z`` itself.

    Returns
    -------
    A : ndarray
        Activations a[l], same shape and dtype as ``Z``.

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid(np.array([0.0, 1000.0, -1000.0]))
    array([0.5, 1. , 0. ])
    """
    with np.errstate(over="ignore", under="ignore"):
        return sigmoid_of_bounded(Z, out=out)


def sigmoid_of_bounded(Z, out=None):
    """:func:`sigmoid` of z known not to overflow exp(-z) (e.g. clipped): no
    ``errstate`` around it, which costs as much as the sigmoid of a small batch."""
    A = np.negative(Z, out=out)
    np.exp(A, out=A)
    A += 1
    return np.divide(1, A, out=A)


def sigmoid_derivative(A, out=None):
    """Return sigmoid'(z) = a (1 - a), written with the activation a = sigmoid(z).

    Parameters
    ----------
    A : ndarray
        Activations a[l].
    out : ndarray, default=None
        Where to write the result (not ``A`` itself).

    Returns
    -------
    ndarray
        The derivative da/dz at every entry.
    """
    out = np.subtract(1, A, out=out)
    out *= A
    return out


def squared_error(A, Y, w, m):
    """Half squared error J = 1/(2m) sum_i w_i sum_k (a_ik - y_ik)^2.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_outputs)
        Output activations a[L].
    Y : ndarray of shape (n_samples, n_outputs)
        One-hot targets y.
    w : ndarray of shape (n_samples,)
        Sample weights.
    m : float
        Normaliser, the sum of the sample weights.

    Returns
    -------
    float
    """
    return dot(w, np.square(A - Y).sum(axis=1)) / (2 * m)


def squared_error_delta(A, Y, w, m, out=None):
    """Output error of the squared error: delta[L] = (a - y) a (1 - a) w / m.

    Sigmoid outputs with squared error are not a canonical pair, so the derivative of
    the sigmoid stays in the output error (it is what slows learning when output units
    saturate).

    Parameters
    ----------
    A, Y, w, m
        As in :func:`squared_error`.
    out : ndarray, default=None
        Where to write delta[L].

    Returns
    -------
    delta : ndarray of shape (n_samples, n_outputs)
        dJ/dz[L].
    """
    delta = np.subtract(A, Y, out=out)
    delta *= sigmoid_derivative(A)
    delta *= (w / m)[:, np.newaxis]
    return delta


def log_loss(A, Y, w, m):
    """Binary cross-entropy of every output.

    J = -1/m sum_i w_i sum_k [y_ik log a_ik + (1 - y_ik) log(1 - a_ik)].

    Activations are clipped away from 0 and 1 by the dtype's epsilon so that a
    saturated unit gives a large but finite loss. The loss is computed from a, as
    scikit-learn computes it from its probabilities, not from z: for a confidently
    wrong output (|z| beyond about 8 in float32, 30 in float64) 1 - a is rounded, and
    J grows more slowly than its gradient a - y says, then levels off at -log(eps)
    per output.

    Parameters
    ----------
    A, Y, w, m
        As in :func:`squared_error`.

    Returns
    -------
    float
    """
    eps = np.finfo(A.dtype).eps
    A = np.clip(A, eps, 1 - eps)
    # The clip keeps both logarithms finite, so y log a is 0 where y is 0.
    log_likelihood = np.log(A) * Y
    log_likelihood += np.log1p(np.negative(A, out=A), out=A) * (1 - Y)
    return -dot(w, log_likelihood.sum(axis=1)) / m


def log_loss_delta(A, Y, w, m, out=None):
    """Output error of the log-loss: delta[L] = (a - y) w / m.

    Sigmoid and binary cross-entropy are a canonical pair: the sigmoid's derivative
    cancels.

    Parameters
    ----------
    A, Y, w, m
        As in :func:`squared_error`.
    out : ndarray, default=None
        Where to write delta[L].

    Returns
    -------
    delta : ndarray of shape (n_samples, n_outputs)
    """
    delta = np.subtract(A, Y, out=out)
    delta *= (w / m)[:, np.newaxis]
    return delta


LOSS_FUNCTIONS = {"squared_error": squared_error, "log_loss": log_loss}
OUTPUT_DELTAS = {"squared_error": squared_error_delta, "log_loss": log_loss_delta}
