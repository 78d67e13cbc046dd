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
``train`` builds the pipeline and calls its ``fit``: the estimator trains exactly
as it does anywhere else, and with ``verbose=True`` its lines (the epoch, the training
loss, the validation accuracy with ``--early-stopping``, the elapsed time and an
estimate of the time left) go to stderr (``--quiet`` silences them). Training stops
by the estimator's own rule (``--n-iter-no-change``, ``--tol``), after
``--max-iter`` epochs, or when an epoch diverges. ``--early-stopping`` sets
``early_stopping=True`` with ``validation_fraction`` from ``--validation-fraction``
(0.1 by default): the rule then watches the accuracy on that held-out part, and the
model of its best epoch is kept. Ctrl-C ends ``fit``, which keeps the model of the
last completed epoch (with early stopping, the best so far; with "lbfgs", the last
iteration) and warns; ``train`` then scores and saves that model. The solver
"lbfgs" prints no progress.

Errors print one line, ``sknn-sigmoid: error: ...``, to stderr and exit with status
1 (2 for a wrong command line, 130 for Ctrl-C before the first epoch or outside
training). The command line's own options (``--save``, ``--out``, ...) are checked
before any data are read; the estimators' parameters are checked by ``fit``.

Saved models are pickles (joblib): load only files you trust.
"""

import argparse
import contextlib
import io
import math
import os
import re
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
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler

from . import OneVsRestLogistic, SigmoidMLPClassifier, __version__
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

# What fit's warnings say, read to report how training ended (the estimators' own
# words: tests/test_cli.py checks that they still say them).
INTERRUPTED = "training interrupted after"
DIVERGED = "Training diverged in epoch"
# fit's warning that max_iter ended training, when it has nothing more to say: the
# line "epochs: N (stopped by --max-iter N)" says it.
MAX_ITER_ONLY = "has not converged yet. Increase max_iter, or raise"


class _Prefixed:
    """A text stream that writes ``prefix`` at the start of every line."""

    def __init__(self, stream, prefix):
        self.stream, self.prefix, self.at_line_start = stream, prefix, True

    def write(self, text):
        for line in text.splitlines(keepends=True):
            if self.at_line_start:
                self.stream.write(self.prefix)
            self.stream.write(line)
            self.at_line_start = line.endswith("\n")
        return len(text)

    def flush(self):
        self.stream.flush()


def fit_model(model, X, y, progress=None):
    """``model.fit(X, y)``, its ``verbose`` lines written to ``progress``.

    Returns
    -------
    fit_time : float
        Seconds.
    caught : list of warnings.WarningMessage
        Every warning of the fit (none is shown).
    """
    stream = io.StringIO() if progress is None else progress
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with contextlib.redirect_stdout(stream):
            start = time.perf_counter()
            model.fit(X, y)
            fit_time = time.perf_counter() - start
    return fit_time, caught


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


def _check_validation_size(validation_fraction, n_samples):
    """The estimator's rule, in the command line's words: two held-out samples."""
    n_held_out = math.ceil(validation_fraction * n_samples)  # as train_test_split
    if n_held_out < 2:
        raise CommandError(
            f"--early-stopping: the validation set is too small ({n_held_out} "
            f"sample of {n_samples}): raise --validation-fraction or use more samples."
        )


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
        on its test set, printing each epoch to ``progress`` (``max_iter``, default
        10, epochs per estimator). None uses ``load_digits``.
    max_samples : int, default=None
        Use only the first ``max_samples`` training and test samples.
    max_iter : int, default=None
        Epochs per estimator; None keeps the estimators' defaults on the digits.
    progress : file-like, default=None
        Where the per-epoch progress of MNIST training and the warnings of the fits
        (but that they have not converged) go (None: nowhere).

    Returns
    -------
    list of dict
        One row per estimator: ``name``, ``accuracy``, ``fit_time``.

    Raises
    ------
    CommandError
        If ``max_iter`` or ``max_samples`` is invalid, before any data are read.
    """
    params = {"random_state": random_state}
    if mnist is not None and max_iter is None:
        max_iter = DEMO_MNIST_MAX_ITER
    if max_iter is not None:
        if max_iter < 1:
            raise CommandError(f"--max-iter must be at least 1; got {max_iter}.")
        params["max_iter"] = max_iter
    verbose = mnist is not None and progress is not None
    estimators = (
        SigmoidMLPClassifier(verbose=verbose, **params),
        OneVsRestLogistic(verbose=verbose, **params),
    )
    data = load_data(mnist, max_samples, random_state=random_state)
    print(data.description, file=out)
    if mnist is not None:
        print(
            f"each estimator: fit, at most {max_iter} epochs on all the training "
            'images (iterations of L-BFGS where solver="auto" chooses it, up to '
            "5 times as many)",
            file=out,
        )
    print(f"{'estimator':<24}{'test accuracy':>15}{'fit time (s)':>15}", file=out)
    rows = []
    for estimator in estimators:
        name = type(estimator).__name__
        model = make_pipeline(MinMaxScaler(), estimator)
        stream = _Prefixed(progress, f"{name}: ") if verbose else None
        fit_time, caught = fit_model(model, data.X_train, data.y_train, stream)
        if progress is not None:
            _print_warnings(
                [w for w in caught if not issubclass(w.category, ConvergenceWarning)],
                progress,
            )
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
    """The estimator ``--estimator`` names, with the hyperparameters given.

    Its parameters are checked by its ``fit``, as any user's are.
    """
    cls = ESTIMATORS[args.estimator]
    accepted = cls().get_params()
    params = {"random_state": args.random_state}
    given = {name: getattr(args, name) for name in HYPERPARAMETERS}
    if args.early_stopping:
        given.update(early_stopping=True, validation_fraction=args.validation_fraction)
    for name, value in given.items():
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
    # Check what can be checked before the data are read; the estimator checks its
    # own parameters when fit is called.
    _check_hold_out(args.validation_fraction, args.early_stopping)
    estimator = make_estimator(args)
    lbfgs = estimator.solver == "lbfgs"
    if args.early_stopping and lbfgs:
        raise CommandError(
            "--early-stopping does not apply to --solver lbfgs, which trains in one "
            "call on all the training data."
        )
    if args.save is not None:
        _check_save_path(args.save)
    data = _data_from_args(args)
    print(f"data: {data.description}", file=out)
    first = "Deskewer + " if args.deskew else ""
    print(f"estimator: {first}MinMaxScaler + {_describe(estimator)}", file=out)
    if args.early_stopping:
        _check_validation_size(args.validation_fraction, len(data.y_train))
    progress = None if args.quiet else err
    if lbfgs and progress is not None:
        print(
            "solver lbfgs: one call to fit on all the training data; no per-epoch "
            "progress and no validation hold-out",
            file=progress,
            flush=True,
        )
    estimator.set_params(verbose=not lbfgs and progress is not None)
    model = make_pipeline(
        *([Deskewer()] if args.deskew else []), MinMaxScaler(), estimator
    )
    try:
        fit_time, caught = fit_model(model, data.X_train, data.y_train, progress)
    except (ValueError, TypeError) as exc:
        raise CommandError(_naming_the_option(exc)) from exc
    estimator.set_params(verbose=False)  # the saved model trains quietly
    _print_stop(estimator, caught, out)
    _print_warnings(caught, err)
    accuracy = model.score(data.X_test, data.y_test)
    print(f"test accuracy: {accuracy:.4f}", file=out)
    print(f"fit time: {fit_time:.2f} s", file=out)
    if args.save is not None:
        _save(model, args.save)
        print(f"saved to {args.save}", file=out)
    return 0


def _naming_the_option(exc):
    """fit's error in one line, led by the option of the parameter it names."""
    message = _one_line(exc)
    named = re.match(r"The '(\w+)' parameter", message)
    if named and named.group(1) in (*HYPERPARAMETERS, "validation_fraction"):
        return f"--{named.group(1).replace('_', '-')}: {message}"
    return message


def _print_stop(estimator, caught, out):
    """Say how training ended, from the fitted attributes and fit's warnings."""
    messages = [str(warning.message) for warning in caught]
    n_iter = estimator.n_iter_
    interrupted = any(INTERRUPTED in message for message in messages)
    if estimator.solver_ == "lbfgs":
        print(f"iterations: {n_iter}" + " (interrupted)" * interrupted, file=out)
        return
    if interrupted:
        print(f"epochs: {n_iter} (interrupted)", file=out)
        return
    if any(DIVERGED in message for message in messages):
        why = f"divergence in epoch {n_iter + 1}"
    elif n_iter >= estimator.max_iter:
        why = f"--max-iter {estimator.max_iter}"
    else:
        why = "no improvement"
    line = f"epochs: {n_iter} (stopped by {why})"
    scores = estimator.validation_scores_
    if scores:  # early stopping keeps the model of the best epoch
        best = int(np.argmax(scores)) + 1
        if best != n_iter:
            line += f"; keeping the model of epoch {best}"
        line += f", validation accuracy {scores[best - 1]:.4f}"
    print(line, file=out)


def _print_warnings(caught, err):
    seen = set()
    for warning in caught:
        message = " ".join(str(warning.message).split())
        if not issubclass(warning.category, UserWarning) or MAX_ITER_ONLY in message:
            continue
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

    from .inspection import ActivationsDisplay, LossCurveDisplay, WeightImagesDisplay

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
    network = model[-1] if isinstance(model, Pipeline) else model
    if not isinstance(network, tuple(ESTIMATORS.values())):  # before making --out
        raise CommandError(
            f"cannot plot {args.model}: the pictures are of a SigmoidMLPClassifier or "
            "a OneVsRestLogistic, or a Pipeline ending in one; got "
            f"{type(network).__name__}."
        )
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
        help="share of the training data --early-stopping holds out to score "
        "every epoch (default: 0.1)",
    )
    hyper.add_argument(
        "--early-stopping",
        action="store_true",
        help="early_stopping=True: stop on the validation accuracy instead of the "
        "training loss, and keep the model of its best epoch (mlp only)",
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
