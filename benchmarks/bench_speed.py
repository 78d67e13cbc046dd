"""Speed and memory of sknn_sigmoid against scikit-learn on MNIST.

Run from the repository root::

    python benchmarks/bench_speed.py [--data DIR] [--repeats 3] [--json PATH]

``DIR`` holds the four MNIST IDX files (default: ``../shared/data/mnist`` beside the
repository, or the ``SKNN_SIGMOID_MNIST`` environment variable). Everything is
measured in one run on this machine, ours and scikit-learn's interleaved (ours,
theirs, ours, theirs, ...), and reported as medians and ratios, because absolute
times on a shared machine drift from run to run:

1. seconds per epoch of ``SigmoidMLPClassifier(hidden_layer_sizes=(300,),
   solver="sgd")`` against ``MLPClassifier(hidden_layer_sizes=(300,),
   activation="logistic", solver="sgd")`` at batch sizes 16, 128 and 512, on
   float32 inputs, with the same learning rate and momentum;
2. the GEMM floor of such an epoch: the same matrix products timed alone, and the
   fraction of it our epoch reaches;
3. an epoch at a learning rate large enough to saturate the units (and one whose
   inputs saturate the hidden units) against a normal one;
4. BLAS threads per operation size: our choice at batches 16, 128 and 512 against
   numpy's BLAS on two threads, and against every BLAS library on two threads;
5. ``predict_proba`` on the 60,000 training images;
6. the peak memory ``fit`` needs above the data, in a fresh process;
7. ``OneVsRestLogistic`` fit time against ``LogisticRegression()``.

It prints a table and writes the figures as JSON.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from statistics import median

import numpy as np
import sklearn
import threadpoolctl
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier, _parallel
from sknn_sigmoid.datasets import load_mnist

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "mnist"
HIDDEN = 300
LEARNING_RATE, MOMENTUM = 0.1, 0.9
# A learning rate large enough to saturate the units (every output unit, some hidden
# ones).
SATURATING_RATE = 1000.0


def load(data_dir):
    """MNIST scaled to [0, 1] in float32: (X_train, y_train, X_test, y_test)."""
    X, y = load_mnist(data_dir, subset="train", return_X_y=True)
    X_test, y_test = load_mnist(data_dir, subset="test", return_X_y=True)
    return X / np.float32(255), y, X_test / np.float32(255), y_test


def ours(batch_size, **params):
    # The schedule and the penalty of scikit-learn's defaults, for a like-for-like
    # comparison (neither changes the work of an epoch).
    settings = dict(
        hidden_layer_sizes=(HIDDEN,),
        solver="sgd",
        batch_size=batch_size,
        learning_rate_init=LEARNING_RATE,
        learning_rate="constant",
        momentum=MOMENTUM,
        alpha=1e-4,
        random_state=0,
    )
    return SigmoidMLPClassifier(**{**settings, **params})


def theirs(batch_size, **params):
    settings = dict(
        hidden_layer_sizes=(HIDDEN,),
        activation="logistic",
        solver="sgd",
        batch_size=batch_size,
        learning_rate_init=LEARNING_RATE,
        momentum=MOMENTUM,
        random_state=0,
    )
    return MLPClassifier(**{**settings, **params})


def seconds_per_epoch(estimator, X, y, epochs):
    """Wall time of ``fit`` for ``epochs`` epochs, divided by the epochs run."""
    estimator.set_params(max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1)
    start = time.perf_counter()
    fit_quietly(estimator, X, y)
    return (time.perf_counter() - start) / estimator.n_iter_


def fit_quietly(estimator, X, y):
    """``estimator.fit(X, y)``, without the warning that the epoch budget ran out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def interleaved(measures, repeats):
    """Every run of each of ``measures`` (name: callable), taking turns, ``repeats``
    rounds: the load of the machine falls on all of them alike."""
    runs = {name: [] for name in measures}
    for _ in range(repeats):
        for name, measure in measures.items():
            runs[name].append(measure())
    return runs


def gemm_floor(X, batch_size):
    """The epoch's matrix products alone: a function that times them (seconds per
    epoch, under the BLAS thread limit in force) and their number of FLOPs.

    Per batch: a[1] = X_b W1 (forward), a[2] = a[1] W2, the weight gradients
    X_b^T delta[1] and a[1]^T delta[2], and the error back-propagated into the hidden
    layer, delta[2] W2^T.
    """
    rng = np.random.default_rng(0)
    n, d = X.shape
    W1 = rng.random((d, HIDDEN), dtype=np.float32)
    W2 = rng.random((HIDDEN, 10), dtype=np.float32)
    A1 = np.empty((batch_size, HIDDEN), np.float32)
    A2 = np.empty((batch_size, 10), np.float32)
    D1 = rng.random((batch_size, HIDDEN), dtype=np.float32)
    D2 = rng.random((batch_size, 10), dtype=np.float32)
    G1, G2 = np.empty_like(W1), np.empty_like(W2)

    def epoch():
        start = time.perf_counter()
        for i in range(0, n, batch_size):  # the last, partial batch included
            Xb = X[i : i + batch_size]
            m = Xb.shape[0]
            a1, a2, d1, d2 = A1[:m], A2[:m], D1[:m], D2[:m]
            np.matmul(Xb, W1, out=a1)
            np.matmul(a1, W2, out=a2)
            np.matmul(a1.T, d2, out=G2)
            np.matmul(d2, W2.T, out=d1)
            np.matmul(Xb.T, d1, out=G1)
        return time.perf_counter() - start

    return epoch, 2 * n * (2 * d * HIDDEN + 3 * HIDDEN * 10)


def on_threads(measure, threads):
    """``measure`` run under a BLAS limit of ``threads``."""

    def run():
        with threadpoolctl.threadpool_limits(threads, user_api="blas"):
            return measure()

    return run


def numpy_blas_path():
    """The file of the BLAS library numpy's matrix products use, if it can be told.

    numpy and scipy wheels each bring their own OpenBLAS; with one library loaded,
    that one is numpy's.
    """
    libraries = threadpoolctl.ThreadpoolController().select(user_api="blas")
    paths = [lib.filepath for lib in libraries.lib_controllers]
    if len(paths) == 1:
        return paths[0]
    numpy_dir = Path(np.__file__).resolve().parent
    for path in paths:
        parent = Path(path).resolve().parent
        if parent == numpy_dir.with_name("numpy.libs") or numpy_dir in parent.parents:
            return path
    return None


@contextmanager
def one_part_per_batch(limits):
    """Train with one part per batch on one thread, under the BLAS ``limits``."""
    saved = _parallel.BLAS_THREADS_PER_WORKER, _parallel.MIN_ROWS_TO_SPLIT
    _parallel.BLAS_THREADS_PER_WORKER, _parallel.MIN_ROWS_TO_SPLIT = None, 2**62
    try:
        with threadpoolctl.threadpool_limits(limits):
            yield
    finally:
        _parallel.BLAS_THREADS_PER_WORKER, _parallel.MIN_ROWS_TO_SPLIT = saved


def same_bits_across_threads(X, y):
    """Whether one epoch at batch 128 gives the same weights on one and two threads,
    with our threads and with numpy's BLAS threads."""
    rows = slice(0, 6000)

    def weights(limits, blas_threads):
        run = one_part_per_batch if blas_threads else threadpoolctl.threadpool_limits
        with run(limits):
            return fit_quietly(ours(128, max_iter=1), X[rows], y[rows]).coefs_[0]

    ours_same = np.array_equal(weights(1, False), weights(2, False))
    path = numpy_blas_path()
    blas_same = None
    if path is not None:
        blas_same = np.array_equal(
            weights({path: 1, "blas": 1}, True), weights({path: 2, "blas": 1}, True)
        )
    return {"our_threads": ours_same, "numpy_blas_threads": blas_same}


def saturated_fraction(estimator, X):
    """Share of the hidden and of the output activations within 1e-6 of 0 or 1."""
    _, hidden, output = estimator.forward(X[:5000])
    return {
        layer: float(np.mean((a < 1e-6) | (a > 1 - 1e-6)))
        for layer, a in (("hidden", hidden), ("output", output))
    }


def peak_memory(kind, npy):
    """Peak resident memory ``fit`` adds above the loaded data, in a fresh process."""
    result = subprocess.run(
        [sys.executable, __file__, "--child-memory", kind, "--npy", npy],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _vm(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def child_memory(kind, npy):
    """Runs in the fresh process: load the data, reset the peak mark, fit, report."""
    data = np.load(npy)
    X, y = data[:, :-1], data[:, -1].astype(np.int64)
    X = np.ascontiguousarray(X)
    del data
    estimators = {
        "ours": lambda: ours(128, max_iter=1),
        "theirs": lambda: theirs(128, max_iter=1),
        "ours_early_stopping": lambda: ours(128, max_iter=1, early_stopping=True),
        "theirs_early_stopping": lambda: theirs(128, max_iter=1, early_stopping=True),
    }
    estimator = estimators[kind]()
    Path("/proc/self/clear_refs").write_text("5")
    before = _vm("VmRSS")
    fit_quietly(estimator, X, y)
    peak = _vm("VmHWM")
    print(json.dumps({"above_data_MiB": (peak - before) / 2**20}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKNN_SIGMOID_MNIST"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "speed.json"))
    parser.add_argument("--child-memory")
    parser.add_argument("--npy")
    args = parser.parse_args()
    if args.child_memory:
        return child_memory(args.child_memory, args.npy)

    data_dir = args.data or DEFAULT_DATA
    X, y, X_test, y_test = load(data_dir)
    repeats = max(args.repeats, 3)
    results = {
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "cores": os.cpu_count(),
            "blas": [
                {k: info.get(k) for k in ("internal_api", "version", "architecture")}
                for info in threadpoolctl.threadpool_info()
                if info["user_api"] == "blas"
            ],
        },
        "repeats": repeats,
    }
    rows = []

    def row(name, ours_value, theirs_value, unit, target=None, runs=None):
        ratio = ours_value / theirs_value
        rows.append((name, ours_value, theirs_value, ratio, unit, target))
        results[name] = {
            "ours": ours_value,
            "reference": theirs_value,
            "ratio": ratio,
            "unit": unit,
            "target": target,
        }
        if runs is not None:  # every run, in the order measured, besides the median
            results[name]["runs"] = {"ours": runs[0], "reference": runs[1]}

    def row_of_runs(name, runs, unit, target):
        """A row from interleaved runs of "ours" and "theirs": medians, every run."""
        ours_runs, theirs_runs = runs["ours"], runs["theirs"]
        runs = (ours_runs, theirs_runs)
        row(name, median(ours_runs), median(theirs_runs), unit, target, runs)

    # 1-2. Epoch time against scikit-learn and against the GEMM floor.
    # The floor is timed in the same rounds as the epochs it is compared with.
    for batch_size in (16, 128, 512):
        epochs = 1 if batch_size == 16 else 2
        floor_epoch, flops = gemm_floor(X, batch_size)
        runs = interleaved(
            {
                "ours": lambda bs=batch_size, e=epochs: seconds_per_epoch(
                    ours(bs), X, y, e
                ),
                "theirs": lambda bs=batch_size, e=epochs: seconds_per_epoch(
                    theirs(bs), X, y, e
                ),
                "floor_1_thread": on_threads(floor_epoch, 1),
                "floor_2_threads": on_threads(floor_epoch, 2),
            },
            repeats,
        )
        a, b = median(runs["ours"]), median(runs["theirs"])
        target = "<= 0.5" if batch_size == 128 else "<= 1"
        row_of_runs(f"epoch_s_batch_{batch_size}", runs, "s/epoch", target)
        print(f"batch {batch_size}: ours {a:.3f} s/epoch, theirs {b:.3f}", flush=True)
        floors = {1: median(runs["floor_1_thread"]), 2: median(runs["floor_2_threads"])}
        threads = min(floors, key=floors.get)
        floor = floors[threads]
        results[f"gemm_floor_batch_{batch_size}"] = {
            "seconds": floor,
            "threads": threads,
            "gflop_per_s": flops / floor / 1e9,
            "fraction_reached": floor / a,
            "target": ">= 0.6" if batch_size == 128 else None,
            "runs": {
                "1_thread": runs["floor_1_thread"],
                "2_threads": runs["floor_2_threads"],
            },
        }

    # 3. Saturated sigmoids, where a (1 - a) and the back-propagated errors would
    # reach subnormal numbers without the clipping of z. A learning rate of 1000 (the
    # issue's case) drives every output unit and some hidden units to 0 or 1; inputs
    # scaled up 100-fold at the normal rate saturate the hidden units (not the
    # outputs). Both are timed in turns with normal epochs of the same network.
    X_large = X * np.float32(100)
    large_rate = ours(128, learning_rate_init=SATURATING_RATE)
    large_inputs = ours(128)
    runs = interleaved(
        {
            "normal": lambda: seconds_per_epoch(ours(128), X, y, 2),
            "large_rate": lambda: seconds_per_epoch(large_rate, X, y, 2),
            "large_inputs": lambda Xs=X_large: seconds_per_epoch(
                large_inputs, Xs, y, 2
            ),
        },
        repeats,
    )
    normal = median(runs["normal"])
    sat, sat_inputs = median(runs["large_rate"]), median(runs["large_inputs"])
    print(
        f"saturated epoch: learning rate {SATURATING_RATE:g} {sat:.3f} s, inputs "
        f"x100 {sat_inputs:.3f} s, against {normal:.3f} s",
        flush=True,
    )
    results["saturated_epoch"] = {
        "learning_rate": SATURATING_RATE,
        "seconds": sat,
        "normal_seconds": normal,
        "ratio": sat / normal,
        "saturated_fraction": saturated_fraction(large_rate, X),
        "inputs_x100_seconds": sat_inputs,
        "inputs_x100_ratio": sat_inputs / normal,
        "inputs_x100_saturated_fraction": saturated_fraction(large_inputs, X_large),
        "target": "<= 1.5",
        "runs": runs,
    }
    del X_large

    # 4. BLAS threads per operation size. Our choice: the rows of a batch on our own
    # threads, one BLAS thread each (one part, so one thread, at batch 16). Against
    # it: one part per batch with numpy's BLAS (the matrix products) on two threads
    # and the other BLAS libraries (scipy's, for the level-1 updates) on one; and, at
    # batch 16 on a sixth of the data, every BLAS library on two threads.
    numpy_blas = numpy_blas_path()
    threads = {"numpy_blas": numpy_blas}
    for batch_size in (16, 128, 512):
        chosen, products = [], []
        epochs = 1 if batch_size == 16 else 2
        for _ in range(repeats):
            chosen.append(seconds_per_epoch(ours(batch_size), X, y, epochs))
            if numpy_blas is not None:
                with one_part_per_batch({numpy_blas: 2, "blas": 1}):
                    products.append(seconds_per_epoch(ours(batch_size), X, y, epochs))
        threads[f"batch_{batch_size}"] = {
            "parts_per_batch": len(
                _parallel.batch_parts(batch_size, (X.shape[1] + 10) * HIDDEN)
            ),
            "chosen_s": median(chosen),
            "numpy_blas_2_threads_s": median(products) if products else None,
        }
    sixth = X.shape[0] // 6
    with one_part_per_batch({"blas": 2}):
        every = 6 * seconds_per_epoch(ours(16), X[:sixth], y[:sixth], 1)
    threads["batch_16"]["every_blas_2_threads_s"] = every
    threads["bit_identical_across_thread_counts"] = same_bits_across_threads(X, y)
    results["threads"] = threads
    print(f"threads: {threads}", flush=True)

    # 5. predict_proba on the 60,000 training images.
    fitted_ours = fit_quietly(ours(128, max_iter=1), X, y)
    fitted_theirs = fit_quietly(theirs(128, max_iter=1), X, y)

    def time_predict(est):
        start = time.perf_counter()
        est.predict_proba(X)
        return time.perf_counter() - start

    runs = interleaved(
        {
            "ours": lambda: time_predict(fitted_ours),
            "theirs": lambda: time_predict(fitted_theirs),
        },
        max(repeats, 11),
    )
    row_of_runs("predict_proba_s", runs, "s", "<= 0.8")

    # 6. Peak memory of fit above the data, each in a fresh process.
    with tempfile.TemporaryDirectory() as tmp:
        npy = str(Path(tmp) / "mnist.npy")
        np.save(npy, np.hstack([X, y[:, None].astype(np.float32)]))
        for suffix in ("", "_early_stopping"):
            a = peak_memory("ours" + suffix, npy)["above_data_MiB"]
            b = peak_memory("theirs" + suffix, npy)["above_data_MiB"]
            row(f"fit_peak_MiB{suffix}", a, b, "MiB", "<= 64 MiB")

    # 7. One-vs-rest logistic regression against scikit-learn's LogisticRegression.
    def fit_time(est):
        start = time.perf_counter()
        fit_quietly(est, X, y)
        elapsed = time.perf_counter() - start
        scores.setdefault(type(est).__name__, est.score(X_test, y_test))
        return elapsed

    scores = {}
    runs = interleaved(
        {
            "ours": lambda: fit_time(OneVsRestLogistic(random_state=0)),
            "theirs": lambda: fit_time(LogisticRegression()),
        },
        repeats,
    )
    row_of_runs("logistic_fit_s", runs, "s", "<= 0.5")
    results["logistic_fit_s"]["accuracy"] = scores

    print(f"{'measure':<28}{'ours':>10}{'sklearn':>10}{'ratio':>8}  target")
    for name, a, b, ratio, unit, target in rows:
        print(f"{name:<28}{a:>10.3f}{b:>10.3f}{ratio:>8.2f}  {target or ''} ({unit})")
    for batch_size in (16, 128, 512):
        floor = results[f"gemm_floor_batch_{batch_size}"]
        print(
            f"GEMM floor, batch {batch_size:<4}: {floor['seconds']:.3f} s "
            f"({floor['gflop_per_s']:.0f} GFLOP/s, {floor['threads']} thread(s)); "
            f"our epoch reaches {floor['fraction_reached']:.0%} of it"
        )
    sat = results["saturated_epoch"]
    fraction, fraction_x100 = (
        sat["saturated_fraction"],
        sat["inputs_x100_saturated_fraction"],
    )
    print(
        f"Saturated epoch, learning rate {sat['learning_rate']:g}: "
        f"{sat['seconds']:.3f} s, normal {sat['normal_seconds']:.3f} s "
        f"(ratio {sat['ratio']:.2f}; saturated: {fraction['hidden']:.0%} of the "
        f"hidden activations, {fraction['output']:.0%} of the outputs). Inputs x100: "
        f"{sat['inputs_x100_seconds']:.3f} s (ratio {sat['inputs_x100_ratio']:.2f}; "
        f"{fraction_x100['hidden']:.0%} hidden, {fraction_x100['output']:.0%} outputs)"
    )
    thr = results["threads"]
    for batch_size in (16, 128, 512):
        t = thr[f"batch_{batch_size}"]
        line = (
            f"Batch {batch_size}, our threads ({t['parts_per_batch']} part(s), "
            f"one BLAS thread each): {t['chosen_s']:.2f} s/epoch"
        )
        if t["numpy_blas_2_threads_s"] is not None:
            line += f"; numpy's BLAS on 2 threads: {t['numpy_blas_2_threads_s']:.2f}"
        if "every_blas_2_threads_s" in t:
            line += f"; every BLAS on 2 threads: {t['every_blas_2_threads_s']:.2f}"
        print(line)
    print(
        "Bit-identical models with 1 and 2 threads: "
        f"{thr['bit_identical_across_thread_counts']}"
    )
    print(f"Accuracy of the logistic models: {scores}")
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"Figures written to {args.json}")


if __name__ == "__main__":
    main()
