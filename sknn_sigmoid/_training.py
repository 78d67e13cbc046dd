"""The training loops both estimators share.

Gradient descent goes through the data in mini-batches (or in one full batch, the
lecture's plain gradient descent), epoch after epoch, recording the loss and deciding
when to stop. A step is :func:`train_step`: forward propagation, the loss J,
back-propagation, the optimizer's update, in plain numpy and BLAS calls on
preallocated buffers. L-BFGS hands the same loss and gradients to scipy.

Nothing here knows about scikit-learn estimators: the loops see parameter lists, data
arrays and an optimizer.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._blas import dot
from ._network import (
    backward,
    clipped_sigmoid,
    forward,
    loss_and_gradients,
    objective,
    output_pre_activation,
    pack,
    unpack,
)
from ._validation import warn

# Prediction goes through the data in chunks of at most this many rows, so that its
# work arrays stay small whatever the number of samples.
PREDICT_CHUNK_ROWS = 4096
# A shuffled epoch gathers its rows this many bytes of X at a time into one buffer,
# then cuts the buffer into batches (contiguous rows, no gathering per batch).
GATHER_BYTES = 2**23


@dataclass
class Progress:
    """What training has reached; kept between calls to continue training.

    Attributes mirror scikit-learn's ``MLPClassifier``: ``n_iter`` epochs done, ``t``
    samples seen, the training ``loss_curve``, the ``validation_scores`` and
    ``validation_loss_curve`` when a validation set is held out (with the
    ``validation_epochs`` they were recorded at, counted from 1 as ``n_iter``), and
    the best values seen with the number of epochs since the last improvement.
    """

    n_iter: int = 0
    t: int = 0
    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    validation_scores: list = field(default_factory=list)
    validation_loss_curve: list = field(default_factory=list)
    validation_epochs: list = field(default_factory=list)
    best_validation_score: float = -np.inf
    no_improvement_count: int = 0
    best_params: list = None
    stopped: bool = False  # the stopping rule ended the last call's training


@dataclass
class Validation:
    """A held-out part of the training data used to score every epoch."""

    X: object
    Y: np.ndarray
    w: np.ndarray
    multilabel: bool = False  # Y is a multilabel indicator matrix

    def evaluate(self, coefs, intercepts, alpha, loss):
        """Return the weighted accuracy and the loss J on the held-out data.

        The accuracy is that of ``predict``, from z[L] (of a multilabel target, the
        share of samples whose every label is right, as scikit-learn's ``score``);
        the loss is computed from a[L], the sigmoid of z[L] as in the forward pass.
        """
        Z = output_activations(self.X, coefs, intercepts, pre_activation=True)
        if self.multilabel:
            hits = np.all((Z > 0) == (self.Y > 0.5), axis=1)
        else:
            hits = predicted_indices(Z, threshold=0.0) == predicted_indices(self.Y)
        A = clipped_sigmoid(Z)
        accuracy = dot(self.w, hits.astype(self.w.dtype)) / float(self.w.sum())
        return accuracy, objective([A], self.Y, self.w, coefs, alpha, loss)


def output_activations(X, coefs, intercepts, check=None, pre_activation=False):
    """a[L] for every row of X, computed chunk by chunk.

    ``check``, if given, is called on each chunk of rows just before it goes through
    the network (to raise on bad input while the chunk is read anyway, rather than
    in a pass of its own over the whole of X). With ``pre_activation``, the output
    layer's z[L] instead (:func:`~sknn_sigmoid._network.output_pre_activation`).
    """
    n = X.shape[0]
    out = np.empty((n, coefs[-1].shape[1]), coefs[-1].dtype)
    for start in range(0, n, PREDICT_CHUNK_ROWS):
        rows = slice(start, min(start + PREDICT_CHUNK_ROWS, n))
        chunk = X[rows]
        if isinstance(chunk, np.ndarray):  # rows of an F-ordered X, copied
            chunk = np.ascontiguousarray(chunk)
        if check is not None:
            check(chunk)
        if pre_activation:
            out[rows] = output_pre_activation(chunk, coefs, intercepts)
        else:
            out[rows] = forward(chunk, coefs, intercepts)[-1]
    return out


def predicted_indices(A, threshold=0.5):
    """Index of the predicted class from output activations (or one-hot targets).

    With one output unit (two classes) the class is 1 where a > ``threshold`` (0.5
    for activations, 0 for pre-activations z[L]); with several, it is the most
    activated unit.
    """
    if A.shape[1] == 1:
        return (A[:, 0] > threshold).astype(np.intp)
    return np.argmax(A, axis=1)


class Workspace:
    """Work arrays for training on batches of up to ``batch_size`` rows.

    Allocated once per call to ``fit``, so that an epoch allocates nothing the size of
    a batch or of a weight matrix: forward and backward propagation write into these
    buffers (see :func:`~sknn_sigmoid._network.backward`).
    """

    def __init__(self, layer_sizes, batch_size, dtype):
        def per_layer():
            return [np.empty((batch_size, n), dtype) for n in layer_sizes[1:]]

        self.activations = per_layer()
        self.deltas = per_layer()
        self.derivatives = per_layer()
        pairs = zip(layer_sizes[:-1], layer_sizes[1:])
        self.coef_grads = [np.empty(shape, dtype) for shape in pairs]
        self.intercept_grads = [np.empty(n, dtype) for n in layer_sizes[1:]]
        self._first_rows = {batch_size: self}

    def rows(self, n):
        """The workspace of a batch of ``n`` rows: views of the first n, made once."""
        view = self._first_rows.get(n)
        if view is None:
            view = self._first_rows[n] = object.__new__(Workspace)
            for name in ("activations", "deltas", "derivatives"):
                setattr(view, name, [buffer[:n] for buffer in getattr(self, name)])
            view.coef_grads = self.coef_grads
            view.intercept_grads = self.intercept_grads
        return view


def train_step(X, Y, w, coefs, intercepts, optimizer, workspace, *, alpha, loss, m):
    """One step of gradient descent on the batch X, Y, w; return its loss J.

    Forward propagation, J (normalised by ``m``), back-propagation into the
    workspace's buffers, then the optimizer's update of the parameters in place;
    unless J is not finite: the parameters have diverged, and are left as they are.
    """
    buffers = workspace.rows(X.shape[0])
    activations = forward(X, coefs, intercepts, out=buffers.activations)
    J = objective(activations, Y, w, coefs, alpha, loss, m)
    if not np.isfinite(J):
        return J
    coef_grads, intercept_grads = backward(
        activations, Y, w, coefs, alpha, loss, out=buffers, m=m
    )
    optimizer.update_params(coefs + intercepts, coef_grads + intercept_grads)
    return J


def batches(X, Y, w, order, batch_size):
    """The mini-batches of an epoch: ``(X, Y, w)`` of ``batch_size`` consecutive rows
    of ``order`` (of every row in turn if None), the last one possibly smaller.

    Rows in order are views of the data. Shuffled rows are gathered a block of
    batches at a time (about :data:`GATHER_BYTES` of X) into one buffer, whose
    slices are the batches: contiguous rows, and one gather per block instead of
    one per batch.
    """
    n = X.shape[0] if order is None else len(order)
    if order is None:
        for start in range(0, n, batch_size):
            yield (
                X[start : start + batch_size],
                Y[start : start + batch_size],
                w[start : start + batch_size],
            )
        return
    row_bytes = X.shape[1] * X.dtype.itemsize
    block = batch_size * max(1, GATHER_BYTES // (batch_size * row_bytes))
    block = min(block, n)
    X_block = None if sp.issparse(X) else np.empty((block, X.shape[1]), X.dtype)
    Y_block = np.empty((block, Y.shape[1]), Y.dtype)
    w_block = np.empty(block, w.dtype)
    for first in range(0, n, block):
        rows = order[first : first + block]
        k = len(rows)
        # mode="clip" writes straight into the buffer (the default goes through a
        # temporary); the rows are valid indices.
        if X_block is None:
            Xb = X[rows]
        else:
            Xb = np.take(X, rows, axis=0, out=X_block[:k], mode="clip")
        Yb = np.take(Y, rows, axis=0, out=Y_block[:k], mode="clip")
        wb = np.take(w, rows, axis=0, out=w_block[:k], mode="clip")
        for start in range(0, k, batch_size):
            stop = start + batch_size
            yield Xb[start:stop], Yb[start:stop], wb[start:stop]


class Distortion:
    """An estimator's ``augment`` applied to its training batches, its output checked.

    ``augment(X_batch, rng)`` is given a read-only view of the batch (its rows may be
    those of the user's X, which training never writes) and ``rng``, and must
    return a new array of the batch's shape and dtype holding finite values.

    Parameters
    ----------
    augment : callable
        The estimator's ``augment`` parameter.
    rng : numpy.random.RandomState
        The generator of the distortions, drawn from batch after batch.
    """

    def __init__(self, augment, rng):
        self.augment = augment
        self.rng = rng

    def __call__(self, X_batch):
        view = X_batch.view()
        view.flags.writeable = False
        X_new = self.augment(view, self.rng)
        if not isinstance(X_new, np.ndarray):
            raise TypeError(
                f"augment must return a numpy array (the distorted batch); it "
                f"returned {type(X_new).__name__}."
            )
        if X_new.shape != X_batch.shape:
            raise ValueError(
                f"augment returned an array of shape {X_new.shape} for a batch of "
                f"shape {X_batch.shape}; it must return the batch's shape."
            )
        if X_new.dtype != X_batch.dtype:
            raise TypeError(
                f"augment returned an array of dtype {X_new.dtype} for a batch of "
                f"dtype {X_batch.dtype}; it must keep the batch's dtype."
            )
        if not np.isfinite(X_new).all():
            raise ValueError("augment returned a batch holding NaN or infinity.")
        return np.ascontiguousarray(X_new)


def run_epoch(
    coefs, intercepts, optimizer, X, Y, w, *, order, batch_size, alpha, loss, workspace,
    distort=None,
):  # fmt: skip
    """One pass of gradient descent over the samples ``order`` (all, in turn, if None).

    A batch of b of the n samples normalises its loss by b / n of the total weight m,
    so that the gradient of its data term is an unbiased estimate of that of J (with
    uniform weights this is the batch's own weight; with class weights, a batch
    without the heavy classes counts little, as it should). Its L2 penalty is divided
    by the same normaliser, as in scikit-learn: over an epoch, the penalty counts
    n / b times. ``distort`` (a :class:`Distortion`), if given, replaces each
    batch's inputs by distorted ones before its step.

    Returns
    -------
    float
        The epoch's loss J: the batches' losses (before their steps), weighted by
        their normalisers.
    """
    n = X.shape[0] if order is None else len(order)
    mean_weight = float(w[slice(None) if order is None else order].sum()) / n
    if mean_weight == 0:
        return 0.0
    total_loss = 0.0
    for X_batch, Y_batch, w_batch in batches(X, Y, w, order, batch_size):
        if distort is not None:
            X_batch = distort(X_batch)
        m = mean_weight * X_batch.shape[0]
        J = train_step(
            X_batch, Y_batch, w_batch, coefs, intercepts, optimizer, workspace,
            alpha=alpha, loss=loss, m=m,
        )  # fmt: skip
        if not np.isfinite(J):
            return J  # the parameters have diverged: stop the epoch here
        total_loss += J * m
    return total_loss / (mean_weight * n)


@dataclass
class StoppingRule:
    """Stop after ``n_iter_no_change`` epochs without an improvement of ``tol``.

    The score watched is the validation accuracy when there is a validation set, else
    the training loss. With ``flat_start = (low, high, k)``, an epoch whose training
    loss lies within [low, high] counts as no stall while the loss has fallen by
    ``tol`` over the last ``k`` epochs (or fewer than ``k`` have run): training has
    not left the flat start of the loss yet, where it falls slowly for many epochs
    before learning takes off.
    """

    tol: float
    n_iter_no_change: int
    flat_start: tuple[float, float, int] | None = None

    def _on_the_flat_start(self, progress, loss):
        if self.flat_start is None:
            return False
        low, high, k = self.flat_start
        curve = progress.loss_curve  # the epoch's loss is its last entry
        still_falling = len(curve) <= k or loss <= curve[-1 - k] - self.tol
        return low <= loss <= high and still_falling

    def update(self, progress, loss, validation_score, params):
        """Record an epoch's figures; return True once training stopped improving."""
        if validation_score is None:
            improved = loss <= progress.best_loss - self.tol
        else:
            improved = validation_score >= progress.best_validation_score + self.tol
            if validation_score > progress.best_validation_score:
                progress.best_validation_score = validation_score
                progress.best_params = [p.copy() for p in params]
        progress.best_loss = min(progress.best_loss, loss)
        on_the_flat_start = validation_score is None and self._on_the_flat_start(
            progress, loss
        )
        progress.no_improvement_count = (
            0 if improved or on_the_flat_start else (progress.no_improvement_count + 1)
        )
        return progress.no_improvement_count > self.n_iter_no_change


@dataclass
class StallRule:
    """Stop L-BFGS once the loss has fallen by less than ``fraction`` of itself over
    the last ``iterations`` iterations, but not before ``min_iterations``.

    Nor on the flat start (``flat_start = (low, high)``): an iteration whose loss
    lies within [low, high] is no stall, as in :class:`StoppingRule`.
    """

    iterations: int
    fraction: float
    min_iterations: int = 0
    flat_start: tuple[float, float] | None = None

    def stalled(self, curve):
        """Whether the loss curve (one loss per iteration) has stalled."""
        k = self.iterations
        if len(curve) <= max(k, self.min_iterations - 1):
            return False
        loss = curve[-1]
        low, high = self.flat_start or (np.inf, -np.inf)
        if low <= loss <= high:
            return False
        return curve[-1 - k] - loss < self.fraction * loss


def train_stochastic(
    coefs,
    intercepts,
    optimizer,
    progress,
    X,
    Y,
    w,
    *,
    n_epochs,
    batch_size,
    alpha,
    loss,
    stopping,
    rng,
    shuffle=True,
    train_rows=None,
    validation=None,
    callbacks=None,
    checkpoint=None,
    distort=None,
):
    """Run up to ``n_epochs`` epochs of gradient descent, updating parameters in place.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        Network parameters, updated in place.
    optimizer : GradientDescent or Adam
        Turns gradients into steps.
    progress : Progress
        Updated in place with each epoch's figures.
    X, Y, w : arrays
        Inputs, one-hot targets and sample weights.
    n_epochs, batch_size : int
        Epoch budget and mini-batch size (``X.shape[0]`` for full batch).
    alpha, loss
        L2 penalty and loss name.
    stopping : StoppingRule or None
        When to stop early; None runs all ``n_epochs`` epochs.
    rng : numpy.random.RandomState
        Shuffles the samples every epoch when ``shuffle``.
    train_rows : ndarray of int, default=None
        Rows of ``X`` to train on (all if None).
    validation : Validation, default=None
        Held-out data scored after each epoch.
    callbacks : EpochCallbacks, default=None
        Told when each epoch begins and ends; may ask to stop.
    checkpoint : Checkpoint, default=None
        Given the parameters, optimizer state and progress before each epoch: what
        to go back to if the epoch is interrupted (Ctrl-C).
    distort : Distortion, default=None
        Distorts the inputs of every training batch (never the validation data).

    Returns
    -------
    str or None
        What ended training before ``n_epochs``: ``"stalled"`` (the stopping
        rule), ``"callback"`` or ``"diverged"`` (an epoch whose loss or weights were
        not finite, undone); None if it ran them all.
    """
    n_train = X.shape[0] if train_rows is None else len(train_rows)
    layer_sizes = [X.shape[1], *(W.shape[1] for W in coefs)]
    workspace = Workspace(layer_sizes, batch_size, coefs[0].dtype)
    params = coefs + intercepts
    for _ in range(n_epochs):
        before = [p.copy() for p in params], optimizer.snapshot()
        if checkpoint is not None:
            checkpoint.keep(*before, progress)
        if callbacks is not None:
            callbacks.epoch_begins()
        order = train_rows
        if shuffle:
            order = np.arange(n_train) if train_rows is None else train_rows.copy()
            rng.shuffle(order)
        epoch_loss = run_epoch(
            coefs, intercepts, optimizer, X, Y, w,
            order=order, batch_size=batch_size, alpha=alpha, loss=loss,
            workspace=workspace, distort=distort,
        )  # fmt: skip
        if not (all_finite(epoch_loss, params) and optimizer.is_finite()):
            kept_params, kept_state = before
            for p, kept in zip(params, kept_params):
                p[...] = kept
            optimizer.restore(kept_state)
            if callbacks is not None:
                callbacks.abandon_epoch()
            _diverged(progress.n_iter, optimizer)
            return "diverged"
        progress.n_iter += 1
        progress.t += n_train
        progress.loss_curve.append(epoch_loss)
        score = None
        if validation is not None:
            score, validation_loss = validation.evaluate(coefs, intercepts, alpha, loss)
            progress.validation_scores.append(score)
            progress.validation_loss_curve.append(validation_loss)
            progress.validation_epochs.append(progress.n_iter)
        # The rule records the epoch's figures (and the best epoch's weights) before
        # the callbacks see the model, which they may stop at this epoch.
        stalled = stopping is not None and stopping.update(
            progress, epoch_loss, score, params
        )
        if callbacks is not None and callbacks.epoch_ends(coefs, intercepts, progress):
            return "callback"
        optimizer.iteration_ends(progress.t)
        if stalled:
            if optimizer.trigger_stopping():
                return "stalled"
            progress.no_improvement_count = 0
    return None


def train_lbfgs(
    coefs,
    intercepts,
    X,
    Y,
    w,
    *,
    alpha,
    loss,
    max_iter,
    max_fun,
    tol,
    progress,
    callbacks=None,
    checkpoint=None,
    stall=None,
):
    """Minimise the full-batch loss with scipy's L-BFGS-B.

    The computation stays in the dtype of ``coefs``; only the flat parameter vector
    that scipy sees is float64. ``progress`` is updated after every iteration, the
    iterate and the progress given to ``checkpoint`` (what to keep if a later
    iteration is interrupted: scipy passes a ``KeyboardInterrupt`` on), and
    ``callbacks`` are told of each (one task per iteration).

    Returns
    -------
    coefs, intercepts : list of ndarray
        The parameters found.
    stopped : (int, str)
        scipy's status and message: 0 if L-BFGS-B met its tolerance (or the loss
        stalled by the rule ``stall``, a :class:`StallRule`, if given), 99 if a
        callback stopped it, 1 if its iteration or evaluation budget ran out, 2 if
        its line search failed.
    """
    dtype = coefs[0].dtype
    shapes = [p.shape for p in coefs + intercepts]
    L = len(coefs)
    layer_sizes = [X.shape[1], *(W.shape[1] for W in coefs)]
    n = X.shape[0]
    workspace = Workspace(layer_sizes, n, dtype)
    m = float(w.sum())
    stalled = []

    def fun(theta):
        params = unpack(theta, shapes, dtype)
        J, coef_grads, intercept_grads = loss_and_gradients(
            X, Y, w, params[:L], params[L:], alpha, loss, workspace, m
        )
        return J, pack(coef_grads + intercept_grads).astype(np.float64)

    def iteration_ends(intermediate_result):
        progress.n_iter += 1
        progress.t += n
        progress.loss_curve.append(float(intermediate_result.fun))
        progress.best_loss = min(progress.best_loss, progress.loss_curve[-1])
        params = unpack(intermediate_result.x, shapes, dtype)
        if checkpoint is not None:
            checkpoint.keep(params, None, progress)
        if callbacks is not None:
            if callbacks.epoch_ends(params[:L], params[L:], progress):
                raise StopIteration
        if stall is not None and stall.stalled(progress.loss_curve):
            stalled.append(True)
            raise StopIteration
        if callbacks is not None:
            callbacks.epoch_begins()  # the next iteration, which scipy may not run

    if callbacks is not None:
        callbacks.epoch_begins()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        result = scipy.optimize.minimize(
            fun,
            pack(coefs + intercepts).astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=iteration_ends,
            # As scikit-learn's LogisticRegression: stop on the gradient (tol), not
            # on scipy's default relative decrease of J, which stops far too early
            # for a loss normalised by the number of samples.
            options={
                "maxiter": max_iter,
                "maxfun": max_fun,
                "gtol": tol,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
    if callbacks is not None:
        callbacks.abandon_epoch()
    if not (np.isfinite(result.fun) and np.isfinite(result.x).all()):
        # As gradient descent whose first epoch diverges: no model to keep.
        raise ValueError(
            f"L-BFGS-B found no finite loss (J = {result.fun}) from the starting "
            "weights. Scale the inputs to [0, 1], e.g. with MinMaxScaler."
        )
    if not progress.loss_curve:  # stopped before its first iteration ended
        progress.loss_curve.append(float(result.fun))
        progress.best_loss = min(progress.best_loss, progress.loss_curve[-1])
    params = unpack(result.x, shapes, dtype)
    if stalled:
        return params[:L], params[L:], (0, "the loss stalled")
    return params[:L], params[L:], (result.status, result.message.rstrip(": "))


def all_finite(loss, params):
    """Whether the loss and every parameter are finite numbers."""
    return bool(np.isfinite(loss)) and all(np.isfinite(p).all() for p in params)


def _diverged(n_iter, optimizer):
    """Warn that training diverged, or raise if no epoch ever ended finite."""
    message = (
        f"Training diverged in epoch {n_iter + 1}: the loss, the weights or the "
        "optimizer's state became infinite or NaN. Lower learning_rate_init (it is "
        f"{optimizer.learning_rate_init:g}) or scale the inputs to [0, 1], e.g. "
        "with MinMaxScaler."
    )
    if n_iter == 0:
        raise ValueError(message)
    warn(
        message + " The weights and optimizer state of the last finite epoch are kept.",
        ConvergenceWarning,
    )
