"""Speed and memory of sknn_sigmoid against scikit-learn (and PyTorch) on MNIST.

Run from the repository root::

    python benchmarks/bench_speed.py [--data DIR] [--repeats 3] [--json PATH]
        [--figure PATH] [--rows N]

``DIR`` holds the four MNIST IDX files (default: ``../shared/data/mnist`` beside the
repository, or the ``SKNN_SIGMOID_MNIST`` environment variable). Everything is
measured in one run, the contenders taking turns (ours, scikit-learn's, PyTorch's,
the floor, ours, ...), and reported as medians and ratios to scikit-learn, because
absolute times on a shared machine drift from run to run:

1. seconds per epoch of ``SigmoidMLPClassifier(hidden_layer_sizes=(300,),
   solver="sgd")``, of ``MLPClassifier(hidden_layer_sizes=(300,),
   activation="logistic", solver="sgd")`` and, when ``torch`` can be imported, of
   the same network, loss and optimizer in PyTorch, at batch sizes 16, 128 and 512,
   on float32 inputs; beside them ours on one BLAS thread (``threadpool_limits(1)``)
   and the GEMM floor, the epoch's matrix products timed alone (on one BLAS
   thread and on the default number, the faster counting);
2. ``predict_proba`` on the 60,000 training images, and its floor (the first
   layer's product alone);
3. an epoch whose units saturate against a normal one;
4. the peak memory ``fit`` needs above the data, in a fresh process;
5. ``OneVsRestLogistic`` fit time against ``LogisticRegression()``.

It prints a table, writes the figures as JSON and draws seconds per epoch by batch
size (needs matplotlib).
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
from pathlib import Path
from statistics import median

import numpy as np
import scipy
import sklearn
import threadpoolctl
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier
from sknn_sigmoid._blas import matmul
from sknn_sigmoid.datasets import load_mnist

try:
    import torch
except ImportError:  # the PyTorch column is left out
    torch = None

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "mnist"
HIDDEN = 300
LEARNING_RATE, MOMENTUM, ALPHA = 0.1, 0.9, 1e-4
BATCH_SIZES = (16, 128, 512)
TARGETS = {16: 0.5, 128: 0.8, 512: 0.75}
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
        alpha=ALPHA,
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
        alpha=ALPHA,
        random_state=0,
    )
    return MLPClassifier(**{**settings, **params})


def fit_quietly(estimator, X, y):
    """``estimator.fit(X, y)``, without the warning that the epoch budget ran out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def seconds_per_epoch(estimator, X, y, epochs=1):
    """Wall time of ``fit`` for ``epochs`` epochs, divided by the epochs run."""
    estimator.set_params(max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1)
    start = time.perf_counter()
    fit_quietly(estimator, X, y)
    return (time.perf_counter() - start) / estimator.n_iter_


def one_blas_thread(measure):
    def run():
        with threadpoolctl.threadpool_limits(1, user_api="blas"):
            return measure()

    return run


class TorchNetwork:
    """The same network, loss and optimizer in PyTorch: 784-300-10 sigmoid units,
    J = 1/(2b) sum (a - y)^2 + alpha/(2b) sum W^2 per batch of b, SGD with Nesterov's
    momentum; each epoch shuffled, its batches gathered by indexing."""

    def __init__(self, X, y):
        self.X = torch.from_numpy(X)
        self.Y = torch.nn.functional.one_hot(torch.from_numpy(y.astype(np.int64)), 10)
        self.Y = self.Y.to(torch.float32)

    def model(self, seed=0):
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Linear(self.X.shape[1], HIDDEN),
            torch.nn.Sigmoid(),
            torch.nn.Linear(HIDDEN, 10),
            torch.nn.Sigmoid(),
        )

    def epoch(self, batch_size):
        net = self.model()
        weights = [p for p in net.parameters() if p.dim() == 2]
        biases = [p for p in net.parameters() if p.dim() == 1]
        optimizer = torch.optim.SGD(
            [{"params": weights, "weight_decay": ALPHA / batch_size},
             {"params": biases}],
            lr=LEARNING_RATE, momentum=MOMENTUM, nesterov=True,
        )  # fmt: skip
        start = time.perf_counter()
        order = torch.randperm(len(self.X))
        for first in range(0, len(order), batch_size):
            rows = order[first : first + batch_size]
            A, Y = net(self.X[rows]), self.Y[rows]
            loss = ((A - Y) ** 2).sum() / (2 * len(rows))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        self.fitted = net
        return time.perf_counter() - start

    def predict_seconds(self, X):
        start = time.perf_counter()
        with torch.no_grad():
            self.fitted(torch.from_numpy(X)).numpy()
        return time.perf_counter() - start


def gemm_floor(X, batch_size):
    """The epoch's matrix products alone, through our BLAS (scipy's), and their
    number of FLOPs: a function that times them in seconds per epoch.

    Per batch: z[1] = X_b W1 (forward), z[2] = a[1] W2, the weight gradients
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
            matmul(Xb, W1, a1)
            matmul(a1, W2, a2)
            matmul(a1.T, d2, G2)
            matmul(d2, W2.T, d1)
            matmul(Xb.T, d1, G1)
        return time.perf_counter() - start

    return epoch, 2 * n * (2 * d * HIDDEN + 3 * HIDDEN * 10)


def predict_floor(X):
    """The first layer's product for every row of X, alone, in the chunks
    ``predict_proba`` uses."""
    from sknn_sigmoid._training import PREDICT_CHUNK_ROWS

    W1 = np.random.default_rng(0).random((X.shape[1], HIDDEN), dtype=np.float32)
    out = np.empty((PREDICT_CHUNK_ROWS, HIDDEN), np.float32)

    def run():
        start = time.perf_counter()
        for i in range(0, X.shape[0], PREDICT_CHUNK_ROWS):
            Xc = X[i : i + PREDICT_CHUNK_ROWS]
            matmul(Xc, W1, out[: len(Xc)])
        return time.perf_counter() - start

    return run


def interleaved(measures, repeats):
    """Every run of each of ``measures`` (name: callable), taking turns, ``repeats``
    rounds: the load of the machine falls on all of them alike."""
    runs = {name: [] for name in measures}
    for _ in range(repeats):
        for name, measure in measures.items():
            runs[name].append(measure())
    return runs


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
    X = np.ascontiguousarray(data[:, :-1])
    y = data[:, -1].astype(np.int64)
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


def _commit():
    """The repository's commit, with "+changes" if the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+changes" if dirty else "")


def machine():
    blas = [
        {k: info.get(k) for k in ("internal_api", "version", "architecture", "prefix")}
        for info in threadpoolctl.threadpool_info()
        if info["user_api"] == "blas"
    ]
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "commit": _commit(),
        "torch": None if torch is None else torch.__version__,
        "blas": blas,
    }


def epochs_by_batch_size(X, y, repeats, results):
    """Section 1: every contender's epoch at every batch size, interleaved."""
    net = None if torch is None else TorchNetwork(X, y)
    for batch_size in BATCH_SIZES:
        floor_epoch, flops = gemm_floor(X, batch_size)
        measures = {
            "ours": lambda b=batch_size: seconds_per_epoch(ours(b), X, y),
            "scikit-learn": lambda b=batch_size: seconds_per_epoch(theirs(b), X, y),
        }
        if net is not None:
            measures["pytorch"] = lambda b=batch_size: net.epoch(b)
        measures["ours_1_blas_thread"] = one_blas_thread(measures["ours"])
        measures["floor_2_threads"] = floor_epoch
        measures["floor_1_thread"] = one_blas_thread(floor_epoch)
        runs = interleaved(measures, repeats)
        medians = {name: median(times) for name, times in runs.items()}
        # The floor: the products on whichever thread count does them faster.
        medians["floor"] = min(medians["floor_1_thread"], medians["floor_2_threads"])
        reference = medians["scikit-learn"]
        results[f"epoch_batch_{batch_size}"] = {
            "seconds": medians,
            "ratio_to_scikit_learn": {k: v / reference for k, v in medians.items()},
            "target": f"ours <= {TARGETS[batch_size]} x scikit-learn",
            "floor_fraction": medians["floor"] / medians["ours"],
            "floor_gflop_per_s": flops / medians["floor"] / 1e9,
            "runs": runs,
        }
        print(f"batch {batch_size}: {medians}", flush=True)


def prediction(X, y, repeats, results):
    """Section 2: predict_proba on the training images, interleaved."""
    fitted_ours = fit_quietly(ours(128, max_iter=1), X, y)
    fitted_theirs = fit_quietly(theirs(128, max_iter=1), X, y)

    def timed(predict):
        def run():
            start = time.perf_counter()
            predict(X)
            return time.perf_counter() - start

        return run

    measures = {
        "ours": timed(fitted_ours.predict_proba),
        "scikit-learn": timed(fitted_theirs.predict_proba),
    }
    if torch is not None:
        net = TorchNetwork(X, y)
        net.epoch(512)
        measures["pytorch"] = lambda: net.predict_seconds(X)
    measures["floor"] = predict_floor(X)
    runs = interleaved(measures, max(repeats, 11))
    medians = {name: median(times) for name, times in runs.items()}
    results["predict_proba_60000"] = {
        "seconds": medians,
        "ratio_to_scikit_learn": {
            k: v / medians["scikit-learn"] for k, v in medians.items()
        },
        "target": "ours <= 0.8 x scikit-learn",
        "floor_fraction": medians["floor"] / medians["ours"],
        "runs": runs,
    }
    print(f"predict_proba: {medians}", flush=True)


def saturation(X, y, repeats, results):
    """Section 3: a learning rate of 1000 (every output unit and some hidden ones
    saturated), and inputs scaled 100-fold (most hidden units), against normal."""
    X_large = X * np.float32(100)
    large_rate = ours(128, learning_rate_init=SATURATING_RATE)
    large_inputs = ours(128)
    runs = interleaved(
        {
            "normal": lambda: seconds_per_epoch(ours(128), X, y, 2),
            "large_rate": lambda: seconds_per_epoch(large_rate, X, y, 2),
            "large_inputs": lambda: seconds_per_epoch(large_inputs, X_large, y, 2),
        },
        repeats,
    )
    normal = median(runs["normal"])
    results["saturated_epoch"] = {
        "normal_s": normal,
        "large_rate_ratio": median(runs["large_rate"]) / normal,
        "large_rate_saturated": saturated_fraction(large_rate, X),
        "inputs_x100_ratio": median(runs["large_inputs"]) / normal,
        "inputs_x100_saturated": saturated_fraction(large_inputs, X_large),
        "target": "<= 1.5",
        "runs": runs,
    }


def memory(X, y, results):
    """Section 4: fit's peak memory above the data, each in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        npy = str(Path(tmp) / "mnist.npy")
        np.save(npy, np.hstack([X, y[:, None].astype(np.float32)]))
        for suffix in ("", "_early_stopping"):
            results[f"fit_peak_MiB{suffix}"] = {
                "ours": peak_memory("ours" + suffix, npy)["above_data_MiB"],
                "scikit-learn": peak_memory("theirs" + suffix, npy)["above_data_MiB"],
                "target": "ours <= 64 MiB",
            }


def logistic(X, y, X_test, y_test, repeats, results):
    """Section 5: OneVsRestLogistic against LogisticRegression."""
    scores = {}

    def fit_time(est):
        start = time.perf_counter()
        fit_quietly(est, X, y)
        elapsed = time.perf_counter() - start
        scores.setdefault(type(est).__name__, est.score(X_test, y_test))
        return elapsed

    runs = interleaved(
        {
            "ours": lambda: fit_time(OneVsRestLogistic(random_state=0)),
            "scikit-learn": lambda: fit_time(LogisticRegression()),
        },
        repeats,
    )
    a, b = median(runs["ours"]), median(runs["scikit-learn"])
    results["logistic_fit_s"] = {
        "ours": a,
        "scikit-learn": b,
        "ratio": a / b,
        "target": "<= 0.5",
        "accuracy": scores,
        "runs": runs,
    }


def report(results):
    names = ["ours", "scikit-learn", "pytorch", "ours_1_blas_thread", "floor"]
    names = [n for n in names if n in results["epoch_batch_16"]["seconds"]]
    header = "".join(f"{n:>22}" for n in names)
    print(f"{'seconds (ratio to sklearn)':<22}{header}")
    for key in [f"epoch_batch_{b}" for b in BATCH_SIZES] + ["predict_proba_60000"]:
        row = results[key]
        cells = [
            f"{row['seconds'][n]:.3f} ({row['ratio_to_scikit_learn'][n]:.2f})"
            if n in row["seconds"]
            else "-"
            for n in names
        ]
        print(f"{key:<22}" + "".join(f"{c:>22}" for c in cells))
        print(f"{'':<22}ours reaches {row['floor_fraction']:.0%} of the floor")
    sat = results["saturated_epoch"]
    print(
        f"saturated epoch: {sat['large_rate_ratio']:.2f} x a normal one (rate "
        f"{SATURATING_RATE:g}), {sat['inputs_x100_ratio']:.2f} x (inputs x100)"
    )
    for suffix in ("", "_early_stopping"):
        row = results[f"fit_peak_MiB{suffix}"]
        print(
            f"fit peak above the data{suffix}: ours {row['ours']:.1f} MiB, "
            f"scikit-learn {row['scikit-learn']:.1f} MiB"
        )
    row = results["logistic_fit_s"]
    print(
        f"OneVsRestLogistic {row['ours']:.2f} s, LogisticRegression "
        f"{row['scikit-learn']:.2f} s (ratio {row['ratio']:.2f}); {row['accuracy']}"
    )


def draw(results, path):
    """Seconds per epoch by batch size, one line per contender, and each one's
    ratio to scikit-learn's with the targets."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print("matplotlib is not installed: no figure")
        return
    labels = {
        "ours": "sknn_sigmoid",
        "scikit-learn": "scikit-learn MLPClassifier",
        "pytorch": "PyTorch (CPU)",
        "floor": "the matrix products alone (floor)",
    }
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    for name, label in labels.items():
        rows = [results[f"epoch_batch_{b}"] for b in BATCH_SIZES]
        if any(name not in row["seconds"] for row in rows):
            continue
        style = "--" if name == "floor" else "-"
        left.plot(
            BATCH_SIZES,
            [row["seconds"][name] for row in rows],
            style,
            marker="o",
            label=label,
        )
        right.plot(
            BATCH_SIZES,
            [row["ratio_to_scikit_learn"][name] for row in rows],
            style,
            marker="o",
            label=label,
        )
    right.plot(
        BATCH_SIZES,
        [TARGETS[b] for b in BATCH_SIZES],
        "k_",
        markersize=18,
        markeredgewidth=2,
        linestyle="none",
        label="target for sknn_sigmoid",
    )
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(BATCH_SIZES, [str(b) for b in BATCH_SIZES])
        ax.set_xlabel("batch size")
        ax.grid(alpha=0.3)
    left.set_yscale("log")
    for axis in (left.yaxis,):
        axis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        axis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    left.set_ylabel("seconds per epoch (median)")
    right.set_ylim(0, 1.1)
    right.set_ylabel("time / scikit-learn's time")
    right.legend(fontsize=7, loc="lower right")
    m = results["machine"]
    kernel = ", ".join(sorted({b["architecture"] or "?" for b in m["blas"]}))
    fig.suptitle(
        f"One epoch of MNIST, 784-300-10, float32, SGD with momentum: "
        f"{m['cpu']}, {m['cores']} cores, OpenBLAS {kernel} kernel",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"Figure written to {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKNN_SIGMOID_MNIST"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "speed.json"))
    parser.add_argument(
        "--figure", default=str(REPO / "docs" / "_static" / "speed.png")
    )
    parser.add_argument(
        "--rows", type=int, default=None, help="train on the first ROWS images only"
    )
    parser.add_argument("--child-memory")
    parser.add_argument("--npy")
    args = parser.parse_args()
    if args.child_memory:
        return child_memory(args.child_memory, args.npy)

    X, y, X_test, y_test = load(args.data or DEFAULT_DATA)
    X, y = X[: args.rows], y[: args.rows]
    repeats = max(args.repeats, 3)
    results = {"machine": machine(), "repeats": repeats, "command": sys.argv}
    epochs_by_batch_size(X, y, repeats, results)
    prediction(X, y, repeats, results)
    saturation(X, y, repeats, results)
    memory(X, y, results)
    logistic(X, y, X_test, y_test, repeats, results)
    report(results)
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"Figures written to {args.json}")
    draw(results, args.figure)


if __name__ == "__main__":
    main()
