"""
==========================================================================
Training on data larger than memory: partial_fit over a memory-mapped file
==========================================================================

``partial_fit`` runs one epoch of gradient descent over the rows it is given and
continues from the fitted state, so a network can learn from a data set that never
sits in memory as a whole: read a chunk of rows, call ``partial_fit`` on it, forget
it, read the next chunk, and go over the file several times.

This script writes the 60,000 MNIST training images, scaled to [0, 1], to a
``.npy`` file on disk (a :class:`numpy.memmap` opened with
:func:`numpy.lib.format.open_memmap`), then trains
:class:`~sknn_sigmoid.SigmoidMLPClassifier` reading one chunk at a time, and prints
the test accuracy. It measures the peak memory of each training run: the peak
follows the size of a chunk, not the size of the data, while training on the array
loaded whole needs memory for all of it.

Peak memory is the resident set's high-water mark (``VmHWM`` in
``/proc/self/status``), reset before each run by writing ``5`` to
``/proc/self/clear_refs``; where that is not possible (not Linux), it is the peak
of the allocations :mod:`tracemalloc` sees.

Run it with the folder holding the four MNIST IDX files::

    python examples/streaming_memmap.py /path/to/mnist

Without an argument, the folder named by the ``SKNN_SIGMOID_MNIST`` environment
variable is used, and without that :func:`sknn_sigmoid.datasets.load_mnist` fetches
MNIST from OpenML. The script needs MNIST, so it is not run when the documentation
is built; it runs in well under a minute on two cores.
"""

# %%
# Write the training set to a memory-mapped file
# ----------------------------------------------
#
# The images are converted to float32 in [0, 1] chunk by chunk, straight into the
# file: the float copy of the whole set (179 MiB) is never built in memory. The
# labels (60,000 bytes) and the test set stay in memory.

import os
import sys
import tempfile
import time
import tracemalloc

import numpy as np

from sknn_sigmoid import SigmoidMLPClassifier
from sknn_sigmoid.datasets import load_mnist

mnist_dir = sys.argv[1] if len(sys.argv) > 1 else None
images, y_train = load_mnist(mnist_dir, subset="train", dtype=np.uint8, return_X_y=True)
X_test, y_test = load_mnist(mnist_dir, subset="test", return_X_y=True)
X_test /= 255

workdir = tempfile.TemporaryDirectory()
train_file = os.path.join(workdir.name, "mnist_train.npy")
X_file = np.lib.format.open_memmap(
    train_file, mode="w+", dtype=np.float32, shape=images.shape
)
for start in range(0, len(images), 10_000):
    X_file[start : start + 10_000] = images[start : start + 10_000] / np.float32(255)
X_file.flush()
n_rows, n_features = X_file.shape
del X_file, images  # close the file; drop the uint8 copy
print(
    f"wrote {train_file}: {n_rows} x {n_features} float32, "
    f"{os.path.getsize(train_file) / 2**20:.0f} MiB"
)

# %%
# Measuring peak memory
# ---------------------


class PeakMemory:
    """Peak memory used inside a ``with`` block, above what was in use at its start.

    On Linux, the high-water mark of the resident set (``VmHWM``), reset on entry;
    elsewhere, the peak of the Python and NumPy allocations seen by tracemalloc.
    """

    def __enter__(self):
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM to the current resident set size
            self.method = "VmHWM"
            self.start = self._status("VmRSS")
        except OSError:
            self.method = "tracemalloc"
            tracemalloc.start()
            tracemalloc.reset_peak()
            self.start = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(self, *exc):
        if self.method == "VmHWM":
            self.peak = self._status("VmHWM") - self.start
        else:
            self.peak = tracemalloc.get_traced_memory()[1] - self.start
            tracemalloc.stop()
        self.mib = self.peak / 2**20

    @staticmethod
    def _status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024  # kB
        raise OSError(f"{field} not in /proc/self/status")


# %%
# Training chunk by chunk
# -----------------------
#
# Each pass visits the chunks in a new random order. For every chunk the file is
# mapped, the chunk's rows (a view of the file, not a copy) go to ``partial_fit``,
# and the mapping is closed again. The pages of the file a mapping has read count in
# the process's resident memory until it is closed: a memmap kept open over all the
# passes would end up holding the whole file (the last run below shows it; those
# pages are clean page cache the system can take back, but they fill the resident
# set all the same).

CLASSES = np.arange(10)
PASSES = 3
# A constant rate: the default "adaptive" schedule counts every call of partial_fit
# as an epoch, and the losses of different chunks differ by more than tol, so it
# would take them for stalls and divide the rate by 5 again and again.
PARAMS = dict(
    hidden_layer_sizes=(100,),
    solver="adam",
    learning_rate_init=0.01,
    learning_rate="constant",
    batch_size=128,
    random_state=0,
)


def train_out_of_core(path, y, chunk_rows, n_rows, passes=PASSES, reopen=True):
    model = SigmoidMLPClassifier(**PARAMS)
    rng = np.random.default_rng(0)
    starts = np.arange(0, n_rows, chunk_rows)
    X_file = np.load(path, mmap_mode="r")  # maps the file; reads nothing yet
    for _ in range(passes):
        for start in rng.permutation(starts):
            stop = min(start + chunk_rows, n_rows)
            model.partial_fit(X_file[start:stop], y[start:stop], CLASSES)
            if reopen:
                del X_file  # unmaps the file: the chunk's pages leave memory
                X_file = np.load(path, mmap_mode="r")
    return model


def read_rows(path, n_rows):
    """The first ``n_rows`` rows of a .npy file, read into memory (no memmap)."""
    with open(path, "rb") as f:
        np.lib.format.read_magic(f)
        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        return np.fromfile(f, dtype, count=n_rows * shape[1]).reshape(n_rows, -1)


def train_in_memory(path, y, n_rows, passes=PASSES):
    X = read_rows(path, n_rows)  # all the rows in memory
    model = SigmoidMLPClassifier(**PARAMS)
    for _ in range(passes):
        model.partial_fit(X, y[:n_rows], CLASSES)
    return model


runs = [
    ("out of core", 2_000, 20_000),
    ("out of core", 2_000, n_rows),
    ("out of core", 20_000, n_rows),
    ("in memory", None, 20_000),
    ("in memory", None, n_rows),
    ("memmap open", 2_000, n_rows),
]
print(f"\n{PASSES} passes, {PARAMS}")
print(f"{'training':<12} {'chunk':>7} {'rows':>7} {'peak MiB':>9} {'time s':>7} acc")
for kind, chunk_rows, rows in runs:
    tic = time.perf_counter()
    with PeakMemory() as memory:
        if kind == "in memory":
            model = train_in_memory(train_file, y_train, rows)
        else:
            reopen = kind == "out of core"
            model = train_out_of_core(
                train_file, y_train, chunk_rows, rows, reopen=reopen
            )
    seconds = time.perf_counter() - tic
    accuracy = model.score(X_test, y_test)
    chunk = "-" if chunk_rows is None else chunk_rows
    print(
        f"{kind:<12} {chunk:>7} {rows:>7} {memory.mib:>9.1f} {seconds:>7.1f} "
        f"{accuracy:.4f}"
    )
print(f"(peak memory above the start of each run, measured with {memory.method})")

# %%
# The peak follows the chunk, not the data: with 2,000-row chunks (6 MiB of float32
# each) training takes about 8 MiB whether the file has 20,000 rows or 60,000, and
# with 20,000-row chunks about 60 MiB, the size of one chunk. Loading the rows
# whole takes memory in proportion to them (60 and 180 MiB), and so does a memmap
# left open (180 MiB). The accuracy of training chunk by chunk is within 0.1 point
# of training on the whole array (96.6% on 60,000 rows): each pass still visits
# every row once.

workdir.cleanup()
