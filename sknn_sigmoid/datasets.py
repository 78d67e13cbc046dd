"""Dataset loaders.

Currently provides :func:`load_mnist`, a reader for the MNIST handwritten
digit database in its original IDX file format (plain or gzip-compressed),
with a fallback to the copy of MNIST hosted on OpenML.

The IDX reader validates every file before trusting it: the header is
checked for a sane magic number, data type and number of dimensions, and the
amount of data the header claims is compared with what the file can actually
hold *before* any buffer of that size is allocated.  Gzip-compressed files
are decompressed incrementally, so a damaged or malicious file whose header
claims far more data than is present fails as "truncated" without ever
allocating the claimed amount of memory.
"""

import gzip
import importlib.util
import os
import zlib

import numpy as np
from sklearn.datasets import fetch_openml
from sklearn.utils import Bunch

__all__ = ["load_mnist"]

#: Environment variable naming a directory that holds the MNIST IDX files.
MNIST_ENV_VAR = "SKNN_SIGMOID_MNIST"

_MNIST_URL = "https://yann.lecun.com/exdb/mnist/"

_SUBSETS = ("train", "test", "all")
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.uint8))

# File stems (canonical spelling) of the two splits.
_STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

_N_ROWS = 28
_N_COLS = 28
_N_CLASSES = 10

# Sizes of the official splits; used to split the OpenML copy, which stores
# the 60,000 training images followed by the 10,000 test images.
_MNIST_N_TRAIN = 60_000
_MNIST_N_TEST = 10_000

# IDX format constants.
_IDX_TYPE_UBYTE = 0x08
_IDX_IMAGES_MAGIC = 0x00000803
_IDX_LABELS_MAGIC = 0x00000801

# Upper bound on the size of the data an IDX header may claim.  MNIST's
# largest file holds about 47 MB; anything beyond this limit is treated as
# damage rather than as a request to allocate that much memory.
_MAX_DATA_BYTES = 2**31

# A DEFLATE stream cannot expand by more than a factor of about 1032, so a
# gzip file of ``s`` bytes cannot decompress to more than ``1032 * s`` bytes.
# A small safety margin is added on top.
_MAX_GZIP_RATIO = 1100

# Size of the pieces in which compressed files are decompressed.
_CHUNK_BYTES = 1 << 20


_GZIP_MAGIC = b"\x1f\x8b"


def _is_gzip_file(filename):
    """Whether the file starts as a gzip stream does (whatever its name says).

    An IDX file starts with two zero bytes, so the two cannot be confused; a file
    that a browser decompressed but left named ``*.gz`` is read as what it is.
    """
    with open(filename, "rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def _read_exactly(fh, n_bytes, filename):
    """Read ``n_bytes`` from ``fh`` incrementally, growing only as data arrives.

    Raises ``ValueError`` if the stream ends early.  The returned buffer is a
    writable ``bytearray``.
    """
    buf = bytearray()
    while len(buf) < n_bytes:
        chunk = fh.read(min(_CHUNK_BYTES, n_bytes - len(buf)))
        if not chunk:
            raise ValueError(
                f"{filename!s}: file is truncated: the header claims {n_bytes} "
                f"bytes of data but only {len(buf)} are present."
            )
        buf += chunk
    return buf


def _parse_header(fh, filename):
    """Read and check an IDX header; return its magic number and shape."""
    magic = fh.read(4)
    if len(magic) == 0:
        raise ValueError(f"{filename!s}: file is empty.")
    if len(magic) < 4:
        raise ValueError(
            f"{filename!s}: truncated header: got {len(magic)} of the 4 bytes "
            "of the magic number."
        )
    if magic[0] != 0 or magic[1] != 0:
        raise ValueError(
            f"{filename!s}: bad magic number 0x{magic.hex()}: the first two "
            "bytes of an IDX file must be zero, and a gzip-compressed file starts "
            "with 0x1f8b. This is neither an IDX file nor a gzip stream."
        )
    if magic[2] != _IDX_TYPE_UBYTE:
        raise ValueError(
            f"{filename!s}: bad magic number 0x{magic.hex()}: unsupported data "
            f"type code 0x{magic[2]:02x}; only unsigned byte (0x08) is supported."
        )
    ndim = magic[3]
    if ndim == 0:
        raise ValueError(
            f"{filename!s}: bad magic number 0x{magic.hex()}: the number of "
            "dimensions is zero."
        )
    raw_dims = fh.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise ValueError(
            f"{filename!s}: truncated header: {ndim} dimensions need "
            f"{4 * ndim} bytes of sizes but only {len(raw_dims)} are present."
        )
    shape = tuple(
        int.from_bytes(raw_dims[4 * i : 4 * i + 4], "big") for i in range(ndim)
    )
    return int.from_bytes(magic, "big"), shape


def _check_claimed_size(filename, shape, n_data, file_size, header_size, gz):
    """Check the data size declared in the header against the file size."""
    if gz:
        # The decompressed size is unknown without decompressing, but it is
        # bounded by the maximal DEFLATE expansion ratio.
        most = _MAX_GZIP_RATIO * file_size
        if header_size + n_data > most:
            raise ValueError(
                f"{filename!s}: file is truncated or damaged: the header "
                f"declares shape {shape} ({n_data} bytes of data), more than a "
                f"gzip file of {file_size} bytes can possibly hold."
            )
    else:
        present = file_size - header_size
        if present < n_data:
            raise ValueError(
                f"{filename!s}: file is truncated: the header declares shape "
                f"{shape} ({n_data} bytes of data) but only {present} bytes "
                "follow the header."
            )
        if present > n_data:
            raise ValueError(
                f"{filename!s}: unexpected trailing data: the header declares "
                f"shape {shape} ({n_data} bytes of data) but {present} bytes "
                "follow the header."
            )
    if n_data > _MAX_DATA_BYTES:
        raise ValueError(
            f"{filename!s}: implausible header: shape {shape} means {n_data} "
            f"bytes of data, more than the limit of {_MAX_DATA_BYTES} bytes."
        )


def _read_idx(filename, *, magic=None, trailing_shape=None):
    """Read an IDX file of unsigned bytes into a NumPy array.

    Parameters
    ----------
    filename : str or path-like
        Path of the file.  A file that starts as a gzip stream is decompressed,
        whatever its name.
    magic : int, default=None
        If given, the magic number the file must have (for example
        ``0x00000803`` for a three-dimensional unsigned-byte array).
    trailing_shape : tuple of int, default=None
        If given, the required sizes of all dimensions but the first.

    Returns
    -------
    array : ndarray of dtype uint8
        Writable array with the shape declared in the header.

    Raises
    ------
    ValueError
        If the file is empty, truncated, has trailing data, a bad or
        unexpected magic number, an unexpected shape, or is not a valid gzip
        stream.  The message names the file.  All size checks happen before
        memory for the data is allocated.
    """
    filename = os.fsdecode(filename)
    file_size = os.path.getsize(filename)
    if file_size == 0:
        raise ValueError(f"{filename!s}: file is empty.")
    gz = _is_gzip_file(filename)
    opener = gzip.open if gz else open
    try:
        with opener(filename, "rb") as fh:
            found_magic, shape = _parse_header(fh, filename)
            if magic is not None and found_magic != magic:
                raise ValueError(
                    f"{filename!s}: wrong magic number 0x{found_magic:08x}, "
                    f"expected 0x{magic:08x} (the magic number encodes the "
                    "data type and the number of dimensions)."
                )
            if trailing_shape is not None and shape[1:] != tuple(trailing_shape):
                raise ValueError(
                    f"{filename!s}: unexpected shape {shape}: expected "
                    f"(n, {', '.join(str(s) for s in trailing_shape)})."
                )
            header_size = 4 + 4 * len(shape)
            n_data = 1
            for size in shape:
                n_data *= size
            _check_claimed_size(filename, shape, n_data, file_size, header_size, gz)
            buf = _read_exactly(fh, n_data, filename)
            if fh.read(1):
                raise ValueError(
                    f"{filename!s}: unexpected trailing data after the "
                    f"{n_data} bytes declared by the header (shape {shape})."
                )
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise ValueError(
            f"{filename!s}: corrupt or truncated gzip stream: {exc}"
        ) from exc
    try:
        return np.frombuffer(buf, dtype=np.uint8).reshape(shape)
    except (ValueError, MemoryError) as exc:  # a shape numpy cannot represent
        raise ValueError(
            f"{filename!s}: header dimensions {shape} cannot be represented: {exc}"
        ) from exc


def _candidate_names(stem):
    """File names accepted for ``stem``, e.g. ``train-images-idx3-ubyte``."""
    dotted = stem.replace("-idx", ".idx")
    return [stem, dotted, stem + ".gz", dotted + ".gz"]


def _find_file(directory, stem):
    """Return the path of the file for ``stem`` in ``directory``.

    Both the ``train-images-idx3-ubyte`` and ``train-images.idx3-ubyte``
    spellings are accepted, each optionally with a ``.gz`` suffix.

    Raises
    ------
    FileNotFoundError
        If none of the accepted names exists in ``directory``.
    """
    names = _candidate_names(stem)
    for name in names:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f"MNIST file {stem!r} not found in {directory!s}; looked for "
        + ", ".join(names)
        + "."
    )


def _check_dtype(dtype):
    if dtype is None:  # np.dtype(None) would silently mean float64
        raise ValueError("dtype must be one of float32, float64 or uint8; got None.")
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise ValueError(
            f"dtype must be one of float32, float64 or uint8; got {dtype!r}."
        ) from exc
    if dt not in _DTYPES:
        raise ValueError(f"dtype must be one of float32, float64 or uint8; got {dt}.")
    return dt


def _not_found_message(reason):
    return (
        "MNIST data not found: no path was given, the environment variable "
        f"{MNIST_ENV_VAR} is not set, and downloading 'mnist_784' from OpenML "
        f"failed ({reason}). Download the four IDX files "
        "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (from "
        f"{_MNIST_URL} or a mirror) into a directory, then pass that "
        f"directory as `path` or set {MNIST_ENV_VAR} to it."
    )


def _load_from_directory(directory, subset):
    """Read the requested split(s); return uint8 images, labels and files."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"MNIST directory not found: {directory!s} does not exist or is "
            "not a directory."
        )
    splits = ("train", "test") if subset == "all" else (subset,)
    # Locate every file first so that one error reports all missing files.
    pairs, missing = [], []
    for split in splits:
        found = []
        for stem in _STEMS[split]:
            try:
                found.append(_find_file(directory, stem))
            except FileNotFoundError as exc:
                missing.append(str(exc))
        pairs.append(found)
    if missing:
        raise FileNotFoundError(" ".join(missing))

    images, labels = [], []
    for image_file, label_file in pairs:
        y = _read_idx(label_file, magic=_IDX_LABELS_MAGIC)
        X = _read_idx(
            image_file, magic=_IDX_IMAGES_MAGIC, trailing_shape=(_N_ROWS, _N_COLS)
        )
        if X.shape[0] != y.shape[0]:
            raise ValueError(
                f"Count mismatch: {image_file!s} holds {X.shape[0]} images but "
                f"{label_file!s} holds {y.shape[0]} labels."
            )
        if X.shape[0] == 0:
            raise ValueError(f"{image_file!s}: file holds no images.")
        if y.max() >= _N_CLASSES:
            raise ValueError(
                f"{label_file!s}: labels out of range: found label "
                f"{int(y.max())}, expected 0..{_N_CLASSES - 1}."
            )
        images.append(X.reshape(X.shape[0], _N_ROWS * _N_COLS))
        labels.append(y)
    files = [os.path.abspath(f) for pair in pairs for f in pair]
    return images, labels, files


def _load_from_openml(subset, dtype):
    """Fetch MNIST from OpenML; return images in ``dtype``, labels and source.

    The arrays returned hold the requested split only, in memory of their own
    (not views of the 70,000 rows downloaded).  scikit-learn's pandas parser,
    about ten times faster than its liac-arff parser, is used when pandas is
    installed.
    """
    parser = "pandas" if importlib.util.find_spec("pandas") else "liac-arff"
    try:
        bunch = fetch_openml(
            "mnist_784",
            version=1,
            as_frame=False,
            parser=parser,
            n_retries=1,
            delay=0.5,
        )
    except Exception as exc:  # network, HTTP, cache or parse errors
        reason = f"{type(exc).__name__}: {exc}"
        raise FileNotFoundError(_not_found_message(reason)) from exc

    X = np.asarray(bunch.data)
    n_total = _MNIST_N_TRAIN + _MNIST_N_TEST
    if X.shape != (n_total, _N_ROWS * _N_COLS):
        raise ValueError(
            f"OpenML 'mnist_784' has unexpected shape {X.shape}; expected "
            f"({n_total}, {_N_ROWS * _N_COLS})."
        )
    y = np.asarray(bunch.target).astype(str).astype(np.int64)
    if y.shape != (n_total,) or y.min() < 0 or y.max() >= _N_CLASSES:
        raise ValueError("OpenML 'mnist_784' has unexpected targets.")
    if subset == "train":
        sl = slice(0, _MNIST_N_TRAIN)
    elif subset == "test":
        sl = slice(_MNIST_N_TRAIN, n_total)
    else:
        sl = slice(0, n_total)
    X = np.array(X[sl], dtype=dtype)  # a copy: the download is not kept alive
    return [X], [y[sl].copy()], ["OpenML dataset 'mnist_784' (version 1)"]


_DESCR_TEMPLATE = """\
.. _mnist_dataset:

MNIST handwritten digits dataset
--------------------------------

MNIST is a database of 70,000 grey-scale images of handwritten digits 0-9,
split into a training set of 60,000 images and a test set of 10,000 images.
Each image is 28x28 pixels, the digit size-normalised and centred by centre
of mass; the writers of the training set and of the test set are disjoint.

**Data Set Characteristics:**

:Subset loaded: {subset}
:Number of Instances: {n_samples}
:Number of Attributes: 784 (28x28 pixels, row-major)
:Attribute Information: pixel intensities, integers 0..255 as stored in the
    files (0 = background, 255 = full ink); they are NOT scaled, use
    e.g. ``sklearn.preprocessing.MinMaxScaler`` for that.
:Target: digit labels 0..9
:Data dtype: {dtype}
:Source:{sources}

``images`` holds the same pixels as ``data``, reshaped to (n, 28, 28).

**References:**

- Y. LeCun, L. Bottou, Y. Bengio and P. Haffner. "Gradient-based learning
  applied to document recognition." Proceedings of the IEEE, 86(11):
  2278-2324, November 1998.
- https://yann.lecun.com/exdb/mnist/
"""


def load_mnist(
    path=None, *, subset="train", dtype=np.float32, return_X_y=False, as_frame=False
):
    """Load the MNIST handwritten digits dataset.

    Reads the four MNIST files in IDX format (``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte``) from a directory.  Each file may be gzip
    compressed (``.gz`` suffix) or not, and the spelling with a dot before
    ``idx`` (``train-images.idx3-ubyte``) is accepted as well.  Compression is
    recognised from the file's first bytes, so a file left named ``*.gz`` after
    it was decompressed is read too.

    Pixel values are returned exactly as stored, as integers 0..255 (in the
    requested ``dtype``); no scaling is applied.  Use
    :class:`sklearn.preprocessing.MinMaxScaler` to map them to [0, 1].

    Parameters
    ----------
    path : str, bytes or path-like, default=None
        Directory holding the IDX files (``~`` is expanded).  If None, the
        directory named by the
        environment variable ``SKNN_SIGMOID_MNIST`` is used; if that is not
        set either, the dataset is fetched with
        :func:`sklearn.datasets.fetch_openml` (``mnist_784``, version 1,
        cached in scikit-learn's data home).
    subset : {"train", "test", "all"}, default="train"
        Which part to load: the 60,000 training images, the 10,000 test
        images, or all 70,000 (training images first, then test images).
    dtype : {np.float32, np.float64, np.uint8}, default=np.float32
        Data type of ``data`` and ``images``.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame with columns ``"pixel_0"`` ...
        ``"pixel_783"``, ``target`` a pandas Series named ``"target"``, and
        ``frame`` a DataFrame of both, as in
        :func:`sklearn.datasets.load_digits`.  Requires pandas.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : {ndarray, DataFrame} of shape (n_samples, 784)
            Pixel values 0..255, one row per image, in row-major order.  A
            DataFrame if ``as_frame`` is True.
        target : {ndarray, Series} of shape (n_samples,), dtype int64
            Digit labels 0..9.  A Series if ``as_frame`` is True.
        frame : DataFrame of shape (n_samples, 785) or None
            ``data`` and ``target`` in one DataFrame if ``as_frame`` is True,
            else None.
        images : ndarray of shape (n_samples, 28, 28)
            The same pixels as ``data``, always a NumPy array (a reshaped view
            of ``data`` unless ``as_frame`` is True).
        target_names : ndarray of shape (10,)
            The classes, ``np.arange(10)``.
        feature_names : list of str
            ``"pixel_0"`` ... ``"pixel_783"``.
        DESCR : str
            Description of the dataset, including the files it was read from.

    (data, target) : tuple if ``return_X_y`` is True
        ``data`` of shape (n_samples, 784) and ``target`` of shape
        (n_samples,) (a DataFrame and a Series if ``as_frame`` is True).

    Raises
    ------
    ValueError
        If ``subset``, ``dtype`` or ``as_frame`` is invalid, or if a file is
        damaged
        (empty, truncated, trailing data, wrong magic number, image size other
        than 28x28, different numbers of images and labels, labels outside
        0..9, corrupt gzip stream).  The message names the offending file.
    FileNotFoundError
        If the directory or one of the required files does not exist, or if
        ``path`` is None, ``SKNN_SIGMOID_MNIST`` is not set and the download
        from OpenML fails.

    References
    ----------
    Y. LeCun, L. Bottou, Y. Bengio and P. Haffner. "Gradient-based learning
    applied to document recognition." Proceedings of the IEEE, 86(11):
    2278-2324, 1998.

    Examples
    --------
    >>> from sknn_sigmoid.datasets import load_mnist
    >>> mnist = load_mnist("~/data/mnist")  # doctest: +SKIP
    >>> mnist.data.shape, mnist.data.dtype  # doctest: +SKIP
    ((60000, 784), dtype('float32'))
    >>> X_test, y_test = load_mnist(
    ...     "~/data/mnist", subset="test", return_X_y=True
    ... )  # doctest: +SKIP
    >>> X_test.shape, y_test[:5]  # doctest: +SKIP
    ((10000, 784), array([7, 2, 1, 0, 4]))

    Arguments are checked before any file is read:

    >>> load_mnist("~/data/mnist", subset="validation")
    Traceback (most recent call last):
        ...
    ValueError: subset must be one of 'train', 'test', 'all'; got 'validation'.
    """
    if subset not in _SUBSETS:
        raise ValueError(
            "subset must be one of "
            + ", ".join(repr(s) for s in _SUBSETS)
            + f"; got {subset!r}."
        )
    dt = _check_dtype(dtype)
    if not isinstance(as_frame, (bool, np.bool_)):
        raise ValueError(f"as_frame must be True or False; got {as_frame!r}.")
    if as_frame:
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "load_mnist(as_frame=True) requires pandas: pip install pandas."
            ) from exc

    if path is None:
        path = os.environ.get(MNIST_ENV_VAR) or None
    if path is None:
        images, labels, sources = _load_from_openml(subset, dt)
    else:
        directory = os.path.expanduser(os.fsdecode(path))
        images, labels, sources = _load_from_directory(directory, subset)

    # Convert to the requested dtype once (concatenating at the same time).
    if len(images) == 1:
        data = np.asarray(images[0]).astype(dt, copy=False)
        target = np.asarray(labels[0]).astype(np.int64, copy=False)
    else:
        data = np.concatenate(images, axis=0, dtype=dt)
        target = np.concatenate(labels, axis=0).astype(np.int64, copy=False)

    feature_names = [f"pixel_{i}" for i in range(_N_ROWS * _N_COLS)]
    images = data.reshape(data.shape[0], _N_ROWS, _N_COLS)
    frame = None
    if as_frame:
        data = pd.DataFrame(data, columns=feature_names, copy=False)
        target = pd.Series(target, name="target", copy=False)
        frame = pd.concat([data, target], axis=1)
        images = data.to_numpy().reshape(data.shape[0], _N_ROWS, _N_COLS)

    if return_X_y:
        return data, target

    descr = _DESCR_TEMPLATE.format(
        subset=subset,
        n_samples=data.shape[0],
        dtype=dt.name,
        sources="\n    ".join([""] + [str(s) for s in sources]),
    )
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        images=images,
        target_names=np.arange(_N_CLASSES),
        feature_names=feature_names,
        DESCR=descr,
    )
