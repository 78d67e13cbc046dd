"""
==========================
The same pictures on MNIST
==========================

The gallery examples train on scikit-learn's small 8×8 digits. This script draws
the same pictures for the lecture's data set, MNIST: 28×28 grey-scale digits,
784 pixels per image.

* ``mnist_one_vs_rest_weights.png``: the weights of the ten one-vs-rest logistic
  models as 28×28 images (green pixels vote for the digit, red ones against).
* ``mnist_hidden_units.png``: the weights into the first hidden units of a
  :class:`~sknn_sigmoid.SigmoidMLPClassifier`: strokes and blobs, with green where
  ink excites the unit and red where it inhibits it. The frame of pixels that are
  never inked stays dark: no gradient reaches those weights, which keep their
  small initial values.
* ``mnist_forward_propagation.png``: one test digit propagated through the network.
* ``mnist_loss_curves.png``: the loss of both models after every epoch.

It is not part of the gallery because it needs the MNIST files. Run it as::

    python examples/mnist_pictures.py [MNIST_DIR] [OUTPUT_DIR]

``MNIST_DIR`` is the directory of the four MNIST IDX files (plain or gzipped); by
default, the directory named by the ``SKNN_SIGMOID_MNIST`` environment variable,
and without it :func:`sknn_sigmoid.datasets.load_mnist` fetches MNIST from
OpenML. ``OUTPUT_DIR`` (default: the current directory) receives the PNG files.
Training is kept short (a few epochs, the network on 10,000 images) so that the
script runs in well under a minute; the pictures are already clear.
"""

import os
import sys
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier
from sknn_sigmoid.datasets import load_mnist
from sknn_sigmoid.inspection import (
    ActivationsDisplay,
    LossCurveDisplay,
    WeightImagesDisplay,
)

N_NETWORK_SAMPLES = 10_000


def main(mnist_dir=None, output_dir="."):
    plt.switch_backend("Agg")  # write files, open no window
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    X_train, y_train = load_mnist(mnist_dir, subset="train", return_X_y=True)
    X_test, y_test = load_mnist(mnist_dir, subset="test", return_X_y=True)
    print(f"MNIST: {len(X_train)} training and {len(X_test)} test images")

    # Pixels are 0..255. MinMaxScaler maps each pixel's range in the training set
    # to [0, 1]; most pixels reach 255 in some image, so for them this is the
    # lecture's division by 255. The short trainings stop before convergence on
    # purpose: silence the warning that says so.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    # Ten logistic models, one per digit, on all 60,000 training images. The L2
    # penalty alpha=1 keeps the weights of pixels that are rarely inked near 0:
    # the pictures show the digits' shapes instead of a few extreme border pixels,
    # for about 1.5 points of test accuracy in these ten epochs (90.2% against
    # 91.7% without the penalty).
    logistic = make_pipeline(MinMaxScaler(), OneVsRestLogistic(alpha=1.0, max_iter=10))
    fit_and_score(
        "one-vs-rest logistic regression", logistic, X_train, y_train, X_test, y_test
    )
    disp = WeightImagesDisplay.from_estimator(logistic)
    disp.figure_.suptitle(
        "One-vs-rest weights on MNIST: green pixels vote for the digit, red against"
    )
    save(disp.figure_, output_dir / "mnist_one_vs_rest_weights.png")

    # A network with 100 sigmoid hidden units, on the first 10,000 images.
    network = make_pipeline(
        MinMaxScaler(),
        SigmoidMLPClassifier(max_iter=10, early_stopping=True, random_state=0),
    )
    n = N_NETWORK_SAMPLES
    fit_and_score(
        "network 784-100-10", network, X_train[:n], y_train[:n], X_test, y_test
    )
    disp = WeightImagesDisplay.from_estimator(network, max_images=50, n_cols=10)
    disp.figure_.suptitle("Weights W[1] into the first 50 of 100 hidden units")
    save(disp.figure_, output_dir / "mnist_hidden_units.png")

    disp = ActivationsDisplay.from_estimator(network, X_test[0])
    disp.figure_.suptitle(f"Forward propagation of a test image of a {y_test[0]}")
    save(disp.figure_, output_dir / "mnist_forward_propagation.png")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    LossCurveDisplay.from_estimator(logistic, ax=axes[0])
    axes[0].set_title("one-vs-rest logistic regression (sum of ten log-losses)")
    LossCurveDisplay.from_estimator(network, ax=axes[1])
    axes[1].set_title("network 784-100-10 (squared error)")
    save(fig, output_dir / "mnist_loss_curves.png")


def fit_and_score(name, model, X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    accuracy = model.score(X_test, y_test)
    print(f"{name}: trained in {seconds:.1f} s, test accuracy {accuracy:.3f}")


def save(figure, path):
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print("wrote", path)


if __name__ == "__main__":
    mnist_dir = (
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SKNN_SIGMOID_MNIST")
    )
    main(mnist_dir, sys.argv[2] if len(sys.argv) > 2 else ".")
