"""Scaling out with dask: grid search on a cluster, training over chunked arrays.

Two ways of using more than one machine (here: two worker processes on this one):

* ``joblib.parallel_config(backend="dask")`` sends the fits of a ``GridSearchCV`` to
  the workers of a ``dask.distributed`` cluster; the results must not change;
* ``dask_ml.wrappers.Incremental`` walks the blocks of a row-chunked ``dask.array``
  and calls ``partial_fit`` on each block, on whichever worker holds it, passing the
  model from block to block.

The module needs the ``[dask]`` extra (``dask[distributed]`` and ``dask-ml``) and is
skipped without it. The MNIST tests read the IDX files from the ``shared/data/mnist``
folder beside the repository, or from the folder named by ``SKNN_SIGMOID_MNIST``.
"""

import os
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier
from sknn_sigmoid.datasets import load_mnist

distributed = pytest.importorskip(
    "dask.distributed", reason="dask (the [dask] extra) is not installed"
)
dask = pytest.importorskip("dask", reason="dask (the [dask] extra) is not installed")
da = pytest.importorskip(
    "dask.array", reason="dask (the [dask] extra) is not installed"
)
Incremental = pytest.importorskip(
    "dask_ml.wrappers", reason="dask-ml (the [dask] extra) is not installed"
).Incremental

MNIST_DIR = Path(
    os.environ.get("SKNN_SIGMOID_MNIST")
    or Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
)
DIGITS = np.arange(10)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes, listening on the loopback only."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        client.wait_for_workers(2, timeout=60)
        yield client
    finally:
        client.close()
        cluster.close()


def scattered_blocks(client, X, y, rows):
    """``X`` and ``y`` as dask arrays of ``rows``-row blocks living on the workers.

    ``scatter`` sends each block once, spread over the workers; ``da.from_array`` of a
    large local array would embed the whole array in every graph built on it.
    """
    starts = range(0, len(X), rows)
    x_blocks = client.scatter([X[i : i + rows] for i in starts])
    y_blocks = client.scatter([y[i : i + rows] for i in starts])
    shapes = [len(X[i : i + rows]) for i in starts]
    X_dask = da.concatenate(
        [
            da.from_delayed(b, shape=(n, X.shape[1]), dtype=X.dtype)
            for b, n in zip(x_blocks, shapes)
        ]
    )
    y_dask = da.concatenate(
        [
            da.from_delayed(b, shape=(n,), dtype=y.dtype)
            for b, n in zip(y_blocks, shapes)
        ]
    )
    return X_dask, y_dask


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


@pytest.fixture(scope="module")
def mnist(client):
    """MNIST scaled to [0, 1]: training set in 6 blocks of 10,000 rows on the workers,
    test set in memory."""
    if not MNIST_DIR.is_dir():
        pytest.skip(
            f"MNIST not found in {MNIST_DIR}; set SKNN_SIGMOID_MNIST to the folder "
            "of the four IDX files"
        )
    X_train, y_train = load_mnist(MNIST_DIR, subset="train", return_X_y=True)
    X_test, y_test = load_mnist(MNIST_DIR, subset="test", return_X_y=True)
    X_train /= 255
    X_test /= 255
    X, y = scattered_blocks(client, X_train, y_train, 10_000)
    return X, y, X_test, y_test


def test_cluster_listens_on_loopback_only(client):
    info = client.scheduler_info()
    addresses = [client.scheduler.address, *info["workers"]]
    addresses += [w["nanny"] for w in info["workers"].values()]
    assert len(info["workers"]) == 2
    assert all(a.startswith("tcp://127.0.0.1:") for a in addresses), addresses


# --- joblib's dask backend: a grid search on the cluster ---------------------------


def test_grid_search_on_cluster_matches_local_run(client, digits):
    X, y = digits
    # Adam, not the L-BFGS that solver="auto" chooses on the digits: the workers run
    # BLAS on other numbers of threads, whose sums differ in their last bits, and
    # L-BFGS's line searches turn such differences into different steps.
    pipeline = make_pipeline(
        MinMaxScaler(), SigmoidMLPClassifier(solver="adam", random_state=0, max_iter=40)
    )
    grid = {"sigmoidmlpclassifier__hidden_layer_sizes": [(16,), (32,), (64,)]}

    local = GridSearchCV(pipeline, grid, cv=3, n_jobs=1).fit(X, y)

    with (
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_config(backend="dask"),
    ):
        remote = GridSearchCV(pipeline, grid, cv=3, n_jobs=-1).fit(X, y)

    assert remote.best_params_ == local.best_params_
    assert_allclose(
        remote.cv_results_["mean_test_score"],
        local.cv_results_["mean_test_score"],
        rtol=1e-12,
        atol=0,
    )
    assert_array_equal(
        remote.cv_results_["rank_test_score"], local.cv_results_["rank_test_score"]
    )
    # The fits ran on the workers: the cluster's task stream holds the batches of
    # fits joblib sent, executed by both workers (a local run would leave it empty).
    fit_tasks = [t for t in tasks.data if "fit_and_score" in str(t["key"])]
    assert fit_tasks, [t["key"] for t in tasks.data]
    assert {t["worker"] for t in fit_tasks} == set(client.scheduler_info()["workers"])


# --- dask-ml's Incremental: partial_fit over the blocks of a dask array ------------


def test_incremental_matches_sequential_partial_fit(client, digits):
    """Without block shuffling, Incremental is partial_fit over the blocks in order."""
    X, y = digits
    X_dask, y_dask = scattered_blocks(client, X, y, 300)
    params = dict(hidden_layer_sizes=(20,), batch_size=50, random_state=0)

    inc = Incremental(SigmoidMLPClassifier(**params), shuffle_blocks=False)
    inc.fit(X_dask, y_dask, classes=DIGITS)

    sequential = SigmoidMLPClassifier(**params)
    for start in range(0, len(X), 300):
        block = slice(start, start + 300)
        sequential.partial_fit(X[block], y[block], classes=DIGITS)

    assert inc.estimator_.n_iter_ == X_dask.numblocks[0] == 6
    for fitted, expected in zip(inc.estimator_.coefs_, sequential.coefs_):
        assert_allclose(fitted, expected, rtol=1e-10, atol=1e-12)
    assert_array_equal(inc.predict(X), sequential.predict(X))


def test_incremental_fit_restarts_and_partial_fit_continues(client, digits):
    """Incremental.fit trains a fresh clone (one pass); partial_fit adds a pass."""
    X, y = digits
    X_dask, y_dask = scattered_blocks(client, X, y, 450)
    inc = Incremental(
        OneVsRestLogistic(random_state=0), shuffle_blocks=True, random_state=0
    )

    inc.fit(X_dask, y_dask, classes=DIGITS)
    inc.fit(X_dask, y_dask, classes=DIGITS)
    assert inc.estimator_.n_iter_ == 4
    assert inc.estimator_.t_ == len(X)

    inc.partial_fit(X_dask, y_dask, classes=DIGITS)
    assert inc.estimator_.n_iter_ == 8
    assert inc.estimator_.t_ == 2 * len(X)
    assert inc.estimator is not inc.estimator_
    assert not hasattr(inc.estimator, "classes_")


@pytest.mark.parametrize(
    "estimator",
    [
        SigmoidMLPClassifier(hidden_layer_sizes=(20,), random_state=0),
        OneVsRestLogistic(random_state=0),
    ],
    ids=["mlp", "logistic"],
)
def test_incremental_blocks_lacking_classes(client, digits, estimator):
    """``classes`` goes to every block's partial_fit; blocks of a few classes are
    fine, and the first block never needs to hold them all."""
    X, y = digits
    order = np.argsort(y, kind="stable")  # ~180 rows a class: a block has 1 or 2
    X_sorted, y_sorted = X[order], y[order]
    X_dask, y_dask = scattered_blocks(client, X_sorted, y_sorted, 150)
    block_classes = [np.unique(b) for b in np.array_split(y_sorted, 12)]
    assert max(len(c) for c in block_classes) <= 2

    inc = Incremental(estimator, shuffle_blocks=True, random_state=0)
    inc.fit(X_dask, y_dask, classes=DIGITS)
    for _ in range(2):
        inc.partial_fit(X_dask, y_dask, classes=DIGITS)

    assert_array_equal(inc.estimator_.classes_, DIGITS)
    assert inc.estimator_.n_iter_ == 3 * X_dask.numblocks[0]
    proba = inc.predict_proba(X_dask).compute()
    assert proba.shape == (len(X), 10)
    assert_allclose(proba.sum(axis=1), 1)
    assert set(np.unique(inc.predict(X_dask).compute())) <= set(DIGITS)

    # Without ``classes`` the first block alone cannot tell the model all the labels.
    with pytest.raises(ValueError, match="classes must be passed"):
        Incremental(estimator, random_state=0).fit(X_dask, y_dask)


class RecordingMLP(SigmoidMLPClassifier):
    """Notes the labels and the ``classes`` argument of every partial_fit call."""

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        calls = [*getattr(self, "calls_", []), (np.unique(y), classes)]
        super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)
        self.calls_ = calls
        return self


def test_incremental_passes_classes_to_every_block(digits):
    """The same kwargs reach every block: with blocks of a class or two each, every
    call gets the full ``classes`` and accepts it. The graph runs in this process
    (dask's synchronous scheduler), where the calls can be recorded."""
    X, y = digits
    order = np.argsort(y, kind="stable")
    X_dask = da.from_array(X[order], chunks=(150, 64))
    y_dask = da.from_array(y[order], chunks=150)

    inc = Incremental(RecordingMLP(random_state=0), random_state=0)
    with dask.config.set(scheduler="synchronous"):
        inc.fit(X_dask, y_dask, classes=DIGITS)
        inc.partial_fit(X_dask, y_dask, classes=DIGITS)

    calls = inc.estimator_.calls_
    assert len(calls) == 2 * X_dask.numblocks[0] == 24
    for labels, classes in calls:
        assert_array_equal(classes, DIGITS)
        assert len(labels) <= 2
    assert_array_equal(inc.estimator_.classes_, DIGITS)


@pytest.mark.parametrize(
    "estimator, passes, target",
    [
        # about 0.966 after 3 passes (0.946, 0.959, 0.966 after 1, 2, 3)
        (
            SigmoidMLPClassifier(
                hidden_layer_sizes=(100,),
                solver="adam",
                learning_rate_init=0.01,
                batch_size=128,
                random_state=0,
            ),
            3,
            0.95,
        ),
        # a linear model: about 0.915 after 3 passes
        (OneVsRestLogistic(random_state=0), 3, 0.90),
    ],
    ids=["mlp", "logistic"],
)
def test_incremental_mnist(client, mnist, estimator, passes, target):
    X, y, X_test, y_test = mnist
    # A RandomState (not an int) visits the blocks in a new order on every pass.
    inc = Incremental(
        estimator, shuffle_blocks=True, random_state=np.random.RandomState(0)
    )

    with distributed.get_task_stream(client) as tasks:
        inc.fit(X, y, classes=DIGITS)
        for _ in range(passes - 1):
            inc.partial_fit(X, y, classes=DIGITS)

    model = inc.estimator_
    assert model.n_iter_ == passes * X.numblocks[0] == passes * 6
    assert model.t_ == passes * 60_000
    # Every partial_fit ran on a worker: dask-ml's tasks ("fit-<token>", i) are the
    # calls on block i of a pass (i = -1 is the model it starts from).
    fits = [
        t["key"]
        for t in tasks.data
        if isinstance(t["key"], tuple) and t["key"][0].startswith("fit-")
    ]
    assert sum(key[1] >= 0 for key in fits) == passes * 6, fits
    accuracy = inc.score(X_test, y_test)
    assert accuracy >= target, accuracy

    # Predicting block by block on the cluster gives the same labels.
    X_test_dask, _ = scattered_blocks(client, X_test, y_test, 2500)
    assert_array_equal(inc.predict(X_test_dask).compute(), model.predict(X_test))
