"""The scikit-learn glue both estimators share.

Both estimators are networks of sigmoid layers: :class:`SigmoidMLPClassifier` with
hidden layers and (by default) squared error, :class:`OneVsRestLogistic` with no hidden
layer and log-loss. This module checks their input, encodes the targets one-hot, builds
or continues the network and its optimizer, runs the training loop and stores the
result as fitted attributes. Each estimator supplies a few hooks:

* ``_parameter_constraints``: how to check its parameters;
* ``_network_loss`` and ``_hidden_layer_sizes()``: what network it is;
* ``_initial_parameters(layer_sizes, rng, dtype, Y, w)``: where training starts
  (``Y``, ``w``: the one-hot targets and sample weights it will be trained on);
* ``_get_network()`` / ``_network_attributes(coefs, intercepts)``: how the fitted
  parameters are stored as attributes.
"""

import copy
import functools

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import assert_all_finite, check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._callbacks import EpochCallbacks
from ._epochs import Checkpoint, EpochReport
from ._network import frequency_loss
from ._optimizers import Adam, GradientDescent
from ._rows import merge_repeated_rows
from ._training import (
    Distortion,
    Progress,
    StallRule,
    StoppingRule,
    Validation,
    train_lbfgs,
    train_stochastic,
)
from ._training import (
    output_activations as network_outputs,
)
from ._validation import (
    check_classes,
    check_label_kinds,
    check_sample_weight,
    check_targets,
    check_total_weight,
    class_weights,
    float_dtype,
    is_label_matrix,
    validate_params,
    warn,
)

ACCEPT_SPARSE = ["csr", "csc"]

# batch_size="auto": mini-batches of this many samples (all, if fewer).
AUTO_BATCH_SIZE = 200


# solver="auto": L-BFGS for a fit on an X of at most this many values (n_samples *
# n_features; the stored values of a sparse X), Adam above (see the user guide's
# "Choosing the parameters" for how it was chosen).
AUTO_LBFGS_MAX_VALUES = 1_000_000
# ... and that L-BFGS runs max_iter iterations, then goes on while the loss still
# falls by AUTO_LBFGS_STALL[1] of itself over AUTO_LBFGS_STALL[0] iterations (or is
# on the squared error's flat start), up to AUTO_LBFGS_MAX_ITER_FACTOR * max_iter.
AUTO_LBFGS_STALL = (10, 0.01)
AUTO_LBFGS_MAX_ITER_FACTOR = 5
AUTO_LBFGS_ALPHA_FACTOR = 10
# ... and weighs the L2 penalty AUTO_LBFGS_ALPHA_FACTOR times alpha (see the
# docstring of SigmoidMLPClassifier).

# The evaluation budget of L-BFGS-B for OneVsRestLogistic, which has no max_fun
# parameter: scipy's default, as for scikit-learn's LogisticRegression.
LBFGS_MAX_FUN = 15000

# The squared error's flat start: training losses from FLAT_START[0] to
# FLAT_START[1] times that of outputs answering the classes' frequencies, where the
# output biases start. An epoch there is no stall while the loss still falls by
# tol over FLAT_START_EPOCHS epochs (see _flat_start).
FLAT_START = (0.98, 1.05)
FLAT_START_EPOCHS = 20
# Training that ends with its best loss at this fraction or more of the
# frequencies' loss has barely moved its outputs: warn. (Below the flat start's
# lower edge, so that a fit that crept just below it on noise warns too.)
NOTHING_LEARNED = 0.96
# ... unless the weights leave nearly nothing to learn: the frequencies' weighted loss
# at most this fraction of their loss without the weights (class weights of 1000
# and 1e-4 make it 4e-7).
NEGLIGIBLE_FLOOR = 1e-3


def keep_state_on_error(method):
    """Make a failed ``fit``-like call leave the estimator as it was.

    Training works on copies of the fitted arrays, so restoring the attribute
    dictionary is enough.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        saved = dict(self.__dict__)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    return wrapper


def one_hot(y, classes, dtype):
    """Encode labels as one-hot rows; two classes need one column (1 for classes[1]).

    Raises
    ------
    ValueError
        If ``y`` holds a label that is not in ``classes``.
    """
    try:
        indices = np.searchsorted(classes, y).clip(0, len(classes) - 1)
        unseen = classes[indices] != y
    except TypeError:  # labels that do not compare with the classes: 1 and "a"
        known = set(classes.tolist())
        unseen = np.array([label not in known for label in y.tolist()])
    if np.any(unseen):
        labels = set(y[unseen].tolist())
        try:
            labels = sorted(labels)
        except TypeError:  # labels of several types
            labels = sorted(labels, key=repr)
        raise ValueError(
            f"y contains labels not in classes {classes.tolist()}: {labels}."
        )
    if len(classes) == 2:
        return indices.astype(dtype).reshape(-1, 1)
    Y = np.zeros((len(y), len(classes)), dtype=dtype)
    Y[np.arange(len(y)), indices] = 1
    return Y


def canonical_rows(X):
    """X as the network reads it whatever its layout, so that the sums of the
    matrix products, and so the results, are the same to the last bit: a sparse
    matrix in CSR with its indices sorted and no duplicates (a copy if it had any),
    dense rows contiguous in memory. (A dense X of ``fit`` is made C-ordered by
    ``validate_data``; one to predict stays as it is, each chunk of rows copied.)
    """
    if not sp.issparse(X):
        return X
    X = X.tocsr()
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def encode_targets(y, classes, dtype, multilabel):
    """The targets Y the network is trained on: one-hot rows of the labels (see
    :func:`one_hot`), or a multilabel indicator matrix as it is, in ``dtype``."""
    if not multilabel:
        return one_hot(y, classes, dtype)
    if len(classes) != y.shape[1]:
        raise ValueError(
            f"y has {y.shape[1]} columns (labels); the model has {len(classes)}."
        )
    return (y.toarray() if sp.issparse(y) else np.asarray(y)).astype(dtype)


def is_multilabel(est):
    """Whether the fitted ``est`` was trained on a multilabel indicator matrix."""
    return getattr(est, "_multilabel", False)


def resolve_batch_size(batch_size, n_samples):
    """'auto' is min(200, n_samples); None is the full batch; an int is clipped to n."""
    if batch_size is None:
        return n_samples
    if batch_size == "auto":
        return min(AUTO_BATCH_SIZE, n_samples)
    if batch_size > n_samples:
        warn(
            f"batch_size={batch_size} is larger than the {n_samples} training samples; "
            "using full batches.",
            UserWarning,
        )
    return int(min(batch_size, n_samples))


def resolve_solver(est, X, incremental):
    """The solver that trains on X: ``solver``, or what "auto" stands for.

    "auto" is L-BFGS for a ``fit`` on an X of at most ``AUTO_LBFGS_MAX_VALUES``
    values (stored values, if sparse) without ``early_stopping`` or ``augment``,
    else Adam: L-BFGS has no epochs to score a held-out part after, cannot continue
    by chunks (``partial_fit``), and needs the same objective at every step (which
    ``augment``'s fresh distortions change).
    """
    if est.solver != "auto":
        return est.solver
    small = (X.nnz if sp.issparse(X) else X.size) <= AUTO_LBFGS_MAX_VALUES
    if (
        small
        and not incremental
        and not getattr(est, "early_stopping", False)
        and getattr(est, "augment", None) is None
    ):
        return "lbfgs"
    return "adam"


def make_optimizer(est, params, solver=None):
    """The optimizer of ``solver`` (by default the estimator's; 'sgd' and 'gd' are
    the same)."""
    schedule = getattr(est, "learning_rate", "constant")
    power_t = getattr(est, "power_t", 0.5)
    if (est.solver if solver is None else solver) == "adam":
        return Adam(
            params,
            est.learning_rate_init,
            est.beta_1,
            est.beta_2,
            est.epsilon,
            learning_rate=schedule,
            power_t=power_t,
        )
    return GradientDescent(
        params,
        est.learning_rate_init,
        schedule,
        est.momentum,
        est.nesterovs_momentum,
        power_t,
    )


def fit_network(est, X, y, sample_weight, *, incremental, classes=None):
    """Fit or continue to fit ``est``: the body of ``fit`` and ``partial_fit``.

    ``incremental`` is True for ``partial_fit``: one epoch, continuing from the fitted
    state. ``fit`` continues only with ``warm_start=True``.

    A ``KeyboardInterrupt`` (Ctrl-C) during training ends it: the model of the last
    completed epoch (with early stopping, the best so far) is stored and a
    UserWarning says so; one before any epoch of this call completed passes on (and
    the estimator stays as it was).
    """
    validate_params(est, est._parameter_constraints)
    _check_augment(est, X)
    fitted = hasattr(est, "classes_")
    check_label_kinds(y, "y")
    multilabel = is_label_matrix(y)
    if incremental and not fitted and classes is None and not multilabel:
        raise ValueError("classes must be passed on the first call to partial_fit.")
    warm = fitted and (incremental or est.warm_start)
    dtype = est._get_network()[0][0].dtype if warm else float_dtype(X)
    X, y = validate_data(
        est,
        X,
        y,
        accept_sparse=ACCEPT_SPARSE,
        dtype=dtype,
        order="C",
        reset=not warm,
        multi_output=multilabel,
    )
    X = canonical_rows(X)
    check_targets(y, multilabel)
    if warm and multilabel != is_multilabel(est):
        raise ValueError(
            "The model was fitted on a multilabel indicator matrix; y must be one too."
            if is_multilabel(est)
            else "The model was fitted on class labels; y must be labels too, not a "
            "multilabel indicator matrix."
        )
    classes_ = _resolve_classes(est, y, classes, warm, multilabel)
    Y = encode_targets(y, classes_, X.dtype, multilabel)
    w = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    if multilabel and est.class_weight is not None:
        raise ValueError(
            "class_weight is not supported for multilabel targets; use sample_weight."
        )
    by_class = class_weights(est.class_weight, y, classes_, incremental)
    if by_class is not None:
        with np.errstate(over="ignore"):
            w *= by_class.astype(w.dtype)
        if not np.any(w > 0):
            raise ValueError("The class and sample weights are all zero.")
    check_total_weight(w)
    rng = check_random_state(est.random_state)
    augment_seed = _augment_seed(est, rng)

    # Whether this call holds out a validation set: the validation attributes
    # describe the model only then (an earlier call's scores stay in the history).
    solver = resolve_solver(est, X, incremental)
    validates = _validates(est, incremental, solver)
    X_given = X  # the callbacks see the data as given
    # Merged, k copies of a row are one row of weight k, and augment would distort
    # them once instead of k times: not with augment.
    if not validates and augment_seed is None and _full_batch(est, solver, X.shape[0]):
        X, Y, w = merge_repeated_rows(X, Y, w)
        X = canonical_rows(X)
    layer_sizes = [X.shape[1], *est._hidden_layer_sizes(), Y.shape[1]]
    if warm:
        coefs, intercepts = _copy_network(est, layer_sizes, incremental)
        progress = copy.deepcopy(est._progress)
        if validates:
            # Its validation split is drawn anew: this call keeps the best of its
            # own epochs, not a model of an earlier call scored on other samples.
            progress.best_validation_score = -np.inf
            progress.best_params = None
            progress.no_improvement_count = 0
    else:
        coefs, intercepts = est._initial_parameters(layer_sizes, rng, X.dtype, Y, w)
        progress = Progress()

    first_epoch = progress.n_iter
    callbacks = EpochCallbacks(
        est,
        X_given,
        y,
        sample_weight,
        # L-BFGS opens the task of its next iteration before scipy decides to stop.
        max_epochs=1 if incremental else _max_iter(est, solver) + (solver == "lbfgs"),
        fitted_attributes=functools.partial(
            fitted_attributes,
            est,
            classes_,
            early_stopping=validates,
            multilabel=multilabel,
            solver=solver,
        ),
        report=_epoch_report(est, first_epoch, incremental, solver),
    )
    optimizer, checkpoint = None, Checkpoint()
    try:
        if solver == "lbfgs":
            coefs, intercepts = _run_lbfgs(
                est, coefs, intercepts, progress, X, Y, w, callbacks, checkpoint
            )
        else:
            optimizer = _optimizer_to_continue(est, incremental and warm, solver)
            if optimizer is None:
                optimizer = make_optimizer(est, coefs + intercepts, solver)
            distort = None
            if augment_seed is not None:
                augment_rng = _augment_generator(augment_seed, progress.t)
                distort = Distortion(est.augment, augment_rng)
            _run_gradient_descent(
                est, coefs, intercepts, optimizer, progress, X, Y, w, rng,
                incremental, callbacks, checkpoint, multilabel, solver, distort,
            )  # fmt: skip
    except KeyboardInterrupt:
        # Training runs on this thread alone: nothing writes the parameters now.
        callbacks.abandon_epoch()
        if checkpoint.epochs_after(first_epoch) == 0:
            raise  # nothing trained: nothing to keep
        coefs, intercepts, progress = _keep_checkpoint(
            est, checkpoint, optimizer, first_epoch, validates
        )
    _store(
        est, classes_, coefs, intercepts, progress, optimizer, validates, multilabel,
        solver,
    )  # fmt: skip
    callbacks.fit_ends()
    return est


def _check_augment(est, X):
    """Refuse what ``augment`` cannot do: L-BFGS, and sparse input."""
    if getattr(est, "augment", None) is None:
        return
    name = type(est).__name__
    if est.solver == "lbfgs":
        raise ValueError(
            f"{name}: augment draws new distortions of the training data at every "
            "step, but L-BFGS needs the same objective at every step. Use "
            "solver='sgd' or 'adam' with augment, or set augment=None."
        )
    if sp.issparse(X):
        raise TypeError(
            f"{name}: augment distorts dense images, but X is a sparse matrix. "
            "Convert it with X.toarray(), or set augment=None."
        )


def _augment_seed(est, rng):
    """Four words to seed the generator of ``augment`` with (None without augment).

    They are drawn from a copy of the estimator's generator, which stays where it
    was: the initial weights, the validation split and the shuffles are those of
    the same fit without augment.
    """
    if getattr(est, "augment", None) is None:
        return None
    return copy.deepcopy(rng).randint(2**32, size=4, dtype=np.uint32).tolist()


def _augment_generator(seed, t):
    """The generator ``augment`` draws its distortions from in a call to ``fit`` or
    ``partial_fit``: seeded by ``seed`` (:func:`_augment_seed`) and by ``t``, the
    number of samples the model was trained on before this call.

    An int ``random_state`` starts every call from the same state, so each call to
    ``partial_fit`` (or to ``fit`` with ``warm_start``) would distort its data as
    the one before did; ``t`` differs from call to call (it grows with every epoch),
    so each draws new distortions, and two models trained alike with the same
    seed draw the same ones.
    """
    sequence = np.random.SeedSequence([*seed, int(t)])
    return np.random.RandomState(np.random.MT19937(sequence))


def _epoch_report(est, first_epoch, incremental, solver):
    """What ``verbose`` prints after each epoch (None if not verbose)."""
    if not est.verbose:
        return None
    unit = "iteration" if solver == "lbfgs" else "epoch"
    return EpochReport(
        first_epoch, None if incremental else _max_iter(est, solver), unit
    )


def _keep_checkpoint(est, checkpoint, optimizer, first_epoch, validates):
    """After Ctrl-C: the model of the last completed epoch (with early stopping,
    the best so far), its progress, and a UserWarning saying so.

    A UserWarning, as scikit-learn's ``MLPClassifier``: the fit did not run to its
    end, but neither did it fail to converge (a filter that silences
    ConvergenceWarning, common in grid searches, leaves it to be seen).
    """
    params, optimizer_state, progress = checkpoint.restore()
    L = len(params) // 2
    coefs, intercepts = params[:L], params[L:]
    if optimizer is not None:
        optimizer.restore(optimizer_state)
    done = progress.n_iter - first_epoch
    kept = done
    if validates and progress.best_params is not None:
        coefs, intercepts = progress.best_params[:L], progress.best_params[L:]
        scores = progress.validation_scores[-done:]
        kept = scores.index(max(scores)) + 1
    unit = "iteration" if optimizer is None else "epoch"
    warn(
        f"{type(est).__name__}: training interrupted after {done} {unit}s; keeping "
        f"the model of {unit} {kept}.",
        UserWarning,
    )
    return coefs, intercepts, progress


def _validates(est, incremental, solver):
    """Whether this call to ``fit`` holds out a validation set (early stopping).

    ``partial_fit`` and L-BFGS never do.
    """
    return bool(
        getattr(est, "early_stopping", False) and not incremental and solver != "lbfgs"
    )


def _full_batch(est, solver, n_samples):
    """Whether every step of training sums over all ``n_samples`` rows: L-BFGS, or
    gradient descent whose batches hold every row (no shuffling, no draw)."""
    if solver == "lbfgs" or est.batch_size is None:
        return True
    if est.batch_size == "auto":
        return n_samples <= AUTO_BATCH_SIZE
    return est.batch_size >= n_samples


def _max_iter(est, solver):
    """The most epochs or iterations ``fit`` runs: ``max_iter``, times
    ``AUTO_LBFGS_MAX_ITER_FACTOR`` when "auto" chose L-BFGS."""
    if est.solver == "auto" and solver == "lbfgs":
        return AUTO_LBFGS_MAX_ITER_FACTOR * int(est.max_iter)
    return int(est.max_iter)


def _optimizer_to_continue(est, continuing, solver):
    """A copy of the fitted optimizer, if ``partial_fit`` continues with its kind.

    None (start a new one) after a fit with L-BFGS, or if ``solver`` has changed
    between "adam" and gradient descent since.
    """
    optimizer = getattr(est, "_optimizer", None) if continuing else None
    if optimizer is None or isinstance(optimizer, Adam) != (solver == "adam"):
        return None
    return copy.deepcopy(optimizer)


def _resolve_classes(est, y, classes, warm, multilabel=False):
    name = type(est).__name__
    if multilabel:
        # The labels are the columns, 0 to k - 1, as in scikit-learn.
        labels = est.classes_ if warm else np.arange(y.shape[1])
        if classes is not None and not np.array_equal(
            check_classes(classes, name), labels
        ):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()}: the labels of a multilabel "
                f"target are its columns, {labels.tolist()}; pass those or None."
            )
        return labels
    if warm:
        if classes is not None and not np.array_equal(
            check_classes(classes, name), est.classes_
        ):
            raise ValueError(
                f"classes={np.asarray(classes).tolist()} differs from the classes seen "
                f"in the first call, {est.classes_.tolist()}."
            )
        return est.classes_
    if classes is not None:
        return check_classes(classes, name)
    classes_ = np.unique(y)
    if len(classes_) < 2:
        raise ValueError(
            f"{name} needs samples of at least 2 classes in the data; got 1 class: "
            f"{classes_.tolist()}."
        )
    return classes_


def _copy_network(est, layer_sizes, incremental):
    coefs, intercepts = est._get_network()
    fitted_sizes = [coefs[0].shape[0], *(W.shape[1] for W in coefs)]
    if fitted_sizes != layer_sizes:
        remedy = (
            "Call fit to train the new architecture from the start, or set "
            "hidden_layer_sizes back to continue this one."
            if incremental
            else "Set warm_start=False to train the new architecture from the "
            "start, or set hidden_layer_sizes back to continue this one."
        )
        raise ValueError(
            f"Cannot continue training: the fitted network has layer sizes "
            f"{fitted_sizes} but the parameters ask for {layer_sizes}. {remedy}"
        )
    return [W.copy() for W in coefs], [b.copy() for b in intercepts]


def _run_gradient_descent(
    est, coefs, intercepts, optimizer, progress, X, Y, w, rng, incremental,
    callbacks, checkpoint, multilabel=False, solver="adam", distort=None,
):  # fmt: skip
    """Mini-batch or full-batch gradient descent; a ConvergenceWarning if ``fit`` ran
    out of epochs before its stopping rule ended it. ``distort`` (``augment``)
    distorts every training batch."""
    n_samples = X.shape[0]
    train_rows, validation = None, None
    if _validates(est, incremental, solver):
        train_rows, validation = _split_validation(est, X, Y, w, rng, multilabel)
    n_train = n_samples if train_rows is None else len(train_rows)
    batch_size = resolve_batch_size(est.batch_size, n_train)
    first_epoch = len(progress.loss_curve)
    stopped_by = train_stochastic(
        coefs,
        intercepts,
        optimizer,
        progress,
        X,
        Y,
        w,
        n_epochs=1 if incremental else est.max_iter,
        batch_size=batch_size,
        alpha=est.alpha,
        loss=est._network_loss,
        stopping=StoppingRule(
            est.tol, est.n_iter_no_change, flat_start=_flat_start(est, Y, w)
        ),
        rng=rng,
        shuffle=est.shuffle and batch_size < n_train,
        train_rows=train_rows,
        validation=validation,
        callbacks=callbacks,
        checkpoint=checkpoint,
        distort=distort,
    )
    converged = stopped_by is not None
    progress.stopped = converged
    if stopped_by == "stalled" and not incremental:
        losses = progress.loss_curve[first_epoch:]
        _warn_if_nothing_learned(est, losses, Y, w, ended_by="rule")
    if validation is not None and progress.best_params is not None:
        L = len(coefs)
        coefs[:], intercepts[:] = progress.best_params[:L], progress.best_params[L:]
    if not converged and not incremental:
        losses = progress.loss_curve[first_epoch:]
        stuck = _flat_start_message(est, losses, Y, w, ended_by="max_iter")
        advice = (
            f"It ended {stuck}"
            if stuck is not None
            else _advice_if_the_loss_rose(est, losses)
            or (
                "Increase max_iter, or raise learning_rate_init if the loss is still "
                "falling."
            )
        )
        warn(
            f"{type(est).__name__}: the maximum number of iterations ({est.max_iter}) "
            f"was reached and the optimization has not converged yet. {advice}",
            ConvergenceWarning,
        )


def _split_validation(est, X, Y, w, rng, multilabel=False):
    rows = np.arange(X.shape[0])
    # Stratified by class, except a multilabel target (as in scikit-learn).
    labels = Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0]
    try:
        train_rows, val_rows = train_test_split(
            rows,
            test_size=est.validation_fraction,
            random_state=rng,
            stratify=None if multilabel else labels,
        )
    except ValueError:  # a class too rare to stratify
        train_rows, val_rows = train_test_split(
            rows, test_size=est.validation_fraction, random_state=rng
        )
    if len(val_rows) < 2:  # as scikit-learn's MLPClassifier
        raise ValueError(
            f"early_stopping: the validation set is too small ({len(val_rows)} "
            f"sample of {X.shape[0]}, validation_fraction="
            f"{est.validation_fraction}): increase validation_fraction or the size "
            "of the data set, or set early_stopping=False."
        )
    train_rows.sort()
    for part, rows in (("training", train_rows), ("validation", val_rows)):
        if not np.any(w[rows] > 0):
            raise ValueError(
                f"early_stopping: every sample of the {part} part of the split "
                f"(validation_fraction={est.validation_fraction}) has weight zero. "
                "Give more samples a positive weight, or set early_stopping=False."
            )
    return train_rows, Validation(X[val_rows], Y[val_rows], w[val_rows], multilabel)


def _flat_start(est, Y, w):
    """The training losses of the squared error's flat start, ``FLAT_START`` times
    that of outputs answering the classes' frequencies, where the output biases
    start, and the epochs over which it must still fall (None with the log-loss,
    or when one class carries all the weight).

    There every output is near its class's frequency and every slope a(1 - a) is
    small, so the loss falls slowly for many epochs, by less than ``tol`` an epoch
    on small data sets (a few steps an epoch) or with full batches, before
    learning takes off. The stopping rule does not count those epochs as stalls
    while the loss still falls by ``tol`` over ``FLAT_START_EPOCHS`` epochs; data
    with nothing to learn stay there without falling, and stop. (A loss well
    above comes from steps too large: those stalls count, and the fit ends with a
    warning that says so.)
    """
    if est._network_loss != "squared_error":
        return None
    floor = frequency_loss(Y, w, est._network_loss)
    if floor <= 0:
        return None
    return FLAT_START[0] * floor, FLAT_START[1] * floor, FLAT_START_EPOCHS


def _advice_if_the_loss_rose(est, losses):
    """What to do if the loss ended higher than it started (else None)."""
    if len(losses) > 1 and losses[-1] > losses[0]:
        return (
            f"The loss rose, from {losses[0]:.4g} to {losses[-1]:.4g}: lower "
            f"learning_rate_init (it is {est.learning_rate_init:g}), or scale the "
            "inputs to [0, 1], e.g. with MinMaxScaler."
        )
    return None


def _warn_if_nothing_learned(est, losses, Y, w, ended_by):
    """A ConvergenceWarning if training with the squared error stopped (by the
    stopping rule, or L-BFGS by its own) with the outputs still at the classes'
    frequencies (see :func:`_flat_start_message`)."""
    stuck = _flat_start_message(est, losses, Y, w, ended_by)
    if stuck is not None:
        what = "L-BFGS-B stopped" if ended_by == "lbfgs" else "training ended"
        warn(f"{type(est).__name__}: {what} {stuck}", ConvergenceWarning)


def _flat_start_message(est, losses, Y, w, ended_by):
    """None, unless the best of ``losses`` (squared error) is still no lower than
    ``NOTHING_LEARNED`` times that of outputs answering the classes' frequencies:
    then the end of a sentence saying so, and what to do now that training ended
    by ``ended_by``: "max_iter", "rule" (the stopping rule) or "lbfgs".

    On the flat start of the squared error (every output near its class's
    frequency, every slope a(1 - a) small) the loss falls slowly for many epochs;
    a rule that stops on the gradient or on a stall can end training there, at or
    near chance accuracy. A rate far too large ends there too, its saturated units
    keeping the loss finite. (The log-loss is left out: outputs that are right but
    overconfident can put it above that level in a model that has learned.) Nor
    do weights that put nearly all the weight on one class: a loss of the
    frequencies ``NEGLIGIBLE_FLOOR`` times that without the weights, or less.
    """
    if not losses or est._network_loss != "squared_error":
        return None
    floor = frequency_loss(Y, w, est._network_loss)
    best = min(losses)
    if floor <= NEGLIGIBLE_FLOOR * frequency_loss(Y, np.ones_like(w), "squared_error"):
        # The weights leave nearly nothing to learn (nothing, with all of it on one
        # class): no answer but the heaviest class's is worth anything.
        return None
    if best < NOTHING_LEARNED * floor:
        return None
    advice = _advice_if_the_loss_rose(est, losses)
    starts_at_the_frequencies = getattr(est, "init", None) != "normal"
    if advice is None and starts_at_the_frequencies and best > FLAT_START[1] * floor:
        # The outputs started at the frequencies: a best loss well above can only
        # come from steps that threw the weights out (mini-batch epochs average the
        # loss over the epoch, so the first one is the highest).
        advice = (
            "Even its best epoch did worse than those outputs, as steps that are too "
            f"large do: lower learning_rate_init (it is {est.learning_rate_init:g}), "
            "or scale the inputs to [0, 1], e.g. with MinMaxScaler."
        )
    if advice is None:
        change = {
            "lbfgs": "L-BFGS stopped on a flat part of the loss: try another "
            "random_state or init",
            "max_iter": "training is still on the flat start of the loss, where it "
            "falls slowly: raise max_iter (one epoch of full-batch training is one "
            "step), or use mini-batches, a larger learning_rate_init",
            "rule": "training stopped on the flat start of the loss, where it falls "
            "slowly: raise n_iter_no_change (early stopping's too) or lower tol, or "
            "use mini-batches, a larger learning_rate_init",
        }[ended_by]
        advice = (
            "Either the data hold little to learn (or alpha is too large), or "
            f"{change}, or loss='log_loss'."
        )
    return (
        f"at a loss of {best:.4g}, no lower than {NOTHING_LEARNED:.0%} of the "
        f"{floor:.4g} of outputs that answer the classes' frequencies: its outputs "
        f"have barely moved from those frequencies. {advice}"
    )


def lbfgs_gradient_tolerance(est):
    """The tolerance on the projected gradient that ends L-BFGS-B.

    ``tol`` with the log-loss, as in scikit-learn; 0 with the squared error:
    its gradient carries every output's slope a(1 - a), so it is small on the flat
    start and wherever outputs saturate, long before the minimum, and L-BFGS-B
    runs until ``max_iter`` or until the loss stops changing.
    """
    return est.tol if est._network_loss == "log_loss" else 0.0


def _run_lbfgs(est, coefs, intercepts, progress, X, Y, w, callbacks, checkpoint):
    """L-BFGS-B; a ConvergenceWarning says why if it stops without converging."""
    n_iter_before = progress.n_iter
    first_iteration = len(progress.loss_curve)
    max_fun = getattr(est, "max_fun", LBFGS_MAX_FUN)
    max_iter = _max_iter(est, "lbfgs")
    stall = None
    alpha = est.alpha
    if est.solver == "auto":
        alpha *= AUTO_LBFGS_ALPHA_FACTOR
        flat = _flat_start(est, Y, w)
        stall = StallRule(
            *AUTO_LBFGS_STALL,
            min_iterations=int(est.max_iter),
            flat_start=None if flat is None else flat[:2],
        )
    coefs, intercepts, (status, message) = train_lbfgs(
        coefs,
        intercepts,
        X,
        Y,
        w,
        alpha=alpha,
        loss=est._network_loss,
        max_iter=max_iter,
        max_fun=max_fun,
        tol=lbfgs_gradient_tolerance(est),
        progress=progress,
        callbacks=callbacks,
        checkpoint=checkpoint,
        stall=stall,
    )
    if status == 0:  # met its tolerance (99: a callback stopped it)
        losses = progress.loss_curve[first_iteration:]
        _warn_if_nothing_learned(est, losses, Y, w, ended_by="lbfgs")
    elif status != 99:
        n_iter = progress.n_iter - n_iter_before
        if status != 1:  # the line search failed
            advice = "Scale the inputs to [0, 1], e.g. with MinMaxScaler"
        elif n_iter >= max_iter:
            advice = f"Increase max_iter (it is {est.max_iter})"
        elif hasattr(est, "max_fun"):
            advice = f"Increase max_fun (it is {max_fun})"
        else:
            advice = (
                f"Its budget of {max_fun} evaluations of the loss ran out; scale the "
                "inputs to [0, 1], e.g. with MinMaxScaler, or raise tol"
            )
        warn(
            f"{type(est).__name__}: L-BFGS-B stopped after {n_iter} iterations "
            f"without converging ({message}). {advice}.",
            ConvergenceWarning,
        )
    return coefs, intercepts


def fitted_attributes(
    est,
    classes,
    coefs,
    intercepts,
    progress,
    *,
    early_stopping,
    multilabel=False,
    solver=None,
):
    """The fitted attributes of a model with these parameters and progress.

    ``early_stopping`` is whether the call that made them held out a validation set:
    then ``best_loss_`` is None and the validation attributes list every epoch that
    was scored (by this call or, with ``warm_start``, by earlier ones that held out a
    validation set); else the validation attributes are None, as in scikit-learn.
    ``multilabel``: whether it was trained on a multilabel indicator matrix;
    ``solver``: the solver that trained it (by default the estimator's).
    """
    return {
        "classes_": classes,
        "solver_": est.solver if solver is None else solver,
        "_multilabel": multilabel,
        **est._network_attributes(coefs, intercepts),
        "n_outputs_": coefs[-1].shape[1],
        "n_layers_": len(coefs) + 1,
        "n_iter_": progress.n_iter,
        "t_": progress.t,
        "loss_": progress.loss_curve[-1] if progress.loss_curve else None,
        "loss_curve_": list(progress.loss_curve),
        "best_loss_": None if early_stopping else progress.best_loss,
        "validation_scores_": (
            list(progress.validation_scores) if early_stopping else None
        ),
        "validation_loss_curve_": (
            list(progress.validation_loss_curve) if early_stopping else None
        ),
        "best_validation_score_": (
            progress.best_validation_score if early_stopping else None
        ),
    }


def _store(
    est, classes, coefs, intercepts, progress, optimizer, early_stopping, multilabel,
    solver,
):  # fmt: skip
    est.__dict__.update(
        fitted_attributes(
            est,
            classes,
            coefs,
            intercepts,
            progress,
            early_stopping=early_stopping,
            multilabel=multilabel,
            solver=solver,
        )
    )
    est._progress = progress
    est._optimizer = optimizer


def output_activations(est, X, pre_activation=False):
    """a[L] (or z[L]) for the rows of X, computed in the dtype of the fitted weights.

    X is checked for NaN and infinity as ``validate_data`` does (same check, same
    message, and not at all under ``sklearn.config_context(assume_finite=True)``),
    but chunk by chunk, just before each chunk goes through the network, instead of
    in a pass of its own over the whole of X.
    """
    check_is_fitted(est)
    coefs, intercepts = est._get_network()
    X = validate_data(
        est,
        X,
        accept_sparse=ACCEPT_SPARSE,
        dtype=coefs[0].dtype,
        reset=False,
        ensure_all_finite=False,
    )
    X = canonical_rows(X)
    check = None
    if not get_config()["assume_finite"]:  # read here: the setting is per thread
        name = type(est).__name__

        def check(chunk):
            # Its sum of huge values of both signs is inf - inf: no warning for that.
            with np.errstate(over="ignore", invalid="ignore"):
                assert_all_finite(chunk, input_name="X", estimator_name=name)

    return network_outputs(
        X, coefs, intercepts, check=check, pre_activation=pre_activation
    )


def probabilities(A):
    """Class probabilities from output activations: each row divided by its sum.

    One output unit a (two classes) gives [1 - a, a]. Activations are kept at least the
    dtype's smallest normal number so that a row of saturated zeros still has a sum.
    """
    if A.shape[1] == 1:
        return np.hstack([1 - A, A])
    A = np.maximum(A, np.finfo(A.dtype).tiny)
    return A / A.sum(axis=1, keepdims=True)
