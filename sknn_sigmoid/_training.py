"""The training loops both estimators share.

Gradient descent goes through the data in mini-batches (or in one full batch, the
lecture's plain gradient descent), epoch after epoch, recording the loss and deciding
when to stop. L-BFGS hands the same loss and gradients to scipy.

Nothing here knows about scikit-learn estimators: the loops see parameter lists, data
arrays and an optimizer.
"""

import copy
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._network import (
    bias_gradient,
    clipped_sigmoid,
    deltas,
    forward,
    objective,
    output_pre_activation,
    pack,
    unpack,
    weight_gradient,
)
from ._parallel import PARAMETERS_TO_SPLIT, PREDICT_CHUNK_ROWS, batch_parts
from ._validation import warn


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

    def evaluate(self, coefs, intercepts, alpha, loss, workers):
        """Return the weighted accuracy and the loss J on the held-out data.

        The accuracy is that of ``predict``, from z[L] (of a multilabel target, the
        share of samples whose every label is right, as scikit-learn's ``score``);
        the loss is computed from a[L], the sigmoid of z[L] as in the forward pass.
        """
        Z = output_activations(self.X, coefs, intercepts, workers, pre_activation=True)
        if self.multilabel:
            hits = np.all((Z > 0) == (self.Y > 0.5), axis=1)
        else:
            hits = predicted_indices(Z, threshold=0.0) == predicted_indices(self.Y)
        A = clipped_sigmoid(Z)
        accuracy = float(self.w @ hits) / float(self.w.sum())
        return accuracy, objective([A], self.Y, self.w, coefs, alpha, loss)


def output_activations(X, coefs, intercepts, workers, check=None, pre_activation=False):
    """a[L] for every row of X, computed chunk by chunk on the worker threads.

    ``check``, if given, is called on each chunk of rows just before it goes through
    the network (to raise on bad input while the chunk is read anyway, rather than
    in a pass of its own over the whole of X). With ``pre_activation``, the output
    layer's z[L] instead (:func:`~sknn_sigmoid._network.output_pre_activation`).
    """
    network = output_pre_activation if pre_activation else _output_activation
    n = X.shape[0]
    out = np.empty((n, coefs[-1].shape[1]), coefs[-1].dtype)
    chunks = [
        slice(start, min(start + PREDICT_CHUNK_ROWS, n))
        for start in range(0, n, PREDICT_CHUNK_ROWS)
    ]

    def compute(rows):
        chunk = X[rows]
        if isinstance(chunk, np.ndarray):  # rows of an F-ordered X, copied
            chunk = np.ascontiguousarray(chunk)
        if check is not None:
            check(chunk)
        out[rows] = network(chunk, coefs, intercepts)

    workers.map(compute, chunks)
    return out


def _output_activation(X, coefs, intercepts):
    return forward(X, coefs, intercepts)[-1]


def predicted_indices(A, threshold=0.5):
    """Index of the predicted class from output activations (or one-hot targets).

    With one output unit (two classes) the class is 1 where a > ``threshold`` (0.5
    for activations, 0 for pre-activations z[L]); with several, it is the most
    activated unit.
    """
    if A.shape[1] == 1:
        return (A[:, 0] > threshold).astype(np.intp)
    return np.argmax(A, axis=1)


def batch_slices(n_samples, batch_size):
    """Consecutive slices of at most ``batch_size`` samples covering ``n_samples``."""
    return [
        slice(start, min(start + batch_size, n_samples))
        for start in range(0, n_samples, batch_size)
    ]


class Workspace:
    """Work arrays for training on batches of up to ``batch_size`` rows.

    Allocated once per call to ``fit``, so that an epoch allocates nothing the size of
    a batch or of a weight matrix: the batch's rows are gathered into ``X``, ``Y``,
    ``w``, and forward and backward propagation write into the other buffers (see
    :func:`~sknn_sigmoid._network.backward`).
    """

    def __init__(self, layer_sizes, batch_size, dtype, sparse_input=False):
        def per_layer(n_rows):
            return [np.empty((n_rows, n), dtype) for n in layer_sizes[1:]]

        self.X = None if sparse_input else np.empty((batch_size, layer_sizes[0]), dtype)
        self.Y = np.empty((batch_size, layer_sizes[-1]), dtype)
        self.w = np.empty(batch_size, dtype)
        self.activations = per_layer(batch_size)
        self.deltas = per_layer(batch_size)
        self.derivatives = per_layer(batch_size)
        pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
        self.coef_grads = [np.empty(shape, dtype) for shape in pairs]
        self.intercept_grads = [np.empty(n, dtype) for n in layer_sizes[1:]]
        self._views = {}

    def rows(self, part):
        """The workspace of the rows ``part`` (a slice) of a batch: views, made once."""
        key = (part.start, part.stop)
        view = self._views.get(key)
        if view is not None:
            return view
        view = self._views[key] = copy.copy(self)
        for name in ("X", "Y", "w", "activations", "deltas", "derivatives"):
            buffers = getattr(self, name)
            if isinstance(buffers, list):
                setattr(view, name, [buffer[part] for buffer in buffers])
            elif buffers is not None:
                setattr(view, name, buffers[part])
        return view

    def gather(self, X, Y, w, rows):
        """The samples ``rows``: views for a slice, copies into the buffers else.

        ``np.take`` with ``mode="clip"`` writes straight into the buffers (the
        default mode goes through a temporary copy); the rows are valid indices.
        ``X`` may be None, to gather only ``Y`` and ``w``.
        """
        if isinstance(rows, slice):
            return None if X is None else X[rows], Y[rows], w[rows]
        n = len(rows)
        if X is None:
            X_batch = None
        elif self.X is None:
            X_batch = X[rows]
        else:
            X_batch = np.take(X, rows, axis=0, out=self.X[:n], mode="clip")
        return (
            X_batch,
            np.take(Y, rows, axis=0, out=self.Y[:n], mode="clip"),
            np.take(w, rows, axis=0, out=self.w[:n], mode="clip"),
        )


def parameter_parts(shapes, min_size=PARAMETERS_TO_SPLIT):
    """How a step's gradient and update work is shared out: one or two groups.

    Each group is a list of ``(i, rows)``: the rows ``rows`` (a slice) of parameter
    array ``i``. Arrays of at least ``min_size`` / 2 elements are cut in two halves
    of rows, one per group; smaller ones go whole to the group with less work. If
    all the arrays together have fewer than ``min_size`` elements, there is one group.
    The cut depends only on the shapes.
    """
    sizes = [int(np.prod(shape)) for shape in shapes]
    if sum(sizes) < min_size:
        return [[(i, slice(None)) for i in range(len(shapes))]]
    groups, work = [[], []], [0, 0]
    for i, (shape, size) in enumerate(zip(shapes, sizes)):
        if 2 * size >= min_size:
            half = (shape[0] + 1) // 2
            groups[0].append((i, slice(0, half)))
            groups[1].append((i, slice(half, shape[0])))
            work[0] += size * half // shape[0]
            work[1] += size - size * half // shape[0]
        else:
            lighter = int(work[1] < work[0])
            groups[lighter].append((i, slice(None)))
            work[lighter] += size
    return groups


class BatchGradients:
    """J and its gradients on a batch, and the optimizer's step, on the worker threads.

    A batch goes through two stages, each shared out over the threads:

    1. forward propagation, J and the errors delta[l], row by row: the rows are cut
       as :func:`~sknn_sigmoid._parallel.batch_parts` says;
    2. the gradients, and the optimizer's update, parameter by parameter: the
       parameters are cut as :func:`parameter_parts` says (and, for a batch too
       small to cut in rows, the blocks all run on one thread). Each block of rows of a
       weight matrix needs all the batch's errors but no other block, and it is
       updated while it is still in the cache.

    No stage adds up partial results of another thread, and the cuts depend only on
    the sizes of the batch and of the network, so results are bit-identical
    whatever the number of threads.
    """

    def __init__(self, layer_sizes, batch_size, dtype, sparse_input, workers):
        self.workspace = Workspace(layer_sizes, batch_size, dtype, sparse_input)
        shapes = [c.shape for c in self.workspace.coef_grads]
        shapes += [b.shape for b in self.workspace.intercept_grads]
        self.groups = parameter_parts(shapes)
        # A batch too small to cut in rows is too small to share out: one thread
        # then takes every block in turn (the same blocks, so the same results).
        self.one_group = [sum(self.groups, [])]
        self.n_weights = sum(c.size for c in self.workspace.coef_grads)
        self.workers = workers

    def __call__(
        self, X, Y, w, rows, coefs, intercepts, alpha, loss, m, optimizer=None
    ):
        """J and the gradients on ``rows`` of X, Y, w (a slice or an index array).

        With an ``optimizer``, also take its step (unless J is not finite: the
        parameters have diverged, and they are left as they are, the gradients
        not computed).

        Returns
        -------
        J : float
        coef_grads, intercept_grads : list of ndarray
            In the workspace's buffers (valid until the next call).
        """
        n_rows = rows.stop - rows.start if isinstance(rows, slice) else len(rows)
        workspace = self.workspace
        # Sparse rows are gathered once, then cut into parts (and, in stage 2, into
        # columns: hence the compressed-column copy).
        X_sparse = X[rows] if sp.issparse(X) else None

        def propagate(part):
            if isinstance(rows, slice):
                batch_rows = slice(rows.start + part.start, rows.start + part.stop)
            else:
                batch_rows = rows[part]
            view = workspace.rows(part)
            X_part, Y_part, w_part = view.gather(
                None if sp.issparse(X) else X, Y, w, batch_rows
            )
            if X_part is None:
                X_part = X_sparse[part]
            activations = forward(X_part, coefs, intercepts, out=view.activations)
            # The L2 penalty is counted once, in the first part.
            J = objective(
                activations, Y_part, w_part, coefs, alpha if part.start == 0 else 0.0,
                loss, m,
            )  # fmt: skip
            deltas(activations, Y_part, w_part, coefs, loss, m, out=view)
            return J

        parts = batch_parts(n_rows, self.n_weights)
        J = sum(self.workers.map(propagate, parts))
        coef_grads, intercept_grads = workspace.coef_grads, workspace.intercept_grads
        if optimizer is not None and not np.isfinite(J):
            return J, coef_grads, intercept_grads  # diverged: no step

        if X_sparse is not None:
            X_batch = X_sparse.tocsc()
        elif isinstance(rows, slice):
            X_batch = X[rows]
        else:
            X_batch = workspace.X[:n_rows]
        A = [X_batch, *(a[:n_rows] for a in workspace.activations)]
        D = [d[:n_rows] for d in workspace.deltas]
        L = len(coefs)
        params, grads = coefs + intercepts, coef_grads + intercept_grads
        if optimizer is not None:
            optimizer.begin_step(params)

        def gradients_and_step(group):
            for i, part in group:
                if i < L:  # rows `part` of W[i + 1]: the inputs `part` of its layer
                    grad = weight_gradient(
                        A[i][:, part], D[i], coefs[i][part], alpha, m,
                        out=grads[i][part],
                    )  # fmt: skip
                else:  # entries `part` of b[i - L + 1]
                    grad = bias_gradient(D[i - L][:, part], out=grads[i][part])
                if optimizer is not None:
                    optimizer.update_part(i, part, params[i][part], grad)

        groups = self.groups if len(parts) > 1 else self.one_group
        self.workers.map(gradients_and_step, groups)
        return J, coef_grads, intercept_grads


def run_epoch(
    coefs, intercepts, optimizer, X, Y, w, *, order, batch_size, alpha, loss, gradients
):
    """One pass of gradient descent over the samples ``order`` (all, in turn, if None).

    A batch of b of the n samples normalises its loss by b / n of the total weight m,
    so that the gradient of its data term is an unbiased estimate of that of J (with
    uniform weights this is the batch's own weight; with class weights, a batch
    without the heavy classes counts little, as it should). Its L2 penalty is divided
    by the same normaliser, as in scikit-learn: over an epoch, the penalty counts
    n / b times.

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
    for batch in batch_slices(n, batch_size):
        rows = batch if order is None else order[batch]
        m = mean_weight * (batch.stop - batch.start)
        J, _, _ = gradients(X, Y, w, rows, coefs, intercepts, alpha, loss, m, optimizer)
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
    workers,
    callbacks=None,
    checkpoint=None,
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
    workers : RowWorkers
        The threads that compute the parts of a batch.
    callbacks : EpochCallbacks, default=None
        Told when each epoch begins and ends; may ask to stop.
    checkpoint : Checkpoint, default=None
        Given the parameters, optimizer state and progress before each epoch: what
        to go back to if the epoch is interrupted (Ctrl-C).

    Returns
    -------
    str or None
        What ended training before ``n_epochs``: ``"stalled"`` (the stopping
        rule), ``"callback"`` or ``"diverged"`` (an epoch whose loss or weights were
        not finite, undone); None if it ran them all.
    """
    n_train = X.shape[0] if train_rows is None else len(train_rows)
    layer_sizes = [X.shape[1], *(W.shape[1] for W in coefs)]
    gradients = BatchGradients(
        layer_sizes, batch_size, coefs[0].dtype, sp.issparse(X), workers
    )
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
            gradients=gradients,
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
            score, validation_loss = validation.evaluate(
                coefs, intercepts, alpha, loss, workers
            )
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
    workers,
    progress,
    callbacks=None,
    checkpoint=None,
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
        scipy's status and message: 0 if L-BFGS-B met its tolerance, 99 if a
        callback stopped it, 1 if its iteration or evaluation budget ran out, 2 if
        its line search failed.
    """
    dtype = coefs[0].dtype
    shapes = [p.shape for p in coefs + intercepts]
    L = len(coefs)
    layer_sizes = [X.shape[1], *(W.shape[1] for W in coefs)]
    n = X.shape[0]
    gradients = BatchGradients(layer_sizes, n, dtype, sp.issparse(X), workers)
    m = float(w.sum())

    def fun(theta):
        params = unpack(theta, shapes, dtype)
        J, coef_grads, intercept_grads = gradients(
            X, Y, w, slice(0, n), params[:L], params[L:], alpha, loss, m
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
