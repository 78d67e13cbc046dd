"""The ``sknn-sigmoid`` command line (also ``python -m sknn_sigmoid``).

Commands
--------
``demo``
    Train both estimators and print a table of test accuracy and fit time: on
    scikit-learn's bundled digits, or on MNIST with ``--mnist DIR``.
``train``
    Train one estimator (``--estimator mlp`` or ``logistic``) with the
    hyperparameters given as options, print its test accuracy and fit time, and
    with ``--save PATH`` write the fitted ``Pipeline(MinMaxScaler, estimator)``
    with joblib (``Pipeline(Deskewer, MinMaxScaler, estimator)`` with
    ``--deskew``).
``evaluate PATH``
    Print the test accuracy of a saved model (``--report``: per-class report).
``plot PATH``
    Draw the weight images (of every hidden unit; ``--max-images N`` for the first
    N only), the loss curve and the activations of one test image of a saved model
    into PNG files (needs matplotlib, the ``[plot]`` extra).

Data
----
``--digits`` (the default) is scikit-learn's ``load_digits`` (1797 images of 8x8
pixels), split by ``train_test_split(X, y, test_size=0.25, stratify=y,
random_state=0)``: ``train`` trains on the first part and ``evaluate`` and ``plot``
test on the second, so a model is never scored on the images it was trained on
(``demo`` splits with its ``--random-state`` in place of 0).
``--mnist DIR`` reads the four MNIST IDX files from DIR: the 60,000 training images
and the 10,000 test images. ``--max-samples N`` keeps only the first N training and
the first N test images, for quick runs.

Training
--------
With the solvers "sgd"/"gd" (gradient descent, the same method under each
estimator's name) and "adam", ``train`` holds out ``--validation-fraction`` of the
training data (stratified; 0.1 by default, 0 for none), then runs epochs of
``partial_fit``; after each it prints the epoch, the training loss, the validation
accuracy, the elapsed time and an estimate of the time left to stderr (``--quiet``
silences it). Training follows the estimator's own rule, as ``fit`` does: more than
``--n-iter-no-change`` epochs in a row without an improvement of ``--tol`` in the
training loss divide the "adaptive" learning rate by 5, and end training once it is
down to 1e-6 (at once with the other schedules), and the model of the last epoch is
kept. With ``--early-stopping``, as with ``early_stopping=True``, the rule watches
the validation accuracy instead, and the model of its best epoch is kept.
``--max-iter`` epochs end training too, and so does an epoch that diverges (the
estimator warns and undoes it). Ctrl-C stops training after the last completed
epoch and keeps that model. The solver "lbfgs" trains with one call to ``fit`` on
all the training data, without per-epoch progress; Ctrl-C then saves nothing.

Errors print one line, ``sknn-sigmoid: error: ...``, to stderr and exit with status
1 (2 for a wrong command line, 130 for Ctrl-C outside training). The options are
checked before any data are read: the estimators' parameters, ``--save`` and
``--out``.

Saved models are pickles (joblib): load only files you trust.
"""

import argparse
import copy
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import check_random_state

from . import OneVsRestLogistic, SigmoidMLPClassifier, __version__
from ._base import _flat_start_message, one_hot, partial_fit_scored
from ._validation import validate_params
from .preprocessing import Deskewer

PROG = "sknn-sigmoid"

#: Epochs per estimator of ``demo --mnist`` unless ``--max-iter`` says otherwise.
DEMO_MNIST_MAX_ITER = 10

ESTIMATORS = {"mlp": SigmoidMLPClassifier, "logistic": OneVsRestLogistic}

# The options of ``train`` that set estimator parameters of the same name.
HYPERPARAMETERS = (
    "hidden_layer_sizes",
    "loss",
    "solver",
    "learning_rate",
    "learning_rate_init",
    "batch_size",
    "alpha",
    "momentum",
    "max_iter",
    "tol",
    "n_iter_no_change",
)

# "sgd" and "gd" both name mini-batch gradient descent with momentum; each estimator
# knows it by one of the two names.
GRADIENT_DESCENT = {"mlp": "sgd", "logistic": "gd"}


class CommandError(Exception):
    """An error to report to the user in one line, without a traceback."""


class Data(NamedTuple):
    """Training and test data, with a sentence saying what they are."""

    X_train: object
    y_train: object
    X_test: object
    y_test: object
    description: str


# ---------------------------------------------------------------------------------
# Data


def _first(X, y, max_samples):
    if X is None or max_samples is None:
        return X, y
    return X[:max_samples], y[:max_samples]


def load_data(mnist=None, max_samples=None, *, train=True, random_state=0):
    """Load the digits (``mnist=None``) or MNIST from the directory ``mnist``.

    The digits are split by ``train_test_split(test_size=0.25, stratify=y,
    random_state=random_state)``; MNIST keeps its own training and test sets.
    ``max_samples`` keeps the first samples of each part; ``train=False`` skips
    reading the MNIST training set (``X_train`` and ``y_train`` are then None).
    """
    if max_samples is not None and max_samples < 1:
        raise CommandError(f"--max-samples must be at least 1; got {max_samples}.")
    if mnist is None:
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, stratify=y, test_size=0.25, random_state=random_state
        )
        source = "load_digits"
    else:
        from .datasets import load_mnist

        X_train = y_train = None
        if train:
            X_train, y_train = load_mnist(mnist, subset="train", return_X_y=True)
        X_test, y_test = load_mnist(mnist, subset="test", return_X_y=True)
        source = f"MNIST from {mnist}"
    X_train, y_train = _first(X_train, y_train, max_samples)
    X_test, y_test = _first(X_test, y_test, max_samples)
    parts = [] if X_train is None else [f"{len(X_train)} training"]
    parts.append(f"{len(X_test)} test images")
    description = f"{source}: {' and '.join(parts)} of {X_test.shape[1]} pixels"
    return Data(X_train, y_train, X_test, y_test, description)


def _data_from_args(args, *, train=True):
    return load_data(args.mnist, args.max_samples, train=train)


# ---------------------------------------------------------------------------------
# Training


def _duration(seconds):
    """A short human duration: '4.2s', '3m07s', '1h02m'."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class EpochReporter:
    """Print one line per epoch to ``stream``; nothing if ``stream`` is None."""

    def __init__(self, max_epochs, stream=None, label=""):
        self.max_epochs = max_epochs
        self.stream = stream
        self.label = label
        self.start = time.perf_counter()

    def __call__(self, epoch, loss, score=None):
        if self.stream is None:
            return
        elapsed = time.perf_counter() - self.start
        left = elapsed / epoch * (self.max_epochs - epoch)
        line = f"{self.label}epoch {epoch}/{self.max_epochs}: loss {loss:.6f}"
        if score is not None:
            line += f", validation accuracy {score:.4f}"
        line += f", elapsed {_duration(elapsed)}, left at most {_duration(left)}"
        print(line, file=self.stream, flush=True)


class TrainingResult(NamedTuple):
    """What :func:`train_epochs` did."""

    model: object  # the fitted Pipeline([Deskewer,] MinMaxScaler, estimator)
    epochs: int  # epochs completed
    kept_epoch: int  # the epoch whose model is kept
    interrupted: bool  # Ctrl-C stopped training
    stopped_early: bool  # the estimator's stopping rule ended training
    fit_time: float  # seconds
    diverged: bool = False  # an epoch diverged (its steps undone): training ended


def train_epochs(
    estimator,
    X,
    y,
    *,
    validation_fraction=0.1,
    early_stopping=False,
    max_epochs=None,
    n_iter_no_change=None,
    tol=None,
    random_state=None,
    report=None,
    deskew=False,
):
    """Train ``MinMaxScaler`` + ``estimator`` epoch by epoch with ``partial_fit``.

    With ``deskew``, a :class:`~sknn_sigmoid.preprocessing.Deskewer` goes first.

    One call of ``partial_fit`` is one epoch; the optimizer state carries over from
    call to call. ``validation_fraction`` of the data (stratified) is held out and
    scored after every epoch. Training follows the estimator's own rule, as ``fit``
    does: an epoch that brings no improvement of ``tol`` in the training loss counts
    as a stall; more than ``n_iter_no_change`` stalls in a row divide an "adaptive"
    learning rate by 5 and end training once it is down to 1e-6, and end it at
    once with the other schedules. The model of the last epoch is kept. With
    ``early_stopping``, as ``fit`` with ``early_stopping=True``, the stalls are
    those of the validation accuracy instead, and the model of the epoch with the
    best validation accuracy is kept. Training also ends after ``max_epochs``
    epochs, or when an epoch diverges (the estimator warns and undoes it).
    ``n_iter_no_change`` and ``tol``, when given, are set on the estimator;
    ``max_epochs`` defaults to its ``max_iter``.

    KeyboardInterrupt (Ctrl-C) ends training: the model of the last completed epoch
    is kept (an interrupted epoch leaves the estimator as it was).

    ``report(epoch, loss, validation_score)`` is called after every epoch.

    Returns
    -------
    TrainingResult
    """
    if n_iter_no_change is not None:
        estimator.set_params(n_iter_no_change=n_iter_no_change)
    if tol is not None:
        estimator.set_params(tol=tol)
    params = estimator.get_params()
    max_epochs = params["max_iter"] if max_epochs is None else max_epochs
    n_iter_no_change = params["n_iter_no_change"]
    _check_hold_out(validation_fraction, early_stopping)
    if max_epochs < 1:
        raise CommandError(f"--max-iter must be at least 1; got {max_epochs}.")
    if n_iter_no_change < 1:
        raise CommandError(
            f"--n-iter-no-change must be at least 1; got {n_iter_no_change}."
        )
    start = time.perf_counter()
    rng = check_random_state(random_state)
    classes = np.unique(y)
    X_val = y_val = None
    steps = []
    if deskew:  # each image on its own: nothing is learned from the data
        steps.append(Deskewer().fit(X))
        X = steps[-1].transform(X)
    if validation_fraction > 0:
        X, X_val, y, y_val = _split(X, y, validation_fraction, rng)
        if early_stopping and len(y_val) < 2:  # as early_stopping=True in fit
            raise CommandError(
                f"--early-stopping: the validation set is too small ({len(y_val)} "
                f"sample of {len(y_val) + len(y)}): raise --validation-fraction or "
                "use more samples."
            )
    scaler = MinMaxScaler().fit(X)
    X = scaler.transform(X)
    if X_val is not None:
        X_val = scaler.transform(X_val)

    best, best_epoch, best_score = None, 0, -np.inf
    epoch, interrupted, stopped_early, diverged = 0, False, False, False
    scores = []
    try:
        while epoch < max_epochs:
            # A new order every epoch: the estimator's own shuffling repeats one
            # order when random_state is an int.
            order = rng.permutation(len(y))
            if early_stopping:  # the rule watches the validation accuracy
                partial_fit_scored(estimator, X[order], y[order], classes, X_val, y_val)
            else:
                estimator.partial_fit(X[order], y[order], classes=classes)
            if estimator.n_iter_ == epoch:
                # The epoch diverged (the estimator warned): its steps were undone.
                diverged = True
                break
            epoch += 1
            if early_stopping:
                scores.append(estimator._progress.validation_scores[-1])
            elif X_val is not None:
                scores.append(estimator.score(X_val, y_val))
            score = scores[-1] if scores else None
            if early_stopping and score > best_score:
                best_score, best_epoch = score, epoch
                best = copy.deepcopy(estimator)
            if report is not None:
                report(epoch, estimator.loss_, score)
            # The estimator's own rule: a stall lowers an "adaptive" rate, and
            # ends training once the rate is down to 1e-6 (at once, for the others).
            if estimator._progress.stopped:
                stopped_early = True
                break
    except KeyboardInterrupt:
        interrupted = True
        epoch = getattr(estimator, "n_iter_", 0)  # a trained epoch not yet scored
    if epoch == 0:
        raise KeyboardInterrupt  # nothing trained: nothing to keep
    if interrupted or best is None:
        best, best_epoch = estimator, epoch
    if X_val is not None:
        if len(scores) < best_epoch:  # interrupted while scoring the last epoch
            scores.append(best.score(X_val, y_val))
        best.validation_scores_ = scores[:best_epoch]
        best.best_validation_score_ = max(best.validation_scores_)
        if early_stopping:
            best.validation_loss_curve_ = list(
                estimator._progress.validation_loss_curve[:best_epoch]
            )
    fit_time = time.perf_counter() - start
    if not (interrupted or diverged):
        # partial_fit leaves the end of training to its caller, and so its warning.
        stuck = _flat_start_message(
            estimator,
            estimator.loss_curve_,
            one_hot(y, estimator.classes_, np.float64),
            np.ones(len(y)),
            ended_by="rule" if stopped_early else "max_iter",
        )
        if stuck is not None:
            warnings.warn(
                f"{type(estimator).__name__}: training ended {stuck}",
                ConvergenceWarning,
                stacklevel=2,
            )
    model = make_pipeline(*steps, scaler, best)
    return TrainingResult(
        model, epoch, best_epoch, interrupted, stopped_early, fit_time, diverged
    )


def _check_hold_out(validation_fraction, early_stopping):
    if not 0 <= validation_fraction < 1:
        raise CommandError(
            f"--validation-fraction must be in [0, 1); got {validation_fraction}."
        )
    if early_stopping and validation_fraction == 0:
        raise CommandError(
            "--early-stopping needs a validation set: give --validation-fraction "
            "a value in (0, 1)."
        )


def _split(X, y, validation_fraction, rng):
    seed = rng.randint(np.iinfo(np.int32).max)
    try:
        return train_test_split(
            X, y, test_size=validation_fraction, stratify=y, random_state=seed
        )
    except ValueError:  # a class too rare to stratify
        return train_test_split(X, y, test_size=validation_fraction, random_state=seed)


# ---------------------------------------------------------------------------------
# Commands


def demo(
    random_state=0,
    out=sys.stdout,
    *,
    mnist=None,
    max_samples=None,
    max_iter=None,
    progress=None,
):
    """Train both estimators and print a table of test accuracy and fit time.

    Parameters
    ----------
    random_state : int, default=0
        Seeds the train/test split (digits) and the estimators.
    out : file-like, default=sys.stdout
        Where the table is written.
    mnist : str or path-like, default=None
        Directory of the MNIST IDX files: train on the MNIST training set and score
        on its test set, epoch by epoch with progress to ``progress``
        (``max_iter``, default 10, epochs per estimator). None uses ``load_digits``.
    max_samples : int, default=None
        Use only the first ``max_samples`` training and test samples.
    max_iter : int, default=None
        Epochs per estimator; None keeps the estimators' defaults on the digits.
    progress : file-like, default=None
        Where the per-epoch progress of MNIST training goes (None: nowhere).

    Returns
    -------
    list of dict
        One row per estimator: ``name``, ``accuracy``, ``fit_time``.

    Raises
    ------
    CommandError
        If ``max_iter``, ``max_samples`` or ``random_state`` is invalid, before any
        data are read.
    """
    params = {"random_state": random_state}
    if mnist is not None and max_iter is None:
        max_iter = DEMO_MNIST_MAX_ITER
    if max_iter is not None:
        if max_iter < 1:
            raise CommandError(f"--max-iter must be at least 1; got {max_iter}.")
        params["max_iter"] = max_iter
    estimators = (SigmoidMLPClassifier(**params), OneVsRestLogistic(**params))
    for estimator in estimators:
        _check_params(estimator)
    data = load_data(mnist, max_samples, random_state=random_state)
    print(data.description, file=out)
    if mnist is not None:
        print(
            f"each estimator: at most {max_iter} epochs of partial_fit on all the "
            "training images, stopping as fit does when the training loss stalls",
            file=out,
        )
    print(f"{'estimator':<24}{'test accuracy':>15}{'fit time (s)':>15}", file=out)
    rows = []
    for estimator in estimators:
        name = type(estimator).__name__
        if mnist is None:
            model = make_pipeline(MinMaxScaler(), estimator)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(data.X_train, data.y_train)
            fit_time = time.perf_counter() - start
        else:
            result = train_epochs(
                estimator,
                data.X_train,
                data.y_train,
                validation_fraction=0,
                random_state=random_state,
                report=EpochReporter(max_iter, progress, f"{name}: "),
            )
            if result.interrupted and progress is not None:
                print(
                    f"{name}: training interrupted after {result.epochs} epochs",
                    file=progress,
                )
            model, fit_time = result.model, result.fit_time
        row = {
            "name": name,
            "accuracy": model.score(data.X_test, data.y_test),
            "fit_time": fit_time,
        }
        rows.append(row)
        print(
            f"{row['name']:<24}{row['accuracy']:>15.4f}{row['fit_time']:>15.2f}",
            file=out,
        )
    return rows


def _run_demo(args, out, err):
    demo(
        random_state=args.random_state,
        out=out,
        mnist=args.mnist,
        max_samples=args.max_samples,
        max_iter=args.max_iter,
        progress=None if args.quiet else err,
    )
    return 0


def make_estimator(args):
    """The estimator ``--estimator`` names, with the hyperparameters given."""
    cls = ESTIMATORS[args.estimator]
    accepted = cls().get_params()
    params = {"random_state": args.random_state}
    for name in HYPERPARAMETERS:
        value = getattr(args, name)
        if value is None:
            continue
        if name not in accepted:
            option = "--" + name.replace("_", "-")
            raise CommandError(
                f"{option} does not apply to --estimator {args.estimator}."
            )
        params[name] = value
    if params.get("solver") in GRADIENT_DESCENT.values():
        params["solver"] = GRADIENT_DESCENT[args.estimator]
    if params.get("batch_size") == "full":
        params["batch_size"] = None
    return cls(**params)


def _check_params(estimator):
    """Check the parameters of ``estimator`` as its ``fit`` would, without data.

    Raises
    ------
    CommandError
        With the estimator's message, if a parameter is invalid.
    """
    try:
        validate_params(estimator, estimator._parameter_constraints)
    except (TypeError, ValueError) as exc:
        raise CommandError(_one_line(exc)) from exc


def _check_save_path(path):
    """Check that ``train --save`` can write a file at ``path``."""
    path = Path(path)
    if path.is_dir():
        raise CommandError(
            f"cannot save to {path}: it is a directory; --save takes the path of a "
            "file."
        )
    directory = path.resolve().parent
    if not directory.is_dir():
        raise CommandError(f"cannot save to {path}: no directory {directory}.")
    _check_writable(directory, f"cannot save to {path}")


def _check_writable(directory, failure):
    """Check that a file can be created in ``directory``, by creating one.

    Permissions alone do not tell (a read-only file system, or a user who may write
    anywhere but a special file system): the file is created and removed at once.
    """
    try:
        descriptor, probe = tempfile.mkstemp(dir=directory, prefix=".sknn-sigmoid-")
    except OSError as exc:
        raise CommandError(f"{failure}: {exc.strerror or exc} ({directory}).") from exc
    os.close(descriptor)
    os.unlink(probe)


def _describe(estimator):
    """The class and the parameters that differ from the defaults, in one line."""
    defaults = type(estimator)().get_params()
    changed = {
        name: value
        for name, value in estimator.get_params().items()
        if value != defaults[name]
    }
    args = ", ".join(f"{name}={value!r}" for name, value in changed.items())
    return f"{type(estimator).__name__}({args})"


def _run_train(args, out, err):
    estimator = make_estimator(args)
    # Check what can be checked before the data are read and the model trained.
    _check_hold_out(args.validation_fraction, args.early_stopping)
    if args.early_stopping and estimator.solver == "lbfgs":
        raise CommandError(
            "--early-stopping does not apply to --solver lbfgs, which trains in one "
            "call on all the training data."
        )
    epochs = {
        "max-iter": estimator.max_iter,
        "n-iter-no-change": estimator.n_iter_no_change,
    }
    for option, value in epochs.items():
        if value < 1:
            raise CommandError(f"--{option} must be at least 1; got {value}.")
    _check_params(estimator)
    if args.save is not None:
        _check_save_path(args.save)
    data = _data_from_args(args)
    print(f"data: {data.description}", file=out)
    first = "Deskewer + " if args.deskew else ""
    print(f"estimator: {first}MinMaxScaler + {_describe(estimator)}", file=out)
    notes = [] if args.quiet else [err]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if estimator.solver == "lbfgs":
            for stream in notes:
                print(
                    "solver lbfgs: one call to fit on all the training data; no "
                    "per-epoch progress and no validation hold-out",
                    file=stream,
                    flush=True,
                )
            steps = [Deskewer()] if args.deskew else []
            model = make_pipeline(*steps, MinMaxScaler(), estimator)
            start = time.perf_counter()
            model.fit(data.X_train, data.y_train)
            fit_time = time.perf_counter() - start
            print(f"iterations: {model[-1].n_iter_}", file=out)
        else:
            max_epochs = estimator.max_iter
            result = train_epochs(
                estimator,
                data.X_train,
                data.y_train,
                validation_fraction=args.validation_fraction,
                early_stopping=args.early_stopping,
                random_state=args.random_state,
                report=EpochReporter(max_epochs, None if args.quiet else err),
                deskew=args.deskew,
            )
            model, fit_time = result.model, result.fit_time
            _print_stop(result, max_epochs, out, err)
    _print_warnings(caught, err)
    accuracy = model.score(data.X_test, data.y_test)
    print(f"test accuracy: {accuracy:.4f}", file=out)
    print(f"fit time: {fit_time:.2f} s", file=out)
    if args.save is not None:
        _save(model, args.save)
        print(f"saved to {args.save}", file=out)
    return 0


def _print_stop(result, max_epochs, out, err):
    if result.interrupted:
        print(
            f"training interrupted after {result.epochs} epochs; keeping the model "
            f"of epoch {result.kept_epoch}",
            file=err,
        )
        print(f"epochs: {result.epochs} (interrupted)", file=out)
        return
    if result.diverged:
        why = f"divergence in epoch {result.epochs + 1}"
    elif result.stopped_early:
        why = "no improvement"
    else:
        why = f"--max-iter {max_epochs}"
    line = f"epochs: {result.epochs} (stopped by {why})"
    if result.kept_epoch != result.epochs:
        line += f"; keeping the model of epoch {result.kept_epoch}"
    scores = getattr(result.model[-1], "validation_scores_", None)
    if scores:
        line += f", validation accuracy {scores[-1]:.4f}"
    print(line, file=out)


def _print_warnings(caught, err):
    seen = set()
    for warning in caught:
        if not issubclass(warning.category, UserWarning):
            continue
        message = " ".join(str(warning.message).split())
        if message not in seen:
            seen.add(message)
            print(f"{PROG}: warning: {message}", file=err)


def _save(model, path):
    import joblib

    # Write a temporary file first, so that an interrupted or failed write leaves no
    # half-written model behind (nor destroys an older one).
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        joblib.dump(model, partial)
        os.replace(partial, path)
    except OSError as exc:
        raise CommandError(f"cannot save to {path}: {exc.strerror or exc}.") from exc
    finally:
        partial.unlink(missing_ok=True)


def load_model(path):
    """Load a model saved by ``train --save``; CommandError if that fails."""
    import joblib

    path = Path(path)
    if not path.is_file():
        raise CommandError(f"model file not found: {path}")
    try:
        model = joblib.load(path)
    except Exception as exc:  # pickle raises many kinds of errors
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise CommandError(
            f"cannot read model {path}: not a model saved by joblib ({detail})"
        ) from exc
    if not hasattr(model, "predict"):
        raise CommandError(
            f"{path} does not hold a model: found a {type(model).__name__}."
        )
    return model


def _run_evaluate(args, out, err):
    model = load_model(args.model)
    data = _data_from_args(args, train=False)
    print(f"model: {args.model}", file=out)
    print(f"data: {data.description}", file=out)
    y_pred = _predict(model, args.model, data)
    accuracy = float(np.mean(y_pred == data.y_test))
    print(f"test accuracy: {accuracy:.4f}", file=out)
    if args.report:
        from sklearn.metrics import classification_report

        print(classification_report(data.y_test, y_pred, digits=4), file=out)
    return 0


def _predict(model, path, data):
    try:
        y_pred = model.predict(data.X_test)
    except ValueError as exc:
        raise CommandError(
            f"the model {path} does not fit the data ({_one_line(exc)})"
        ) from exc
    if np.ndim(y_pred) != 1:
        raise CommandError(
            f"the model {path} was trained on a multilabel indicator matrix; the "
            "command line works with models of class labels."
        )
    classes = getattr(model, "classes_", None)
    labels = np.unique(data.y_test).tolist()
    if classes is not None and not set(np.asarray(classes).tolist()) & set(labels):
        raise CommandError(
            f"the model {path} does not fit the data: it predicts the classes "
            f"{_shorten(np.asarray(classes).tolist())}, none of which is a label of "
            f"the test data ({_shorten(labels)})."
        )
    return y_pred


def _shorten(values, most=10):
    if len(values) <= most:
        return repr(values)
    return repr(values[:most])[:-1] + f", ... ({len(values)} in all)]"


def _run_plot(args, out, err):
    try:
        import matplotlib
    except ImportError as exc:
        raise CommandError(
            'plotting needs matplotlib: pip install "sknn_sigmoid[plot]"'
        ) from exc
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .inspection import (
        ActivationsDisplay,
        LossCurveDisplay,
        WeightImagesDisplay,
        _network,
    )

    out_dir = Path(args.out)
    _check_out_dir(out_dir)
    if args.index < 0:
        raise CommandError(f"--index must be at least 0; got {args.index}.")
    model = load_model(args.model)
    data = _data_from_args(args, train=False)
    if args.index >= len(data.X_test):
        raise CommandError(
            f"--index must be in [0, {len(data.X_test)}); got {args.index}."
        )
    _predict(model, args.model, data)  # check that model and data fit together
    try:
        _network(model)  # one the displays can draw, before making --out
    except TypeError as exc:
        raise CommandError(f"cannot plot {args.model}: {_one_line(exc)}") from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(args.model).stem
    x = data.X_test[args.index]
    displays = {
        "weights": lambda: WeightImagesDisplay.from_estimator(
            model, max_images=args.max_images
        ),
        "loss_curve": lambda: LossCurveDisplay.from_estimator(model),
        "activations": lambda: ActivationsDisplay.from_estimator(model, x),
    }
    for name, draw in displays.items():
        figure = draw().figure_
        path = out_dir / f"{stem}_{name}.png"
        try:
            figure.savefig(path, dpi=100)
        finally:
            plt.close(figure)
        print(path, file=out)
    return 0


def _check_out_dir(path):
    """Check that ``plot --out`` names a directory, or one that can be created."""
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is None:
        return
    if existing.is_dir():
        _check_writable(existing, f"--out cannot be written to: {path}")
        return
    what = "a file" if existing.is_file() else "not a directory"
    where = f"{path}, which is" if existing == path else f"{path}, inside {existing},"
    raise CommandError(
        f"--out must be a directory (created if missing); got {where} {what}."
    )


# ---------------------------------------------------------------------------------
# Argument parsing


def _layer_sizes(text):
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 100,30; got {text!r}"
        ) from None


def _batch_size(text):
    if text in ("auto", "full"):
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer, 'auto' or 'full'; got {text!r}"
        ) from None


def _add_data_options(parser, seed_option=None):
    """Add ``--digits``, ``--mnist`` and ``--max-samples`` to ``parser``.

    The digits are split with ``random_state=0``, or with the value of the option
    ``seed_option`` when it is given.
    """
    seed = "0)" if seed_option is None else f"N), N being {seed_option}"
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--digits",
        dest="mnist",
        action="store_const",
        const=None,
        help="scikit-learn's load_digits (the default), split by "
        f"train_test_split(test_size=0.25, stratify=y, random_state={seed}",
    )
    group.add_argument(
        "--mnist",
        metavar="DIR",
        help="MNIST: the IDX files (optionally .gz) in DIR; training and test sets",
    )
    parser.add_argument(
        "--max-samples",
        type=int,
        metavar="N",
        help="use only the first N training and the first N test samples",
    )


def _add_quiet(parser):
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print no per-epoch progress"
    )


def _int(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None


def _natural(text):
    """An argparse type: an int >= 0."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _positive(text):
    """An argparse type: an int >= 1."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def build_parser():
    """The argument parser of the command line."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Sigmoid neural networks as scikit-learn estimators.",
        epilog="Saved models are joblib pickles: load only files you trust.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo_parser = commands.add_parser(
        "demo",
        help="train both estimators on the bundled digits (or MNIST) and compare them",
    )
    demo_parser.add_argument(
        "--random-state",
        type=_natural,
        default=0,
        metavar="N",
        help="seeds the estimators and the digits' train/test split (default: 0)",
    )
    demo_parser.add_argument(
        "--max-iter",
        type=int,
        metavar="N",
        help=f"epochs per estimator (MNIST default: {DEMO_MNIST_MAX_ITER})",
    )
    _add_data_options(demo_parser, seed_option="--random-state")
    _add_quiet(demo_parser)

    train = commands.add_parser(
        "train",
        help="train one estimator, print its test accuracy, optionally save it",
        description="Train MinMaxScaler + one estimator (after a Deskewer with "
        "--deskew). Options left out keep the estimator's defaults.",
    )
    _add_data_options(train)
    train.add_argument(
        "--deskew",
        action="store_true",
        help="straighten each image first (Deskewer): the saved model deskews the "
        "images it is given, too",
    )
    train.add_argument(
        "--estimator",
        choices=sorted(ESTIMATORS),
        default="mlp",
        help="mlp: SigmoidMLPClassifier (default); logistic: OneVsRestLogistic",
    )
    hyper = train.add_argument_group("hyperparameters")
    hyper.add_argument(
        "--hidden-layer-sizes",
        type=_layer_sizes,
        metavar="N[,N...]",
        help="units of each hidden layer, e.g. 100,30 (mlp only)",
    )
    hyper.add_argument(
        "--loss", choices=["squared_error", "log_loss"], help="(mlp only)"
    )
    hyper.add_argument(
        "--solver",
        choices=["adam", "sgd", "gd", "lbfgs"],
        help="sgd and gd both mean gradient descent with momentum",
    )
    hyper.add_argument(
        "--learning-rate",
        choices=["constant", "invscaling", "adaptive"],
        help="step size schedule of sgd and adam (mlp only)",
    )
    hyper.add_argument("--learning-rate-init", type=float, metavar="ETA")
    hyper.add_argument(
        "--batch-size",
        type=_batch_size,
        metavar="{N,auto,full}",
        help="samples per step; full: full-batch gradient descent",
    )
    hyper.add_argument("--alpha", type=float, help="L2 penalty")
    hyper.add_argument("--momentum", type=float)
    hyper.add_argument(
        "--max-iter", type=int, metavar="N", help="most epochs (lbfgs: iterations)"
    )
    hyper.add_argument("--tol", type=float, help="the least change that improves")
    hyper.add_argument(
        "--n-iter-no-change",
        type=int,
        metavar="N",
        help="more than N epochs in a row without an improvement of --tol lower an "
        "adaptive learning rate (training stops once it is down to 1e-6), or stop "
        "training",
    )
    hyper.add_argument(
        "--random-state",
        type=_natural,
        default=0,
        metavar="N",
        help="seeds the weights, the validation split and the shuffling (default: 0)",
    )
    hyper.add_argument(
        "--validation-fraction",
        type=float,
        default=0.1,
        metavar="F",
        help="share of the training data held out to score every epoch "
        "(default: 0.1; 0: none)",
    )
    hyper.add_argument(
        "--early-stopping",
        action="store_true",
        help="stop on the validation accuracy instead of the training loss, as "
        "early_stopping=True does, and keep the model of its best epoch",
    )
    train.add_argument(
        "--save", metavar="PATH", help="write the fitted Pipeline with joblib"
    )
    _add_quiet(train)

    evaluate = commands.add_parser(
        "evaluate", help="print the test accuracy of a saved model"
    )
    evaluate.add_argument("model", metavar="PATH", help="model saved by train --save")
    _add_data_options(evaluate)
    evaluate.add_argument(
        "--report", action="store_true", help="print a per-class report"
    )

    plot = commands.add_parser(
        "plot",
        help="draw weight images, loss curve and activations of a saved model",
        description='Write PNG files; needs matplotlib (pip install "sknn_sigmoid'
        '[plot]").',
    )
    plot.add_argument("model", metavar="PATH", help="model saved by train --save")
    _add_data_options(plot)
    plot.add_argument(
        "--out", default=".", metavar="DIR", help="directory of the PNG files"
    )
    plot.add_argument(
        "--index",
        type=int,
        default=0,
        metavar="I",
        help="test image whose activations are drawn (default: 0)",
    )
    plot.add_argument(
        "--max-images",
        type=_positive,
        metavar="N",
        help="draw the weights of at most N units, the first ones (default: every "
        "unit; a picture of 1,200 units takes a minute and is 3,600 pixels wide)",
    )
    return parser


COMMANDS = {
    "demo": _run_demo,
    "train": _run_train,
    "evaluate": _run_evaluate,
    "plot": _run_plot,
}


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; None reads them from ``sys.argv``.

    Returns
    -------
    int
        The process exit status: 0 on success, 1 on an error, 130 when interrupted
        before anything was trained.
    """
    args = build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        return COMMANDS[args.command](args, out, err)
    except BrokenPipeError:
        # The reader went away (``... | head``): nothing more to say to it, and
        # Python's flush of stdout at exit must not fail again.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is no file (in tests, say)
            pass
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=err)
        return 130
    except CommandError as exc:
        message = str(exc)
    except (OSError, ValueError, TypeError) as exc:
        message = _one_line(exc)
    except Exception as exc:  # never a traceback: say what failed, in one line
        message = f"{type(exc).__name__}: {_one_line(exc)}"
    print(f"{PROG}: error: {message}", file=err)
    return 1


def _one_line(exc):
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {os.fspath(exc.filename)}"
    return " ".join(str(exc).split()) or type(exc).__name__
