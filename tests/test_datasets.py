"""Tests for sknn_sigmoid.datasets.load_mnist and its IDX reader."""

import gzip
import os
import struct
import time
import tracemalloc
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.utils import Bunch

import sknn_sigmoid.datasets as datasets_module
from sknn_sigmoid.datasets import load_mnist

ENV_VAR = "SKNN_SIGMOID_MNIST"

# The repository sits beside a ``shared`` directory holding the MNIST files.
_DEFAULT_MNIST_DIR = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
)
MNIST_DIR = Path(os.environ.get(ENV_VAR) or _DEFAULT_MNIST_DIR)

STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _real_files_present():
    if not MNIST_DIR.is_dir():
        return False
    names = {p.name for p in MNIST_DIR.iterdir()}
    for stems in STEMS.values():
        for stem in stems:
            dotted = stem.replace("-idx", ".idx")
            if not names & {stem, stem + ".gz", dotted, dotted + ".gz"}:
                return False
    return True


requires_mnist = pytest.mark.skipif(
    not _real_files_present(),
    reason=f"MNIST files not found at {MNIST_DIR} (set {ENV_VAR} to their directory)",
)


# --------------------------------------------------------------------------
# Helpers building synthetic IDX files
# --------------------------------------------------------------------------


def idx_bytes(array, *, type_code=0x08, ndim=None, magic_prefix=b"\x00\x00"):
    """Serialise a uint8 array in IDX format (header fields overridable)."""
    array = np.asarray(array, dtype=np.uint8)
    ndim = array.ndim if ndim is None else ndim
    header = magic_prefix + bytes([type_code, ndim])
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.tobytes()


def idx_header(shape, *, type_code=0x08):
    return bytes([0, 0, type_code, len(shape)]) + b"".join(
        struct.pack(">I", d) for d in shape
    )


def file_name(stem, *, gz=False, dotted=False):
    name = stem.replace("-idx", ".idx") if dotted else stem
    return name + ".gz" if gz else name


def write_file(directory, stem, content, *, gz=False, dotted=False):
    path = Path(directory) / file_name(stem, gz=gz, dotted=dotted)
    path.write_bytes(gzip.compress(content) if gz else content)
    return path


def make_split(n, rng):
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    return images, labels


def make_mnist_dir(directory, *, n_train=7, n_test=4, gz=False, dotted=False, seed=0):
    """Write a complete, valid synthetic MNIST directory; return the arrays."""
    rng = np.random.default_rng(seed)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images, labels = make_split(n, rng)
        image_stem, label_stem = STEMS[split]
        write_file(directory, image_stem, idx_bytes(images), gz=gz, dotted=dotted)
        write_file(directory, label_stem, idx_bytes(labels), gz=gz, dotted=dotted)
        arrays[split] = (images, labels)
    return arrays


@pytest.fixture
def no_network(monkeypatch):
    """Make any attempt to download from OpenML fail loudly."""
    calls = []

    def fake_fetch_openml(*args, **kwargs):
        calls.append((args, kwargs))
        raise URLError("network disabled in tests")

    monkeypatch.setattr(datasets_module, "fetch_openml", fake_fetch_openml)
    return calls


# --------------------------------------------------------------------------
# Real MNIST files
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_train():
    if not _real_files_present():
        pytest.skip(f"MNIST files not found at {MNIST_DIR}")
    return load_mnist(MNIST_DIR, subset="train")


@requires_mnist
@pytest.mark.parametrize(
    "subset, n_samples", [("train", 60_000), ("test", 10_000), ("all", 70_000)]
)
def test_real_shapes_and_dtypes(subset, n_samples):
    bunch = load_mnist(MNIST_DIR, subset=subset)
    assert isinstance(bunch, Bunch)
    assert bunch.data.shape == (n_samples, 784)
    assert bunch.data.dtype == np.float32
    assert bunch.target.shape == (n_samples,)
    assert bunch.target.dtype == np.int64
    assert bunch.images.shape == (n_samples, 28, 28)
    assert bunch.images.dtype == np.float32
    np.testing.assert_array_equal(bunch.target_names, np.arange(10))
    assert len(bunch.feature_names) == 784
    assert bunch.feature_names[0] == "pixel_0"
    assert bunch.feature_names[-1] == "pixel_783"
    assert "MNIST" in bunch.DESCR
    assert "LeCun" in bunch.DESCR
    assert "0..255" in bunch.DESCR


@requires_mnist
def test_real_pixels_unscaled(real_train):
    X = real_train.data
    assert X.min() == 0
    assert X.max() == 255
    # Values are the stored integers, not rescaled to [0, 1].
    np.testing.assert_array_equal(X, np.round(X))
    assert np.count_nonzero(X) > 0.1 * X.size
    assert np.unique(X[:1000]).size > 100


@requires_mnist
def test_real_known_first_labels(real_train):
    assert real_train.target[0] == 5
    np.testing.assert_array_equal(real_train.target[:5], [5, 0, 4, 1, 9])
    _, y_test = load_mnist(MNIST_DIR, subset="test", return_X_y=True)
    np.testing.assert_array_equal(y_test[:5], [7, 2, 1, 0, 4])


@requires_mnist
def test_real_class_counts_plausible(real_train):
    counts = np.bincount(real_train.target, minlength=10)
    assert counts.shape == (10,)
    assert counts.sum() == 60_000
    # Every digit is present, each making up roughly a tenth of the data.
    assert np.all(counts > 0.08 * 60_000)
    assert np.all(counts < 0.12 * 60_000)


@requires_mnist
def test_real_images_is_reshape_of_data(real_train):
    assert np.shares_memory(real_train.images, real_train.data)
    np.testing.assert_array_equal(
        real_train.images[123], real_train.data[123].reshape(28, 28)
    )
    # An image of a digit has ink in the centre and a blank border.
    image = real_train.images[0]
    assert image[0, :].sum() == 0
    assert image[10:18, 10:18].sum() > 0


@requires_mnist
def test_real_all_is_train_then_test():
    X_all, y_all = load_mnist(MNIST_DIR, subset="all", dtype=np.uint8, return_X_y=True)
    X_train, y_train = load_mnist(
        MNIST_DIR, subset="train", dtype=np.uint8, return_X_y=True
    )
    X_test, y_test = load_mnist(
        MNIST_DIR, subset="test", dtype=np.uint8, return_X_y=True
    )
    np.testing.assert_array_equal(y_all, np.concatenate([y_train, y_test]))
    np.testing.assert_array_equal(X_all[:60_000], X_train)
    np.testing.assert_array_equal(X_all[60_000:], X_test)


@requires_mnist
def test_real_return_X_y(real_train):
    result = load_mnist(MNIST_DIR, subset="train", return_X_y=True)
    assert isinstance(result, tuple)
    X, y = result
    np.testing.assert_array_equal(X, real_train.data)
    np.testing.assert_array_equal(y, real_train.target)


@requires_mnist
def test_real_env_var_used_when_path_is_none(monkeypatch, no_network):
    monkeypatch.setenv(ENV_VAR, str(MNIST_DIR))
    X, y = load_mnist(subset="test", return_X_y=True)
    X_ref, y_ref = load_mnist(MNIST_DIR, subset="test", return_X_y=True)
    assert X.shape == (10_000, 784)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    assert no_network == []


@requires_mnist
@pytest.mark.parametrize("dtype", [np.float64, np.uint8])
def test_real_other_dtypes(dtype, real_train):
    X, y = load_mnist(MNIST_DIR, subset="train", dtype=dtype, return_X_y=True)
    assert X.dtype == dtype
    np.testing.assert_array_equal(X.astype(np.float32), real_train.data)
    np.testing.assert_array_equal(y, real_train.target)


# --------------------------------------------------------------------------
# Synthetic files: valid input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dotted", [False, True])
def test_synthetic_roundtrip(tmp_path, gz, dotted):
    arrays = make_mnist_dir(tmp_path, gz=gz, dotted=dotted, seed=int(gz) + 2 * dotted)
    for subset in ("train", "test"):
        images, labels = arrays[subset]
        bunch = load_mnist(tmp_path, subset=subset)
        assert bunch.data.dtype == np.float32
        np.testing.assert_array_equal(bunch.images, images.astype(np.float32))
        np.testing.assert_array_equal(
            bunch.data, images.reshape(len(images), 784).astype(np.float32)
        )
        np.testing.assert_array_equal(bunch.target, labels.astype(np.int64))
        assert bunch.target.dtype == np.int64
        assert np.shares_memory(bunch.images, bunch.data)
        # The DESCR names the files that were read.
        for stem in STEMS[subset]:
            assert file_name(stem, gz=gz, dotted=dotted) in bunch.DESCR


def test_synthetic_all_concatenates_train_then_test(tmp_path):
    arrays = make_mnist_dir(tmp_path, n_train=5, n_test=3, seed=42)
    X, y = load_mnist(tmp_path, subset="all", dtype=np.uint8, return_X_y=True)
    assert X.shape == (8, 784)
    assert X.dtype == np.uint8
    expected_images = np.concatenate([arrays["train"][0], arrays["test"][0]])
    expected_labels = np.concatenate([arrays["train"][1], arrays["test"][1]])
    np.testing.assert_array_equal(X, expected_images.reshape(8, 784))
    np.testing.assert_array_equal(y, expected_labels)


def test_synthetic_mixed_compression_and_spelling(tmp_path):
    rng = np.random.default_rng(3)
    images, labels = make_split(6, rng)
    write_file(tmp_path, STEMS["train"][0], idx_bytes(images), gz=True)
    write_file(tmp_path, STEMS["train"][1], idx_bytes(labels), dotted=True)
    X, y = load_mnist(tmp_path, return_X_y=True)
    np.testing.assert_array_equal(X, images.reshape(6, 784))
    np.testing.assert_array_equal(y, labels)


def test_path_accepts_str_and_pathlike(tmp_path):
    arrays = make_mnist_dir(tmp_path, seed=5)
    X_str, _ = load_mnist(str(tmp_path), subset="test", return_X_y=True)
    X_path, _ = load_mnist(tmp_path, subset="test", return_X_y=True)
    np.testing.assert_array_equal(X_str, X_path)
    np.testing.assert_array_equal(X_str, arrays["test"][0].reshape(-1, 784))


@pytest.mark.parametrize("dtype", [np.float64, np.uint8, "float32"])
def test_synthetic_dtypes(tmp_path, dtype):
    arrays = make_mnist_dir(tmp_path, seed=11)
    bunch = load_mnist(tmp_path, dtype=dtype)
    assert bunch.data.dtype == np.dtype(dtype)
    assert bunch.images.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(bunch.images, arrays["train"][0])


def test_bytes_path(tmp_path):
    arrays = make_mnist_dir(tmp_path, seed=5)
    X, _ = load_mnist(os.fsencode(tmp_path), subset="test", return_X_y=True)
    np.testing.assert_array_equal(X, arrays["test"][0].reshape(-1, 784))


def test_bunch_has_the_keys_of_scikit_learns_loaders(tmp_path):
    make_mnist_dir(tmp_path, seed=5)
    bunch = load_mnist(tmp_path, subset="test")
    digits = load_digits()
    assert set(digits) - {"target_names"} <= set(bunch)
    assert bunch.frame is None


def test_as_frame(tmp_path):
    pd = pytest.importorskip("pandas", reason="as_frame needs the optional pandas")
    arrays = make_mnist_dir(tmp_path, seed=6)
    images, labels = arrays["test"]
    bunch = load_mnist(tmp_path, subset="test", as_frame=True)
    assert isinstance(bunch.data, pd.DataFrame)
    assert list(bunch.data.columns) == bunch.feature_names
    assert (bunch.data.dtypes == np.float32).all()
    np.testing.assert_array_equal(bunch.data.to_numpy(), images.reshape(-1, 784))
    assert isinstance(bunch.target, pd.Series) and bunch.target.name == "target"
    np.testing.assert_array_equal(bunch.target.to_numpy(), labels)
    assert list(bunch.frame.columns) == bunch.feature_names + ["target"]
    np.testing.assert_array_equal(bunch.frame["target"].to_numpy(), labels)
    assert isinstance(bunch.images, np.ndarray)
    np.testing.assert_array_equal(bunch.images, images)
    X, y = load_mnist(tmp_path, subset="test", as_frame=True, return_X_y=True)
    pd.testing.assert_frame_equal(X, bunch.data)
    pd.testing.assert_series_equal(y, bunch.target)


def test_as_frame_without_pandas_says_so(tmp_path, monkeypatch):
    import builtins

    make_mnist_dir(tmp_path, seed=6)
    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=r"as_frame=True\) requires pandas"):
        load_mnist(tmp_path, subset="test", as_frame=True)


@pytest.mark.parametrize("as_frame", ["yes", None, 1])
def test_invalid_as_frame(tmp_path, as_frame):
    with pytest.raises(ValueError, match="as_frame must be True or False"):
        load_mnist(tmp_path, as_frame=as_frame)


def test_uint8_data_is_writable(tmp_path):
    make_mnist_dir(tmp_path, seed=12)
    X, _ = load_mnist(tmp_path, dtype=np.uint8, return_X_y=True)
    X[0, 0] = 7  # would raise on a read-only buffer
    assert X[0, 0] == 7


def test_env_var_used_when_path_is_none(tmp_path, monkeypatch, no_network):
    arrays = make_mnist_dir(tmp_path / "mnist", seed=13)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "mnist"))
    X, y = load_mnist(subset="test", return_X_y=True)
    np.testing.assert_array_equal(X, arrays["test"][0].reshape(-1, 784))
    np.testing.assert_array_equal(y, arrays["test"][1])
    assert no_network == []


def test_explicit_path_takes_precedence_over_env_var(tmp_path, monkeypatch):
    arrays = make_mnist_dir(tmp_path / "a", seed=14)
    make_mnist_dir(tmp_path / "b", seed=15)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "b"))
    _, y = load_mnist(tmp_path / "a", return_X_y=True)
    np.testing.assert_array_equal(y, arrays["train"][1])


# --------------------------------------------------------------------------
# Argument validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize("subset", ["training", "TEST", "", None, "validation"])
def test_invalid_subset(tmp_path, subset):
    make_mnist_dir(tmp_path)
    with pytest.raises(ValueError, match="subset") as excinfo:
        load_mnist(tmp_path, subset=subset)
    message = str(excinfo.value)
    for allowed in ("train", "test", "all"):
        assert repr(allowed) in message


@pytest.mark.parametrize(
    "dtype", [np.int32, np.float16, "complex128", "no-such-type", None]
)
def test_invalid_dtype(tmp_path, dtype):
    make_mnist_dir(tmp_path)
    with pytest.raises(ValueError, match="dtype"):
        load_mnist(tmp_path, dtype=dtype)


def test_arguments_checked_before_reading_files(tmp_path):
    # No files at all: the argument error comes first.
    with pytest.raises(ValueError, match="subset"):
        load_mnist(tmp_path / "missing", subset="bad")
    with pytest.raises(ValueError, match="dtype"):
        load_mnist(tmp_path / "missing", dtype=np.int8)


# --------------------------------------------------------------------------
# Missing files and directories
# --------------------------------------------------------------------------


def test_missing_directory(tmp_path):
    missing = tmp_path / "does-not-exist"
    with pytest.raises(FileNotFoundError, match="does-not-exist"):
        load_mnist(missing)


def test_path_is_a_file(tmp_path):
    a_file = tmp_path / "some-file"
    a_file.write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match="some-file"):
        load_mnist(a_file)


def test_missing_label_file(tmp_path):
    make_mnist_dir(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError) as excinfo:
        load_mnist(tmp_path, subset="train")
    message = str(excinfo.value)
    assert "train-labels-idx1-ubyte" in message
    assert "train-labels.idx1-ubyte" in message  # the other accepted spelling
    assert str(tmp_path) in message
    # The test split is untouched and still loads.
    assert load_mnist(tmp_path, subset="test").data.shape == (4, 784)


def test_missing_files_all_reported(tmp_path):
    make_mnist_dir(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").unlink()
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError) as excinfo:
        load_mnist(tmp_path, subset="all")
    message = str(excinfo.value)
    assert "train-images-idx3-ubyte" in message
    assert "t10k-labels-idx1-ubyte" in message
    assert "train-labels-idx1-ubyte" not in message


@pytest.mark.parametrize(
    "name",
    [
        "t10k-images-idx3-ubyte",
        "t10k-images.idx3-ubyte",
        "t10k-images-idx3-ubyte.gz",
        "t10k-images.idx3-ubyte.gz",
    ],
)
def test_find_file_spellings(tmp_path, name):
    stem = "t10k-images-idx3-ubyte"
    with pytest.raises(FileNotFoundError, match=stem):
        datasets_module._find_file(str(tmp_path), stem)
    (tmp_path / name).write_bytes(b"")
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"")  # other stem
    found = datasets_module._find_file(str(tmp_path), stem)
    assert Path(found) == tmp_path / name


def test_find_file_ignores_directories(tmp_path):
    stem = "t10k-images-idx3-ubyte"
    (tmp_path / stem).mkdir()
    with pytest.raises(FileNotFoundError, match=stem):
        datasets_module._find_file(str(tmp_path), stem)


# --------------------------------------------------------------------------
# Generic IDX reader
# --------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 5, 7), (2, 1, 3, 2)])
def test_read_idx_any_shape(tmp_path, gz, shape):
    rng = np.random.default_rng(sum(shape))
    array = rng.integers(0, 256, size=shape, dtype=np.uint8)
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    content = idx_bytes(array)
    path.write_bytes(gzip.compress(content) if gz else content)
    result = datasets_module._read_idx(path)
    assert result.dtype == np.uint8
    assert result.shape == shape
    np.testing.assert_array_equal(result, array)


def test_read_idx_zero_dimensions_rejected(tmp_path):
    path = tmp_path / "scalar.idx"
    path.write_bytes(bytes([0, 0, 8, 0]) + b"\x01")
    with pytest.raises(ValueError, match="scalar.idx.*dimensions"):
        datasets_module._read_idx(path)


def test_read_idx_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets_module, "_MAX_DATA_BYTES", 100)
    path = tmp_path / "big.idx.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(101, dtype=np.uint8))))
    with pytest.raises(ValueError, match="big.idx.gz.*limit"):
        datasets_module._read_idx(path)
    # Exactly at the limit is fine.
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(100, dtype=np.uint8))))
    assert datasets_module._read_idx(path).shape == (100,)


# --------------------------------------------------------------------------
# Damaged files
# --------------------------------------------------------------------------

TRAIN_IMAGES, TRAIN_LABELS = STEMS["train"]


def _damage_and_load(tmp_path, stem, content, gz):
    """Replace one file of a valid training split by ``content``, then load."""
    make_mnist_dir(tmp_path, gz=gz)
    path = write_file(tmp_path, stem, content, gz=gz)
    with pytest.raises(ValueError) as excinfo:
        load_mnist(tmp_path, subset="train")
    message = str(excinfo.value)
    assert path.name in message
    return message.lower()


def _valid_images(n=7):
    return np.random.default_rng(0).integers(0, 256, (n, 28, 28), dtype=np.uint8)


def _valid_labels(n=7):
    return np.arange(n, dtype=np.uint8) % 10


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("stem", [TRAIN_IMAGES, TRAIN_LABELS])
def test_empty_file(tmp_path, gz, stem):
    message = _damage_and_load(tmp_path, stem, b"", gz)
    assert "empty" in message


def test_empty_gz_file_zero_bytes(tmp_path):
    make_mnist_dir(tmp_path, gz=True)
    (tmp_path / (TRAIN_LABELS + ".gz")).write_bytes(b"")
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz.*empty"):
        load_mnist(tmp_path)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("n_bytes", [1, 3, 4, 7, 15])
def test_truncated_image_header(tmp_path, gz, n_bytes):
    content = idx_bytes(_valid_images())[:n_bytes]
    message = _damage_and_load(tmp_path, TRAIN_IMAGES, content, gz)
    assert "truncated header" in message


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_label_header(tmp_path, gz):
    content = idx_bytes(_valid_labels())[:6]
    message = _damage_and_load(tmp_path, TRAIN_LABELS, content, gz)
    assert "truncated header" in message


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("prefix", [b"\x1f\x8b", b"\x00\x01", b"PK"])
def test_bad_magic_prefix(tmp_path, gz, prefix):
    content = idx_bytes(_valid_images(), magic_prefix=prefix)
    message = _damage_and_load(tmp_path, TRAIN_IMAGES, content, gz)
    if prefix == b"\x1f\x8b" and not gz:  # starts as gzip does: read as gzip
        assert "corrupt or truncated gzip stream" in message
    else:
        assert "magic" in message


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("type_code", [0x09, 0x0B, 0x0C, 0x0D, 0x0E])
def test_unsupported_type_code(tmp_path, gz, type_code):
    content = idx_bytes(_valid_labels(), type_code=type_code)
    message = _damage_and_load(tmp_path, TRAIN_LABELS, content, gz)
    assert "magic" in message
    assert "type" in message


@pytest.mark.parametrize("gz", [False, True])
def test_labels_file_in_place_of_images(tmp_path, gz):
    # A valid 1-d IDX file where a 3-d one is expected: magic 0x801 != 0x803.
    content = idx_bytes(np.zeros(7 * 784, dtype=np.uint8))
    message = _damage_and_load(tmp_path, TRAIN_IMAGES, content, gz)
    assert "magic" in message
    assert "00000801" in message
    assert "00000803" in message


@pytest.mark.parametrize("gz", [False, True])
def test_images_file_in_place_of_labels(tmp_path, gz):
    content = idx_bytes(np.zeros((7, 28, 28), dtype=np.uint8))
    message = _damage_and_load(tmp_path, TRAIN_LABELS, content, gz)
    assert "magic" in message
    assert "00000803" in message


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("rows, cols", [(27, 28), (28, 29), (20, 20)])
def test_images_not_28x28(tmp_path, gz, rows, cols):
    images = np.zeros((7, rows, cols), dtype=np.uint8)
    message = _damage_and_load(tmp_path, TRAIN_IMAGES, idx_bytes(images), gz)
    assert "shape" in message
    assert "28" in message


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("stem", [TRAIN_IMAGES, TRAIN_LABELS])
@pytest.mark.parametrize("missing", [1, 500])
def test_truncated_body(tmp_path, gz, stem, missing):
    array = _valid_images(10) if stem == TRAIN_IMAGES else _valid_labels(600)
    content = idx_bytes(array)[:-missing]
    message = _damage_and_load(tmp_path, stem, content, gz)
    assert "truncated" in message


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("stem", [TRAIN_IMAGES, TRAIN_LABELS])
@pytest.mark.parametrize("extra", [b"\x00", b"garbage" * 100], ids=["1", "700"])
def test_trailing_data(tmp_path, gz, stem, extra):
    array = _valid_images() if stem == TRAIN_IMAGES else _valid_labels()
    message = _damage_and_load(tmp_path, stem, idx_bytes(array) + extra, gz)
    assert "trailing" in message


@pytest.mark.parametrize("gz", [False, True])
def test_header_claims_more_images_than_present(tmp_path, gz):
    content = idx_header((1000, 28, 28)) + _valid_images(7).tobytes()
    message = _damage_and_load(tmp_path, TRAIN_IMAGES, content, gz)
    assert "truncated" in message


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("n_labels", [6, 8])
def test_count_mismatch(tmp_path, gz, n_labels):
    make_mnist_dir(tmp_path, n_train=7, gz=gz)
    write_file(tmp_path, TRAIN_LABELS, idx_bytes(_valid_labels(n_labels)), gz=gz)
    with pytest.raises(ValueError) as excinfo:
        load_mnist(tmp_path)
    message = str(excinfo.value)
    assert file_name(TRAIN_IMAGES, gz=gz) in message
    assert file_name(TRAIN_LABELS, gz=gz) in message
    assert "mismatch" in message.lower()
    assert str(n_labels) in message


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("bad_label", [10, 11, 255])
def test_labels_out_of_range(tmp_path, gz, bad_label):
    labels = _valid_labels()
    labels[3] = bad_label
    message = _damage_and_load(tmp_path, TRAIN_LABELS, idx_bytes(labels), gz)
    assert "out of range" in message
    assert str(bad_label) in message


def test_zero_images_rejected(tmp_path):
    make_mnist_dir(tmp_path)
    write_file(tmp_path, TRAIN_IMAGES, idx_bytes(np.zeros((0, 28, 28))))
    write_file(tmp_path, TRAIN_LABELS, idx_bytes(np.zeros(0)))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*no images"):
        load_mnist(tmp_path)


# --------------------------------------------------------------------------
# Corrupt gzip streams
# --------------------------------------------------------------------------


def _gz_path(directory, stem):
    return Path(directory) / (stem + ".gz")


def test_plain_file_with_gz_suffix_is_read_as_what_it_is(tmp_path):
    # As a browser leaves a file it decompressed on download.
    arrays = make_mnist_dir(tmp_path, gz=True)
    path = _gz_path(tmp_path, TRAIN_LABELS)
    path.write_bytes(gzip.decompress(path.read_bytes()))
    _, y = load_mnist(tmp_path, return_X_y=True)
    np.testing.assert_array_equal(y, arrays["train"][1])


def test_gzip_file_without_gz_suffix_is_decompressed(tmp_path):
    arrays = make_mnist_dir(tmp_path, gz=False)
    path = tmp_path / TRAIN_IMAGES
    path.write_bytes(gzip.compress(path.read_bytes()))
    X, _ = load_mnist(tmp_path, return_X_y=True)
    np.testing.assert_array_equal(X, arrays["train"][0].reshape(-1, 784))


def test_gzip_stream_cut_short(tmp_path):
    make_mnist_dir(tmp_path, gz=True)
    path = _gz_path(tmp_path, TRAIN_IMAGES)
    compressed = path.read_bytes()
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz") as excinfo:
        load_mnist(tmp_path)
    message = str(excinfo.value).lower()
    assert "truncated" in message or "corrupt" in message


def test_gzip_stream_missing_trailer(tmp_path):
    # The whole body decompresses but the CRC/size trailer is cut off.
    make_mnist_dir(tmp_path, gz=True)
    path = _gz_path(tmp_path, TRAIN_LABELS)
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz.*gzip"):
        load_mnist(tmp_path)


def test_gzip_stream_corrupted_body(tmp_path):
    make_mnist_dir(tmp_path, gz=True)
    path = _gz_path(tmp_path, TRAIN_IMAGES)
    compressed = bytearray(path.read_bytes())
    # Flip bytes in the middle of the DEFLATE data (header is 10 bytes,
    # trailer 8 bytes): either the stream becomes invalid or the CRC fails.
    middle = len(compressed) // 2
    for i in range(middle, middle + 16):
        compressed[i] ^= 0xFF
    path.write_bytes(bytes(compressed))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz"):
        load_mnist(tmp_path)


def test_gzip_crc_mismatch(tmp_path):
    make_mnist_dir(tmp_path, gz=True)
    path = _gz_path(tmp_path, TRAIN_LABELS)
    compressed = bytearray(path.read_bytes())
    compressed[-8] ^= 0xFF  # first byte of the CRC32 in the trailer
    path.write_bytes(bytes(compressed))
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz.*gzip"):
        load_mnist(tmp_path)


# --------------------------------------------------------------------------
# Headers claiming huge sizes (gzip bombs and damage)
# --------------------------------------------------------------------------


def _peak_while(func):
    tracemalloc.start()
    try:
        start = time.perf_counter()
        try:
            func()
        except Exception as exc:  # returned for inspection by the caller
            error = exc
        else:
            error = None
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return error, peak, elapsed


@pytest.mark.parametrize("gz", [False, True])
def test_huge_claim_tiny_body(tmp_path, gz):
    # Claims 10**9 images (784 GB) but holds only a few bytes.
    make_mnist_dir(tmp_path, gz=gz)
    content = idx_header((10**9, 28, 28)) + bytes(1000)
    path = write_file(tmp_path, TRAIN_IMAGES, content, gz=gz)
    error, peak, elapsed = _peak_while(lambda: load_mnist(tmp_path))
    assert isinstance(error, ValueError)
    assert path.name in str(error)
    assert "truncated" in str(error).lower()
    assert peak < 10 * 2**20
    assert elapsed < 10


def test_huge_label_claim_tiny_gz_body(tmp_path):
    make_mnist_dir(tmp_path, gz=True)
    content = idx_header((2**32 - 1,)) + bytes(100)
    write_file(tmp_path, TRAIN_LABELS, content, gz=True)
    error, peak, _ = _peak_while(lambda: load_mnist(tmp_path))
    assert isinstance(error, ValueError)
    assert "train-labels-idx1-ubyte.gz" in str(error)
    assert "truncated" in str(error).lower()
    assert peak < 10 * 2**20


def test_gzip_claim_plausible_for_file_size_but_stream_short(tmp_path):
    # Incompressible body: a claim of ~500x the compressed size is something a
    # DEFLATE stream could in principle deliver (the maximum expansion is
    # about 1032x), so the reader has to decompress to find out that the
    # data is missing.  It must do so without allocating the claimed size.
    rng = np.random.default_rng(7)
    body = rng.integers(0, 256, size=64 * 1024, dtype=np.uint8).tobytes()
    compressed_size = len(gzip.compress(idx_header((1, 28, 28)) + body))
    n_images = 500 * compressed_size // 784
    claimed = n_images * 784
    assert claimed > 30 * 2**20
    path = tmp_path / "bomb-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_header((n_images, 28, 28)) + body))
    error, peak, _ = _peak_while(lambda: datasets_module._read_idx(path))
    assert isinstance(error, ValueError)
    assert path.name in str(error)
    assert "truncated" in str(error).lower()
    assert peak < claimed / 4
    assert peak < 10 * 2**20


def test_valid_gzip_read_does_not_need_huge_peak(tmp_path):
    # Reading a valid file needs about one copy of the data, not many.
    images = np.random.default_rng(8).integers(0, 256, (2000, 28, 28), np.uint8)
    path = tmp_path / "x-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(images)))
    result = {}
    error, peak, _ = _peak_while(
        lambda: result.update(a=datasets_module._read_idx(path))
    )
    assert error is None
    np.testing.assert_array_equal(result["a"], images)
    assert peak < 3 * images.nbytes


# --------------------------------------------------------------------------
# OpenML fallback (network is never used)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        OSError("no route to host"),
        URLError("Name or service not known"),
        ConnectionError("refused"),
        TimeoutError("timed out"),
        ValueError("bad response"),
    ],
)
def test_no_path_no_env_download_fails(monkeypatch, exc):
    calls = []

    def failing_fetch(*args, **kwargs):
        calls.append((args, kwargs))
        raise exc

    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(datasets_module, "fetch_openml", failing_fetch)
    with pytest.raises(OSError) as excinfo:
        load_mnist()
    assert isinstance(excinfo.value, FileNotFoundError)
    message = str(excinfo.value)
    assert ENV_VAR in message
    assert "train-images-idx3-ubyte" in message
    assert "t10k-labels-idx1-ubyte" in message
    assert "path" in message
    assert len(calls) == 1
    args, kwargs = calls[0]
    assert "mnist_784" in args or kwargs.get("name") == "mnist_784"


def test_empty_env_var_treated_as_unset(monkeypatch, no_network):
    monkeypatch.setenv(ENV_VAR, "")
    with pytest.raises(FileNotFoundError, match=ENV_VAR):
        load_mnist()
    assert len(no_network) == 1


def test_env_var_pointing_nowhere(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_mnist()
    assert no_network == []


def _fake_openml_bunch(rng):
    n = 70_000
    data = np.zeros((n, 784), dtype=np.uint8)
    index = np.arange(n)
    # Encode the row number in the first three pixels.
    data[:, 0] = index % 256
    data[:, 1] = (index // 256) % 256
    data[:, 2] = index // 65536
    data[:, 3:10] = rng.integers(0, 256, (n, 7), dtype=np.uint8)
    target = rng.integers(0, 10, n).astype(str).astype(object)
    return Bunch(data=data, target=target), index


def _row_numbers(X):
    X = X.astype(np.int64)
    return X[:, 0] + 256 * X[:, 1] + 65536 * X[:, 2]


@pytest.fixture
def fake_openml(monkeypatch):
    rng = np.random.default_rng(99)
    bunch, index = _fake_openml_bunch(rng)
    calls = []

    def fake_fetch(*args, **kwargs):
        calls.append((args, kwargs))
        return bunch

    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(datasets_module, "fetch_openml", fake_fetch)
    return bunch, calls


@pytest.mark.parametrize(
    "subset, first, stop",
    [("train", 0, 60_000), ("test", 60_000, 70_000), ("all", 0, 70_000)],
)
def test_openml_fallback_split(fake_openml, subset, first, stop):
    fake, calls = fake_openml
    bunch = load_mnist(subset=subset, dtype=np.uint8)
    assert len(calls) == 1
    args, kwargs = calls[0]
    assert "mnist_784" in args or kwargs.get("name") == "mnist_784"
    assert kwargs.get("version") == 1
    assert kwargs.get("as_frame") is False
    assert bunch.data.shape == (stop - first, 784)
    assert bunch.images.shape == (stop - first, 28, 28)
    np.testing.assert_array_equal(_row_numbers(bunch.data), np.arange(first, stop))
    np.testing.assert_array_equal(bunch.data, fake.data[first:stop])
    assert bunch.target.dtype == np.int64
    expected_target = np.array([int(t) for t in fake.target[first:stop]])
    np.testing.assert_array_equal(bunch.target, expected_target)
    assert "OpenML" in bunch.DESCR


def test_openml_fallback_dtype_conversion(fake_openml):
    fake, _ = fake_openml
    X, y = load_mnist(subset="test", return_X_y=True)
    assert X.dtype == np.float32
    assert y.dtype == np.int64
    np.testing.assert_array_equal(X, fake.data[60_000:].astype(np.float32))


@pytest.mark.parametrize("subset", ["train", "test"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
def test_openml_split_does_not_keep_the_whole_download(monkeypatch, subset, dtype):
    # liac-arff gives float64: a view of its rows would keep all 70,000 alive.
    download = np.arange(70_000 * 784, dtype=np.float64).reshape(70_000, 784) % 256
    bunch = Bunch(data=download, target=np.array(list("0123456789") * 7_000))
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(datasets_module, "fetch_openml", lambda *a, **k: bunch)
    X, y = load_mnist(subset=subset, dtype=dtype, return_X_y=True)
    for array in (X, y):
        assert array.base is None or array.base.size == array.size
    assert not np.shares_memory(X, download)
    rows = slice(0, 60_000) if subset == "train" else slice(60_000, None)
    np.testing.assert_array_equal(X, download[rows].astype(dtype))


@pytest.mark.parametrize("pandas_installed", [True, False])
def test_openml_uses_the_pandas_parser_when_it_can(fake_openml, monkeypatch,
                                                   pandas_installed):  # fmt: skip
    _, calls = fake_openml
    find_spec = datasets_module.importlib.util.find_spec
    monkeypatch.setattr(
        datasets_module.importlib.util,
        "find_spec",
        lambda name: find_spec(name) if pandas_installed or name != "pandas" else None,
    )
    load_mnist(subset="test")
    expected = "pandas" if pandas_installed and find_spec("pandas") else "liac-arff"
    assert calls[0][1]["parser"] == expected


def test_openml_unexpected_shape(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(
        datasets_module,
        "fetch_openml",
        lambda *a, **k: Bunch(data=np.zeros((10, 784)), target=np.zeros(10, str)),
    )
    with pytest.raises(ValueError, match="shape"):
        load_mnist()
