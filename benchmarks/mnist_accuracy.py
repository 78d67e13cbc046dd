"""Accuracy on MNIST: the best sigmoid / squared-error recipe and the defaults.

Run from the repository root::

    python benchmarks/mnist_accuracy.py --data DIR --save best.joblib

``DIR`` holds the four MNIST IDX files (default: ``../shared/data/mnist`` beside the
repository, or ``SKNN_SIGMOID_MNIST``). Every model is trained on the 60,000 training
images only, as stored (0-255; each of our pipelines starts with ``MinMaxScaler``),
and scored once on the 10,000 test images; early stopping holds out part of the
training set, never the test set. scikit-learn's references are measured in the same
run, so that fit times compare on the same machine at the same moment:

1. the recipe (``make_recipe`` below: ``MinMaxScaler``, ``Deskewer``, ``PCA(50)``
   and ``SigmoidMLPClassifier(**RECIPE)``) against ``MLPClassifier((100, 100),
   solver="adam", max_iter=400)`` on the pixels divided by 255 (the usual scaling
   for it: after ``MinMaxScaler``, a few test pixels that are rare in the training
   set reach 24, and it scores 0.4 points less): at least 98.5% test accuracy in at
   most 3 times its fit time;
2. ``SigmoidMLPClassifier()`` with defaults against ``MLPClassifier()``: at least
   97.5% in no more time;
3. ``OneVsRestLogistic()`` against ``LogisticRegression()``: within 0.5 points in at
   most half the time.

Each comparison is fitted ``--repeats`` times (default 3), ours and theirs taking
turns; the fit times are the medians, the ratio is the ratio of the medians, and
every time is kept in the JSON (``runs``). The fits are deterministic, so the
accuracies do not change from repeat to repeat.

The fitted recipe is saved with joblib (``--save``) and takes raw pixels. With
``--seeds N`` the recipe is also trained with ``random_state`` 0 to N-1, and the
spread of its test accuracy is reported (nothing is chosen from it).
"""

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier
from sknn_sigmoid.datasets import load_mnist
from sknn_sigmoid.preprocessing import Deskewer

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "mnist"

# The documented best recipe: sigmoid units everywhere, squared-error loss, after
# MinMaxScaler, deskewing and a 50-component PCA. Chosen on a split of the training
# set (fit on the first 50,000 images, scored on the last 10,000), never on the test
# set: over three seeds there, 98.54% against 98.51% for batch 128 at twice the
# rate, which also starts by pushing every output to 0 (a loss near 0.5 after epoch
# 1, the squared error's trap) and, with 2,000 hidden units, once stayed there.
# Deskewing each image first (Deskewer) then took seeds 0-2 from 98.57%, 98.49% and
# 98.45% to 98.83% each, the rest of the recipe unchanged. (Those three, mean
# 98.50%, are the recipe without deskewing re-run on the code of that day; the
# 98.54% above is the mean measured when batch 64 was chosen, on earlier code.)
# MinMaxScaler comes first, so that the pipeline starts by scaling the pixels as
# stored; deskewing the scaled images scored 98.83%, 98.77% and 98.82% on the split
# (seeds 0-2), against 98.83% each when deskewing the raw pixels first.
PCA_COMPONENTS = 50
RECIPE = dict(
    hidden_layer_sizes=(1200,),
    loss="squared_error",
    solver="adam",
    learning_rate_init=1.5e-3,
    learning_rate="adaptive",
    beta_2=0.99,
    batch_size=64,
    alpha=1e-5,
    tol=5e-4,
    n_iter_no_change=2,
    max_iter=60,
    random_state=0,
)


def make_recipe(**params):
    """The recipe's pipeline: raw pixels in, digits out."""
    return make_pipeline(
        MinMaxScaler(),
        Deskewer(),
        PCA(PCA_COMPONENTS, random_state=0),
        SigmoidMLPClassifier(**{**RECIPE, **params}),
    )


def divide_by_255(X):
    """Pixels 0-255 to [0, 1]."""
    return X / 255.0


def fit_and_score(model, X, y, X_test, y_test):
    """Fit time in seconds and test accuracy."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
    return seconds, float(model.score(X_test, y_test))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKNN_SIGMOID_MNIST"))
    parser.add_argument("--save", help="where to write the fitted recipe (joblib)")
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "accuracy.json"))
    parser.add_argument(
        "--seeds", type=int, default=0, help="also train the recipe with N seeds"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="fits of each model, interleaved"
    )
    args = parser.parse_args()
    if args.repeats < 1 or args.seeds < 0:
        parser.error("--repeats must be at least 1 and --seeds at least 0")
    X, y = load_mnist(args.data or DEFAULT_DATA, subset="train", return_X_y=True)
    X_test, y_test = load_mnist(
        args.data or DEFAULT_DATA, subset="test", return_X_y=True
    )

    comparisons = [
        (
            "recipe",
            make_recipe(),
            make_pipeline(
                FunctionTransformer(divide_by_255),
                MLPClassifier((100, 100), solver="adam", max_iter=400, random_state=0),
            ),
            "accuracy >= 0.985, time ratio <= 3",
        ),
        (
            "defaults",
            make_pipeline(MinMaxScaler(), SigmoidMLPClassifier(random_state=0)),
            make_pipeline(MinMaxScaler(), MLPClassifier(random_state=0)),
            "accuracy >= 0.975, time ratio <= 1",
        ),
        (
            "logistic",
            make_pipeline(MinMaxScaler(), OneVsRestLogistic(random_state=0)),
            make_pipeline(MinMaxScaler(), LogisticRegression()),
            "accuracy >= reference - 0.005, time ratio <= 0.5",
        ),
    ]
    results = {}
    print(f"{'comparison':<10}{'ours acc':>10}{'ours s':>9}{'ref acc':>9}{'ref s':>8}")
    for name, ours, theirs, target in comparisons:
        runs = {"ours": [], "reference": []}
        for repeat in range(args.repeats):
            fitted = clone(ours) if repeat else ours  # the first one is saved
            ours_s, ours_acc = fit_and_score(fitted, X, y, X_test, y_test)
            ref_s, ref_acc = fit_and_score(clone(theirs), X, y, X_test, y_test)
            runs["ours"].append(ours_s)
            runs["reference"].append(ref_s)
        ours_s, ref_s = np.median(runs["ours"]), np.median(runs["reference"])
        results[name] = {
            "ours": {"accuracy": ours_acc, "fit_s": ours_s, "n_iter": ours[-1].n_iter_},
            "reference": {"accuracy": ref_acc, "fit_s": ref_s},
            "time_ratio": ours_s / ref_s,
            "runs": runs,
            "target": target,
        }
        print(
            f"{name:<10}{ours_acc:>10.4f}{ours_s:>9.1f}{ref_acc:>9.4f}{ref_s:>8.1f}"
            f"   time ratio {ours_s / ref_s:.2f}  ({target})"
        )
        if name == "recipe" and args.save:
            joblib.dump(ours, args.save)
            print(f"saved the recipe to {args.save}")
    results["recipe"]["parameters"] = {
        "steps": [name for name, _ in make_recipe().steps],
        "pca_components": PCA_COMPONENTS,
        **{k: list(v) if isinstance(v, tuple) else v for k, v in RECIPE.items()},
    }
    if args.seeds:
        runs = [
            fit_and_score(make_recipe(random_state=seed), X, y, X_test, y_test)
            for seed in range(args.seeds)
        ]
        accuracies = [accuracy for _, accuracy in runs]
        results["recipe_seeds"] = {
            "accuracy": accuracies,
            "fit_s": [seconds for seconds, _ in runs],
            "mean": float(np.mean(accuracies)),
        }
        print(
            f"recipe over seeds 0-{args.seeds - 1}: test accuracy mean "
            f"{np.mean(accuracies):.4f}, min {min(accuracies):.4f}, "
            f"max {max(accuracies):.4f}"
        )
    results["numpy"] = np.__version__
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
