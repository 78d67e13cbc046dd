"""The learning slowdown of squared error with sigmoid units, on MNIST.

Run from the repository root (needs the ``plot`` extra)::

    python benchmarks/learning_slowdown.py --data DIR

Trains the same 784-100-10 sigmoid network with the squared error three ways, epoch
by epoch, and draws the loss and the held-out accuracy of each epoch:

1. the lecture's set-up: weights drawn from N(0, 1) (``init="normal"``)
   and plain mini-batch gradient descent (``solver="sgd"``, ``momentum=0``);
2. the same gradient descent from Glorot's uniform initialisation (the default);
3. Glorot's initialisation and Adam: the optimizer of the recipe in
   ``mnist_accuracy.py``.

With N(0, 1) weights and 784 inputs in [0, 1], a hidden unit's z has a standard
deviation of about 9: most hidden units start saturated, their slope a(1 - a) is
near 0, and the errors that reach them are tiny. Glorot's scale keeps z of order
1. Adam scales each step by a running estimate of the gradient's size, so the small
gradients of the squared error still make steps of the usual length.

Writes ``docs/_static/learning_slowdown_mnist.png`` and the curves as JSON
(``benchmarks/learning_slowdown.json``). Every model holds out 10% of the training
images (``early_stopping=True`` with a patience longer than the run, so every epoch
runs); the test images are not used.
"""

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sknn_sigmoid import SigmoidMLPClassifier
from sknn_sigmoid.datasets import load_mnist

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "mnist"

COMMON = dict(
    hidden_layer_sizes=(100,),
    loss="squared_error",
    alpha=1e-4,
    learning_rate="constant",
    batch_size=32,
    early_stopping=True,
    validation_fraction=0.1,
    random_state=0,
)
RUNS = {
    "N(0, 1) init, gradient descent (the lecture)": dict(
        init="normal", solver="sgd", momentum=0.0, learning_rate_init=3.0
    ),
    "Glorot init, gradient descent": dict(
        init="glorot_uniform", solver="sgd", momentum=0.0, learning_rate_init=3.0
    ),
    "Glorot init, Adam": dict(
        init="glorot_uniform", solver="adam", learning_rate_init=1e-3
    ),
}


def saturated_share(model, X):
    """Share of hidden activations within 0.01 of 0 or 1."""
    hidden = model.forward(X)[1]
    return float(np.mean((hidden < 0.01) | (hidden > 0.99)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKNN_SIGMOID_MNIST"))
    parser.add_argument("--epochs", type=int, default=12)
    figure = REPO / "docs" / "_static" / "learning_slowdown_mnist.png"
    parser.add_argument("--figure", default=str(figure))
    parser.add_argument(
        "--json", default=str(REPO / "benchmarks" / "learning_slowdown.json")
    )
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = load_mnist(args.data or DEFAULT_DATA, subset="train", return_X_y=True)
    X /= np.float32(255)
    results = {}
    for name, params in RUNS.items():
        # One epoch alone, to see how saturated the hidden units are after it; then
        # the whole run from the same start (its first epoch is that same epoch, bit
        # for bit: same weights, same held-out rows, same batches).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            first = SigmoidMLPClassifier(**COMMON, **params, max_iter=1)
            saturated_after_one = saturated_share(first.fit(X, y), X[:5000])
            model = SigmoidMLPClassifier(
                **COMMON, **params, max_iter=args.epochs, n_iter_no_change=args.epochs
            )
            start = time.perf_counter()
            model.fit(X, y)
            seconds = time.perf_counter() - start
        assert model.validation_scores_[0] == first.validation_scores_[0]
        results[name] = {
            "parameters": {**COMMON, **params},
            "loss_curve": [float(v) for v in model.loss_curve_],
            "validation_loss_curve": [float(v) for v in model.validation_loss_curve_],
            "validation_scores": [float(v) for v in model.validation_scores_],
            "saturated_hidden_share_after_epoch_1": saturated_after_one,
            "fit_s": seconds,
        }
        print(
            f"{name:<48} saturated after epoch 1: {saturated_after_one:6.1%}   "
            "held-out accuracy by epoch: "
            + " ".join(f"{s:.3f}" for s in model.validation_scores_)
        )

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    for name, result in results.items():
        epochs = np.arange(1, len(result["loss_curve"]) + 1)
        ax_loss.plot(epochs, result["loss_curve"], marker="o", ms=3, label=name)
        ax_acc.plot(epochs, result["validation_scores"], marker="o", ms=3, label=name)
    ax_loss.set(
        xlabel="epoch",
        ylabel="training loss J (squared error)",
        yscale="log",
        title="Loss",
    )
    ax_acc.set(
        xlabel="epoch",
        ylabel="accuracy on the 6,000 held-out training images",
        title="Held-out accuracy",
    )
    ax_acc.legend(loc="lower right", fontsize="small")
    fig.suptitle("784-100-10 sigmoid network, squared error, MNIST (batch 32)")
    Path(args.figure).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.figure, dpi=100)
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"figure written to {args.figure}; curves to {args.json}")


if __name__ == "__main__":
    main()
