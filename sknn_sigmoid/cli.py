"""The ``sknn-sigmoid`` command line (also ``python -m sknn_sigmoid``).

``sknn-sigmoid demo`` trains both estimators on scikit-learn's bundled digits and
prints their test accuracy and fit time.
"""

import argparse
import sys
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from . import OneVsRestLogistic, SigmoidMLPClassifier, __version__


def demo(random_state=0, out=sys.stdout):
    """Train both estimators on ``load_digits`` and print a table of results.

    Parameters
    ----------
    random_state : int, default=0
        Seeds the train/test split and the estimators.
    out : file-like, default=sys.stdout
        Where the table is written.

    Returns
    -------
    list of dict
        One row per estimator: ``name``, ``accuracy``, ``fit_time``.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=random_state
    )
    print(
        f"load_digits: {len(X_train)} training and {len(X_test)} test images "
        f"of {X.shape[1]} pixels",
        file=out,
    )
    print(f"{'estimator':<24}{'test accuracy':>15}{'fit time (s)':>15}", file=out)
    rows = []
    for estimator in (
        SigmoidMLPClassifier(random_state=random_state),
        OneVsRestLogistic(random_state=random_state),
    ):
        model = make_pipeline(MinMaxScaler(), estimator)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        row = {
            "name": type(estimator).__name__,
            "accuracy": model.score(X_test, y_test),
            "fit_time": fit_time,
        }
        rows.append(row)
        print(
            f"{row['name']:<24}{row['accuracy']:>15.4f}{row['fit_time']:>15.2f}",
            file=out,
        )
    return rows


def build_parser():
    """The argument parser of the command line."""
    parser = argparse.ArgumentParser(
        prog="sknn-sigmoid",
        description="Sigmoid neural networks as scikit-learn estimators.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="train both estimators on the bundled digits and compare them"
    )
    demo_parser.add_argument("--random-state", type=int, default=0)
    return parser


def main(argv=None):
    """Run the command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        demo(random_state=args.random_state)
    return 0
