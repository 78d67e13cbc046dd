"""Fixtures shared by the test modules."""

import os
import warnings
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning

from sknn_sigmoid.datasets import _candidate_names

# Tests that read the real MNIST files (from the ``shared`` folder beside the
# repository, or from SKNN_SIGMOID_MNIST) are skipped where the files are not. With
# SKNN_SIGMOID_REQUIRE_MNIST=1, as continuous integration sets it, their absence is an
# error instead, so that those tests cannot be skipped unnoticed.
REQUIRE_MNIST = "SKNN_SIGMOID_REQUIRE_MNIST"
MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def pytest_configure(config):
    if os.environ.get(REQUIRE_MNIST, "") in ("", "0"):
        return
    directory = Path(
        os.environ.get("SKNN_SIGMOID_MNIST")
        or Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
    )
    present = set(os.listdir(directory)) if directory.is_dir() else set()
    missing = [
        name for name in MNIST_FILES if not present & set(_candidate_names(name))
    ]
    if missing:
        raise pytest.UsageError(
            f"{REQUIRE_MNIST} is set but the MNIST files {missing} are not in "
            f"{directory} (set SKNN_SIGMOID_MNIST to their directory)."
        )


@pytest.fixture
def quiet_convergence():
    """Silence ConvergenceWarning: short test fits stop before converging."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield
