"""Accuracy of the defaults on small data sets, against scikit-learn's MLPClassifier.

Run from the repository root::

    python benchmarks/small_data.py

On each data set below, three pipelines ``make_pipeline(MinMaxScaler(), est)`` are
scored by 5-fold cross-validation (``StratifiedKFold(5, shuffle=True,
random_state=0)``), every estimator with ``random_state=0``:

* ``SigmoidMLPClassifier()``, the defaults (``solver="auto"``);
* ``MLPClassifier()``, scikit-learn's defaults;
* ``MLPClassifier(activation="logistic", max_iter=2000)``, its sigmoid units.

The target on every set: our accuracy at least that of the better of the two
references minus 0.5 points; over all sets, our cross-validation time at most that
of ``MLPClassifier()``. The fits are deterministic, so the accuracies do not change
from repeat to repeat; each cross-validation is run ``--repeats`` times (default 3),
ours and theirs taking turns, and the times are the medians. Every fit runs on one
BLAS thread (``threadpool_limits(1)``), ours and theirs alike: on a few hundred
rows a second thread only waits, and on a machine shared with other work the
threads' waiting made the times swing by 10x and more. The ConvergenceWarnings of
each cross-validation are counted (ours must have none). Results go to
``benchmarks/small_data.json``.
"""

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import threadpoolctl
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_circles,
    make_classification,
    make_moons,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import SigmoidMLPClassifier
from sknn_sigmoid.datasets import load_mnist

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MNIST = REPO.parent / "shared" / "data" / "mnist"
MARGIN = 0.005  # half a point of accuracy


def data_sets(mnist):
    """(name, description, X, y) of every set, fewest values first (MNIST's if the
    directory ``mnist`` holds its files)."""
    yield "iris", "load_iris (150 x 4, 3 classes)", *load_iris(return_X_y=True)
    yield "wine", "load_wine (178 x 13, 3 classes)", *load_wine(return_X_y=True)
    yield (
        "classification_300",
        "make_classification(300, 8 features: 4 informative, 2 redundant; 2 classes)",
        *make_classification(300, 8, n_informative=4, random_state=0),
    )
    yield (
        "circles",
        "make_circles(500, noise=0.1, factor=0.5)",
        *make_circles(500, noise=0.1, factor=0.5, random_state=0),
    )
    yield (
        "moons",
        "make_moons(500, noise=0.3)",
        *make_moons(500, noise=0.3, random_state=0),
    )
    yield (
        "breast_cancer",
        "load_breast_cancer (569 x 30, 2 classes)",
        *load_breast_cancer(return_X_y=True),
    )
    yield (
        "classification_1000",
        "make_classification(1000, 20 features: 8 informative, 4 redundant; 4 classes)",
        *make_classification(
            1000, 20, n_informative=8, n_redundant=4, n_classes=4, random_state=0
        ),
    )
    yield "digits", "load_digits (1797 x 64, 10 classes)", *load_digits(return_X_y=True)
    yield (
        "classification_4000",
        "make_classification(4000, 30 features: 10 informative, 5 redundant; "
        "5 classes of 2 clusters)",
        *make_classification(
            4000,
            30,
            n_informative=10,
            n_redundant=5,
            n_classes=5,
            n_clusters_per_class=2,
            random_state=1,
        ),
    )
    if mnist is None:
        print("MNIST not found: its 4,000 images left out (--data DIR)")
        return
    X, y = load_mnist(mnist, subset="train", return_X_y=True)
    yield (
        "mnist_4000",
        "MNIST's first 4,000 training images (784 pixels, 10 classes)",
        X[:4000].astype(np.float64),
        y[:4000],
    )


MODELS = {
    "ours": SigmoidMLPClassifier(random_state=0),
    "mlp": MLPClassifier(random_state=0),
    "mlp_logistic": MLPClassifier(activation="logistic", max_iter=2000, random_state=0),
}
CV = StratifiedKFold(5, shuffle=True, random_state=0)


def cross_validate(est, X, y):
    """Mean 5-fold accuracy, seconds, ConvergenceWarnings and, for ours, the solver
    each fold used."""
    model = make_pipeline(MinMaxScaler(), clone(est))
    solvers = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        scores = []
        for train, test in CV.split(X, y):
            model.fit(X[train], y[train])
            scores.append(model.score(X[test], y[test]))
            solvers.append(getattr(model[-1], "solver_", model[-1].solver))
        seconds = time.perf_counter() - start
    n_warnings = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    return float(np.mean(scores)), seconds, n_warnings, sorted(set(solvers))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "small_data.json"))
    parser.add_argument(
        "--repeats", type=int, default=3, help="cross-validations of each model"
    )
    parser.add_argument(
        "--data",
        default=os.environ.get("SKNN_SIGMOID_MNIST"),
        help="directory of MNIST's IDX files",
    )
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    mnist = Path(args.data) if args.data else DEFAULT_MNIST
    if not (mnist / "train-images-idx3-ubyte.gz").exists():
        mnist = None
    rows = []
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        for name, description, X, y in data_sets(mnist):
            runs = {label: [] for label in MODELS}
            result = {}
            for _ in range(args.repeats):
                for label, est in MODELS.items():  # ours, theirs, ours, theirs, ...
                    accuracy, seconds, n_warnings, solvers = cross_validate(est, X, y)
                    runs[label].append(seconds)
                    result[label] = {
                        "accuracy": accuracy,
                        "convergence_warnings": n_warnings,
                        "solver": solvers,
                    }
            for label in MODELS:
                result[label]["seconds"] = float(np.median(runs[label]))
                result[label]["runs"] = runs[label]
            target = max(result["mlp"]["accuracy"], result["mlp_logistic"]["accuracy"])
            target -= MARGIN
            row = {
                "name": name,
                "data": description,
                "n_samples": int(X.shape[0]),
                "n_features": int(X.shape[1]),
                **result,
                "target": target,
                "met": result["ours"]["accuracy"] >= target,
            }
            rows.append(row)
            print(
                f"{name:20s} ours {row['ours']['accuracy']:.3f} "
                f"({'/'.join(row['ours']['solver'])}, {row['ours']['seconds']:.1f} s)"
                f"  mlp {row['mlp']['accuracy']:.3f} ({row['mlp']['seconds']:.1f} s)"
                f"  mlp_logistic {row['mlp_logistic']['accuracy']:.3f} "
                f"({row['mlp_logistic']['seconds']:.1f} s)  target {target:.3f} "
                f"{'met' if row['met'] else 'NOT met'}",
                flush=True,
            )
    totals = {label: sum(r[label]["seconds"] for r in rows) for label in MODELS}
    summary = {
        "all_accuracies_met": all(r["met"] for r in rows),
        "total_seconds": totals,
        "time_ratio_ours_to_mlp": totals["ours"] / totals["mlp"],
        "time_met": totals["ours"] <= totals["mlp"],
        "our_convergence_warnings": sum(
            r["ours"]["convergence_warnings"] for r in rows
        ),
    }
    print()
    print(
        "| data | n | ours | solver | MLPClassifier() | logistic, max_iter=2000 "
        "| target | met | time: ours / mlp / logistic (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['name']} | {r['n_samples']} | {r['ours']['accuracy']:.3f} "
            f"| {'/'.join(r['ours']['solver'])} | {r['mlp']['accuracy']:.3f} "
            f"| {r['mlp_logistic']['accuracy']:.3f} | {r['target']:.3f} "
            f"| {'yes' if r['met'] else '**no**'} | {r['ours']['seconds']:.2f} / "
            f"{r['mlp']['seconds']:.2f} / {r['mlp_logistic']['seconds']:.2f} |"
        )
    print(
        f"\ntotal time: ours {totals['ours']:.1f} s, MLPClassifier() "
        f"{totals['mlp']:.1f} s (ratio {summary['time_ratio_ours_to_mlp']:.2f}), "
        f"logistic {totals['mlp_logistic']:.1f} s; our ConvergenceWarnings: "
        f"{summary['our_convergence_warnings']}"
    )
    environment = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "machine": platform.machine(),
        "repeats": args.repeats,
        "blas_threads": 1,
    }
    Path(args.json).write_text(
        json.dumps(
            {"environment": environment, "summary": summary, "data_sets": rows},
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
