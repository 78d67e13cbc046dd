"""Rows computed side by side: same results whatever the number of threads."""

import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.preprocessing import MinMaxScaler
from threadpoolctl import threadpool_limits

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier, _parallel
from sknn_sigmoid._parallel import RowWorkers, available_threads, batch_parts


def test_batch_parts_depend_on_rows_only():
    assert batch_parts(10) == [slice(0, 10)]
    assert batch_parts(64) == [slice(0, 32), slice(32, 64)]
    assert batch_parts(129) == [slice(0, 65), slice(65, 129)]


def test_available_threads_follows_blas_limits():
    with threadpool_limits(1, user_api="blas"):
        assert available_threads() == 1
    with RowWorkers(n_threads=2) as workers:
        assert workers.map(lambda i: i * i, range(5)) == [0, 1, 4, 9, 16]
        assert workers.map(lambda i: -i, [3, 4]) == [-3, -4]


@pytest.mark.parametrize(
    "estimator",
    [
        SigmoidMLPClassifier(batch_size=128, max_iter=5, random_state=0),
        SigmoidMLPClassifier(solver="lbfgs", max_iter=20, random_state=0),
        OneVsRestLogistic(batch_size=None, max_iter=20),
    ],
)
def test_one_or_two_threads_give_bit_identical_models(estimator, monkeypatch):
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    results = []
    for n_threads in (1, 2):
        monkeypatch.setattr(_parallel, "available_threads", lambda n=n_threads: n)
        estimator.fit(X, y)
        results.append(estimator.predict_proba(X))
    assert_array_equal(results[0], results[1])
