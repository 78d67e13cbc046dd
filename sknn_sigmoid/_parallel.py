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
starts and put back when the last of them ends, from whichever threads these are.
(threadpoolctl lets only one thread at a time set the limit of an OpenBLAS built
with its own threads, and keeps that thread in control until it leaves a ``with
threadpool_limits(...)`` block; the limit here is taken and given back around each
change, so that every thread's fits, and the caller's own limits, take effect.)
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import OpenBLASController, ThreadpoolController

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
# Counts the forks into this process: a context opened before the fork that made it
# (by the thread that forked, which goes on in the child) is not among the child's.
_generation = 0


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
        return _threads_before if _open_contexts else _blas_threads()


def _blas_threads():
    counts = [info["num_threads"] for info in blas_controller().info()]
    return max(1, min(counts)) if counts else max(1, os.cpu_count() or 1)


def _release_openblas_control():
    """Let any thread set OpenBLAS's limit next (threadpoolctl >= 3.8).

    threadpoolctl gives the first thread that sets the limit of an OpenBLAS with its
    own threads (a limit of the whole process) sole control of it, and silently
    ignores the others. Our limit is shared by every thread's fits, under our own
    lock, so it is set and put back from whichever thread opens the first context
    and closes the last: control is released before and after each change.
    """
    clear = getattr(OpenBLASController, "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)


def _open_first_context():
    global _limiter, _threads_before
    _release_openblas_control()
    _threads_before = _blas_threads()
    _limiter = blas_controller().limit(limits=BLAS_THREADS_PER_WORKER)
    _release_openblas_control()


def _close_context(generation):
    """One RowWorkers context fewer; the last one puts the BLAS limits back.

    Unless someone else has changed them in the meantime (a caller's own
    ``threadpool_limits`` block that ended while a fit ran, say): theirs are kept,
    rather than the value seen when the first context opened. A context opened
    before a fork closes in the child as nothing: the fork already put the child's
    limits back.
    """
    global _open_contexts, _limiter
    with _limit_lock:
        if generation != _generation:
            return
        _open_contexts -= 1
        if _open_contexts == 0:
            limiter, _limiter = _limiter, None
            if _blas_threads() == BLAS_THREADS_PER_WORKER:
                _release_openblas_control()
                limiter.restore_original_limits()
                _release_openblas_control()


def _after_fork_in_child():
    """A process forked while contexts were open starts with none of them: the
    threads that would close them are not in it. Its limits go back as the last
    context's closing would put them."""
    global _limit_lock, _open_contexts, _limiter, _threads_before, _generation
    _limit_lock = threading.Lock()  # it may have been held at the fork
    _generation += 1
    limiter, _limiter = _limiter, None
    if _open_contexts and limiter is not None:
        _release_openblas_control()
        limiter.restore_original_limits()
        _release_openblas_control()
    _open_contexts = 0
    _threads_before = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


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
        global _open_contexts
        with _limit_lock:
            if _open_contexts == 0:
                _open_first_context()
            _open_contexts += 1
            self._generation = _generation
        try:
            if self.n_threads > 1:
                self._pool = ThreadPoolExecutor(self.n_threads)
        except BaseException:
            _close_context(self._generation)
            raise
        return self

    def __exit__(self, *exc):
        pool, self._pool = self._pool, None
        try:
            if pool is not None:
                # After an error or Ctrl-C, the parts not started are not run.
                pool.shutdown(cancel_futures=True)
        finally:  # even if interrupted while the threads finish
            _close_context(self._generation)

    def map(self, function, items):
        """``[function(item) for item in items]``, the items spread over the threads.

        The results come back in the order of the items. With no more items than
        threads, the first runs on the calling thread.
        """
        items = list(items)
        if self._pool is None or len(items) == 1:
            return [function(item) for item in items]
        # With more items than threads, the calling thread only waits.
        mine = 1 if len(items) <= self.n_threads else 0
        futures = []
        for item in items[mine:]:
            try:
                futures.append(self._pool.submit(function, item))
            except RuntimeError:
                # The interpreter is shutting down (a fit in a thread that outlives
                # the main one): it starts no new work, so the calling thread does
                # the rest. Each item is computed once, by one thread.
                break
        first = [function(item) for item in items[:mine]]
        rest = [function(item) for item in items[mine + len(futures) :]]
        return [*first, *(future.result() for future in futures), *rest]
