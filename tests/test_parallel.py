"""Rows computed side by side: same results whatever the number of threads."""

import multiprocessing
import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.linalg import get_blas_funcs
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler
from threadpoolctl import threadpool_info, threadpool_limits

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier, _parallel
from sknn_sigmoid._network import forward, init_parameters, loss_and_gradients
from sknn_sigmoid._parallel import (
    PREDICT_CHUNK_ROWS,
    RowWorkers,
    available_threads,
    batch_parts,
)
from sknn_sigmoid._training import BatchGradients, output_activations, parameter_parts

# The fits here run a few epochs, to test threads and processes, not convergence:
# their ConvergenceWarnings are expected.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_batch_parts_depend_on_sizes_only():
    assert batch_parts(10) == [slice(0, 10)]
    assert batch_parts(64) == [slice(0, 32), slice(32, 64)]
    assert batch_parts(129) == [slice(0, 65), slice(65, 129)]
    # Rows times weights: a 784-300-10 network splits a batch of 128, a logistic
    # model (784 x 10 weights) does not, until the batch is full-sized.
    assert len(batch_parts(128, 784 * 300 + 300 * 10)) == 2
    assert len(batch_parts(200, 784 * 10)) == 1
    assert len(batch_parts(60000, 784 * 10)) == 2


def test_available_threads_follows_blas_limits():
    with threadpool_limits(1, user_api="blas"):
        assert available_threads() == 1
    with RowWorkers(n_threads=2) as workers:
        assert workers.map(lambda i: i * i, range(5)) == [0, 1, 4, 9, 16]
        assert workers.map(lambda i: -i, [3, 4]) == [-3, -4]


def blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_every_blas_library_runs_on_one_thread_inside_the_workers():
    # numpy's and scipy's wheels each bring their own OpenBLAS (numpy's for the
    # products, scipy's for axpy and scal). Both on several threads keep their
    # waiting threads spinning on the cores the other needs.
    get_blas_funcs("axpy", (np.ones(1),))  # scipy's BLAS is loaded
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        with RowWorkers() as workers:
            inside = blas_threads()
            n_threads = workers.n_threads
        after = blas_threads()
    assert inside and inside == [1] * len(before)
    assert after == before
    assert n_threads == min(before)


def test_overlapping_workers_share_the_limit_and_put_it_back_last():
    # Two callers' threads: A opens, B opens, A closes, B closes. The limit stays
    # at one thread until B closes, then is what it was before A opened.
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        first, second = RowWorkers(), RowWorkers()
        first.__enter__()
        second.__enter__()
        assert blas_threads() == [1] * len(before)
        assert first.n_threads == second.n_threads == min(before)
        first.__exit__(None, None, None)
        assert blas_threads() == [1] * len(before)  # second is still running
        second.__exit__(None, None, None)
        assert blas_threads() == before


def test_workers_that_fail_to_start_or_to_close_put_the_limit_back(monkeypatch):
    class Interrupted:
        def __init__(self, n_threads):
            pass

        def shutdown(self, cancel_futures=False):
            raise KeyboardInterrupt  # Ctrl-C while the threads finish

    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        monkeypatch.setattr(_parallel, "ThreadPoolExecutor", Interrupted)
        with pytest.raises(KeyboardInterrupt):
            with RowWorkers(n_threads=2):
                assert blas_threads() == [1] * len(before)
        assert blas_threads() == before
        monkeypatch.setattr(_parallel, "ThreadPoolExecutor", None)  # cannot start
        with pytest.raises(TypeError):
            RowWorkers(n_threads=2).__enter__()
        assert blas_threads() == before
        assert _parallel._open_contexts == 0


@pytest.mark.parametrize(
    "estimator",
    [
        SigmoidMLPClassifier(batch_size=128, max_iter=5, random_state=0),
        SigmoidMLPClassifier(solver="lbfgs", max_iter=20, random_state=0),
        OneVsRestLogistic(batch_size=None, max_iter=20),
    ],
)
def test_one_or_two_threads_give_bit_identical_models(estimator, monkeypatch):
    # Digits' networks are small: cut every batch of 64 rows or more.
    monkeypatch.setattr(_parallel, "MIN_WORK_TO_SPLIT", 0)
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    results = []
    for n_threads in (1, 2):
        monkeypatch.setattr(_parallel, "available_threads", lambda n=n_threads: n)
        estimator.fit(X, y)
        results.append(estimator.predict_proba(X))
    assert_array_equal(results[0], results[1])


@pytest.mark.parametrize(
    "shapes, n_groups",
    [
        ([(784, 300), (300, 10), (300,), (10,)], 2),
        ([(200, 100), (100, 50), (50, 10), (100,), (50,), (10,)], 2),
        ([(64, 10), (10,)], 1),  # too small to share out
    ],
)
def test_parameter_parts_cover_every_entry_once(shapes, n_groups):
    groups = parameter_parts(shapes)
    assert len(groups) == n_groups
    counts = [np.zeros(shape, int) for shape in shapes]
    for group in groups:
        for i, rows in group:
            counts[i][rows] += 1
    for count in counts:
        assert_array_equal(count, 1)
    # The cut depends on the shapes only.
    assert parameter_parts(list(shapes)) == groups


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("rows", ["slice", "shuffled"])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_batch_gradients_equal_the_pure_functions(sparse, rows, n_threads):
    # The two-stage, threaded computation gives the gradients of
    # loss_and_gradients (one forward and one backward pass over the whole batch).
    rng = np.random.RandomState(0)
    sizes = [120, 300, 30, 4]  # enough weights for two row parts and two groups
    X = rng.uniform(size=(300, sizes[0]))
    X[X < 0.6] = 0.0
    Y = np.eye(sizes[-1])[rng.randint(sizes[-1], size=300)]
    w = rng.uniform(0.5, 2.0, size=300)
    coefs, intercepts = init_parameters(sizes, rng)
    batch = slice(37, 237) if rows == "slice" else rng.permutation(300)[:200]
    m = 0.7 * 200
    expected = loss_and_gradients(
        X[batch], Y[batch], w[batch], coefs, intercepts, 0.3, "squared_error", m=m
    )
    Xs = sp.csr_matrix(X) if sparse else X
    assert len(batch_parts(200, 120 * 300 + 300 * 30 + 30 * 4)) == 2
    with RowWorkers(n_threads) as workers:
        gradients = BatchGradients(sizes, 200, X.dtype, sparse, workers)
        got = gradients(Xs, Y, w, batch, coefs, intercepts, 0.3, "squared_error", m)
    assert got[0] == pytest.approx(expected[0], rel=1e-12)
    for grad, grad_expected in zip(got[1] + got[2], expected[1] + expected[2]):
        np.testing.assert_allclose(grad, grad_expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("n_threads", [1, 2])
def test_float32_batch_gradients_are_float32_arithmetic(n_threads):
    # float32 in, float32 all the way: the training path computes exactly what the
    # pure functions compute in float32 (a float64 buffer anywhere would round
    # differently). The batch is small enough to be one part on one thread.
    rng = np.random.RandomState(0)
    sizes = [20, 15, 4]
    X = rng.uniform(size=(50, 20)).astype(np.float32)
    Y = np.eye(4, dtype=np.float32)[rng.randint(4, size=50)]
    w = np.ones(50, np.float32)
    coefs, intercepts = init_parameters(sizes, rng, np.float32)
    expected = loss_and_gradients(
        X, Y, w, coefs, intercepts, 0.3, "squared_error", m=50.0
    )
    assert len(batch_parts(50, 20 * 15 + 15 * 4)) == 1
    with RowWorkers(n_threads) as workers:
        gradients = BatchGradients(sizes, 50, np.float32, False, workers)
        got = gradients(X, Y, w, slice(0, 50), coefs, intercepts, 0.3,
                        "squared_error", 50.0)  # fmt: skip
    for grad, grad_expected in zip(got[1] + got[2], expected[1] + expected[2]):
        assert grad.dtype == np.float32
        assert_array_equal(grad, grad_expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_rows", [1, PREDICT_CHUNK_ROWS, 2 * PREDICT_CHUNK_ROWS + 1])
def test_prediction_in_chunks_is_the_forward_pass_whatever_the_threads(dtype, n_rows):
    rng = np.random.RandomState(0)
    coefs, intercepts = init_parameters([6, 5, 3], rng, dtype)
    X = rng.uniform(-3, 3, (n_rows, 6)).astype(dtype)
    results = []
    for n_threads in (1, 2):
        with RowWorkers(n_threads) as workers:
            results.append(output_activations(X, coefs, intercepts, workers))
    assert_array_equal(results[0], results[1])  # the same bits on 1 and 2 threads
    A = results[0]
    assert A.dtype == dtype and A.shape == (n_rows, 3)
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    assert_allclose(A, forward(X, coefs, intercepts)[-1], rtol=rtol)


def in_thread(function):
    """Run ``function`` in a new thread; return its result (or raise its error)."""
    result = []

    def run():
        try:
            result.append(("value", function()))
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            result.append(("error", exc))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    kind, value = result[0]
    if kind == "error":
        raise value
    return value


def test_fits_in_other_threads_keep_blas_on_one_thread_and_the_same_bits(monkeypatch):
    # threadpoolctl >= 3.8 lets only one thread (the first to set it) change the
    # limit of an OpenBLAS with its own threads. A fit in the main thread, then one
    # in another thread: the second must still run its parts on one BLAS thread
    # (else the products share out differently, and two OpenBLAS copies spin
    # against each other), and so give the same bits.
    monkeypatch.setattr(_parallel, "MIN_WORK_TO_SPLIT", 0)
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)

    def fit():
        est = SigmoidMLPClassifier((40,), batch_size=200, max_iter=3, random_state=0)
        with pytest.warns(ConvergenceWarning):
            return est.fit(X, y)

    def inside():
        with RowWorkers():
            return blas_threads()

    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        main = fit()
        assert inside() == [1] * len(before)
        other = in_thread(fit)
        assert in_thread(inside) == [1] * len(before)
        assert blas_threads() == before
        # A caller's own limit in another thread takes effect too.
        with_limit = in_thread(lambda: _limited(3))
        assert with_limit == [3] * len(before)
    for a, b in zip(main.coefs_ + main.intercepts_, other.coefs_ + other.intercepts_):
        assert_array_equal(a, b)


def _limited(n):
    with threadpool_limits(n, user_api="blas"):
        return blas_threads()


def test_the_last_to_close_puts_the_limit_back_whatever_its_thread():
    # Opened in the main thread, then in another; closed in the main thread first:
    # the other thread's closing puts the limit back.
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        opened, main_closed = threading.Event(), threading.Event()

        def other():
            with RowWorkers():
                opened.set()
                main_closed.wait(30)
                return blas_threads()

        first = RowWorkers().__enter__()
        thread = threading.Thread(target=lambda: results.append(other()))
        results = []
        thread.start()
        assert opened.wait(30)
        first.__exit__(None, None, None)
        main_closed.set()
        thread.join()
        assert results == [[1] * len(before)]
        assert blas_threads() == before
        assert _parallel._open_contexts == 0


def test_a_limit_someone_else_set_during_a_fit_is_kept():
    # A caller's own limit ends (in another thread) while the workers are open:
    # their closing must not put back the value it had when they opened.
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        user = threadpool_limits(1, user_api="blas")  # the caller's block begins
        with RowWorkers():
            user.restore_original_limits()  # ... and ends, during the fit
            _parallel._release_openblas_control()
        assert blas_threads() == before


def test_map_finishes_on_the_calling_thread_when_no_new_thread_can_start():
    # At interpreter shutdown a thread pool refuses new work; a fit still running
    # in a thread that outlived the main one must finish, with the same results.
    calls = []

    def square(i):
        calls.append(threading.current_thread())
        return i * i

    for items in ([3, 4], list(range(7))):
        with RowWorkers(n_threads=2) as workers:
            workers._pool.shutdown()  # submit now raises RuntimeError
            calls.clear()
            assert workers.map(square, items) == [i * i for i in items]
            assert calls == [threading.current_thread()] * len(items)


def test_an_error_in_one_part_stops_the_parts_not_started():
    # A NaN in the first chunk of a large prediction (or Ctrl-C) raised only once
    # every other chunk had been computed.
    computed = []

    def part(i):
        if i == 0:
            raise ValueError("bad chunk")
        time.sleep(0.01)
        computed.append(i)
        return i

    with pytest.raises(ValueError, match="bad chunk"):
        with RowWorkers(n_threads=2) as workers:
            workers.map(part, range(100))
    assert len(computed) < 10


def test_a_process_forked_during_a_fit_starts_with_no_open_workers():
    # The child has none of the threads that would close the parent's contexts:
    # it starts with none open and the limits put back, and its own fits work.
    context = multiprocessing.get_context("fork")
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        with RowWorkers():
            with context.Pool(1) as pool:
                child = pool.apply(_state_in_child)
        assert blas_threads() == before
    assert child == (0, before, before)


def test_a_fit_that_goes_on_in_a_forked_child_closes_nothing_of_the_child():
    # The thread that forked (from a callback, say) goes on with its fit in the
    # child and closes its context there: the child's count of open contexts went
    # to -1 and its next fit failed with a TypeError.
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        assert pool.apply(_close_a_context_opened_before_the_fork) == (0, 0.0)


def _close_a_context_opened_before_the_fork():
    with RowWorkers():
        _parallel._after_fork_in_child()  # as a fork taken now would run it
    open_after = _parallel._open_contexts
    X, y = load_digits(return_X_y=True)
    OneVsRestLogistic(max_iter=2).fit(X / 16, y)  # a fit of the child's own
    return open_after, float(_parallel._open_contexts)


def _state_in_child():
    open_at_start, at_start = _parallel._open_contexts, blas_threads()
    X, y = load_digits(return_X_y=True)
    OneVsRestLogistic(max_iter=2).fit(X / 16, y)
    return open_at_start, at_start, blas_threads()
