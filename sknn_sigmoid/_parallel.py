"""Running the rows of a batch side by side on the machine's cores.

Training and prediction are matrix products plus elementwise work (the sigmoid, its
derivative, the output error). A BLAS library parallelises the products, but:

* the elementwise work stays on one core;
* how it shares a product out changes the order of the sums with the number of
  threads, and so the last bits of the result;
* numpy and scipy may each bring their own copy of the library (the wheels do), and
  two copies on several threads each keep their waiting threads spinning on the
  cores the other needs: an epoch at batch 16 was measured 40 times slower.

So instead the rows are cut into parts, each part goes through the whole computation
on its own thread with every BLAS library on one thread (numpy, scipy and BLAS
release the GIL), and the results are put together in a fixed order.

How the rows are cut depends only on their number, never on the number of threads, so
a result is bit-identical whether its parts ran on one thread or several.

The BLAS thread limits are the process's: fits and predictions running at the same
time on several threads of the caller share one limit, set when the first of them
starts and put back when the last of them ends.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import ThreadpoolController

# A batch is cut in two halves from this many rows on, if its products also have at
# least MIN_WORK_TO_SPLIT multiply-adds (rows times weights): less work is not worth
# a thread switch (a logistic model's 7,840 weights never are, at any batch size
# short of thousands of rows).
MIN_ROWS_TO_SPLIT = 64
MIN_WORK_TO_SPLIT = 2**23
# BLAS threads of each worker thread (a benchmark may raise it to compare).
BLAS_THREADS_PER_WORKER = 1
# The gradients and updates of a step are shared out over two threads from this many
# parameters on.
PARAMETERS_TO_SPLIT = 16384
# Prediction goes through the data in chunks of at most this many rows, so that its
# work arrays stay small whatever the number of samples.
PREDICT_CHUNK_ROWS = 2048


def batch_parts(n_rows, n_weights=None):
    """The row ranges a batch of ``n_rows`` is computed in: one, or two halves.

    ``n_weights`` is the number of weights of the network (None: count only rows).
    The cut depends on these sizes only, never on the number of threads.
    """
    small = n_weights is not None and n_rows * n_weights < MIN_WORK_TO_SPLIT
    if n_rows < MIN_ROWS_TO_SPLIT or small:
        return [slice(0, n_rows)]
    half = (n_rows + 1) // 2
    return [slice(0, half), slice(half, n_rows)]


_controller = None
# The BLAS limit shared by every RowWorkers context open in the process: how many
# are open, the limiter that puts the limits back when the last one closes, and the
# thread count allowed before the first one opened.
_limit_lock = threading.Lock()
_open_contexts = 0
_limiter = None
_threads_before = None


def blas_controller():
    """The threadpoolctl controller of the BLAS libraries, made once.

    Making one scans the loaded libraries (about a millisecond); its limits and
    thread counts are then read and set directly, so every prediction does not pay
    for the scan.
    """
    global _controller
    if _controller is None:
        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def available_threads():
    """How many threads the caller allows: the BLAS thread limit in force.

    It follows ``threadpoolctl`` limits, ``OPENBLAS_NUM_THREADS`` and friends, and the
    limits joblib sets in the workers of ``GridSearchCV(n_jobs=...)``. While fits or
    predictions run (and keep BLAS on one thread), it is the limit before them.
    """
    with _limit_lock:
        if _open_contexts:
            return _threads_before
    return _blas_threads()


def _blas_threads():
    counts = [info["num_threads"] for info in blas_controller().info()]
    return max(1, min(counts)) if counts else max(1, os.cpu_count() or 1)


def _close_context():
    """One RowWorkers context fewer; the last one puts the BLAS limits back."""
    global _open_contexts, _limiter
    with _limit_lock:
        _open_contexts -= 1
        if _open_contexts == 0:
            _limiter.restore_original_limits()
            _limiter = None


class RowWorkers:
    """Threads that compute parts of a batch, with BLAS kept to one thread each.

    Use as a context manager around training or prediction.

    Parameters
    ----------
    n_threads : int, default=None
        How many parts may run at once; None means :func:`available_threads`.
    """

    def __init__(self, n_threads=None):
        self.n_threads = available_threads() if n_threads is None else n_threads
        self._pool = None

    def __enter__(self):
        global _open_contexts, _limiter, _threads_before
        with _limit_lock:
            if _open_contexts == 0:
                _threads_before = _blas_threads()
                _limiter = blas_controller().limit(limits=BLAS_THREADS_PER_WORKER)
            _open_contexts += 1
        try:
            if self.n_threads > 1:
                self._pool = ThreadPoolExecutor(self.n_threads)
        except BaseException:
            _close_context()
            raise
        return self

    def __exit__(self, *exc):
        pool, self._pool = self._pool, None
        try:
            if pool is not None:
                pool.shutdown()
        finally:  # even if interrupted while the threads finish
            _close_context()

    def map(self, function, items):
        """``[function(item) for item in items]``, the items spread over the threads.

        The results come back in the order of the items. With no more items than
        threads, the first runs on the calling thread.
        """
        items = list(items)
        if self._pool is None or len(items) == 1:
            return [function(item) for item in items]
        if len(items) > self.n_threads:
            return list(self._pool.map(function, items))
        futures = [self._pool.submit(function, item) for item in items[1:]]
        first = function(items[0])
        return [first, *(future.result() for future in futures)]
