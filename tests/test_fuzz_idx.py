"""Hostile IDX files: the MNIST reader fails cleanly, cheaply and quickly.

Hypothesis builds IDX files (valid ones, then damaged: random magic numbers, 0 to
255 dimensions, huge dimension sizes, truncated or padded bodies, random bytes, empty
files), writes them plain or gzipped (and damages the gzip stream too: flipped
bytes, cut streams, appended garbage), and reads them with the internal
``_read_idx`` and with ``load_mnist``. For every file:

* the only exception is ``ValueError``, whose message names the file;
* the result agrees with an independent reference parser: a file loads if and only
  if it is a valid IDX file, and then to exactly the bytes it holds;
* the memory allocated while reading stays within a small multiple of the data the
  file actually holds (see ``memory_bound``), whatever size the header claims;
* every example finishes well within the hypothesis deadline.
"""

import gzip
import os
import struct
import tempfile
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sknn_sigmoid import datasets
from sknn_sigmoid.datasets import _read_idx, load_mnist

FUZZ_SETTINGS = settings(
    # SKNN_SIGMOID_FUZZ_EXAMPLES=5000 fuzzes longer.
    max_examples=int(os.environ.get("SKNN_SIGMOID_FUZZ_EXAMPLES", 150)),
    deadline=2000,  # ms per example: reading a file of a few KiB takes ~1 ms
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# The reader asks the stream for the data in pieces of at most this many bytes.
CHUNK_BYTES = getattr(datasets, "_CHUNK_BYTES", 2**20)
MIB = 2**20

STEMS = {
    "train-images-idx3-ubyte": (0x803, 3),
    "train-labels-idx1-ubyte": (0x801, 1),
    "t10k-images-idx3-ubyte": (0x803, 3),
    "t10k-labels-idx1-ubyte": (0x801, 1),
}


# --------------------------------------------------------------------------------
# A reference parser, written from the format description only


def decompressed_size(blob):
    """Bytes a tolerant decoder gets out of ``blob`` read as gzip members."""
    total = 0
    while blob:
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            total += len(decoder.decompress(blob))
        except zlib.error:
            break
        if not decoder.eof:
            break
        blob = decoder.unused_data.lstrip(b"\x00")
    return total


def decompressed(blob):
    """``blob`` decompressed, or None if it is not a valid gzip stream."""
    try:
        return gzip.decompress(blob)
    except (OSError, EOFError, zlib.error):
        return None


def declared_shape(raw):
    """The shape an IDX header of unsigned bytes declares, or None if it is unusable."""
    if raw is None or len(raw) < 4 or raw[:3] != b"\x00\x00\x08" or raw[3] == 0:
        return None
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        return None
    return struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])


def numpy_refuses(shape):
    """Whether numpy cannot make an array of this shape (over 64 dimensions, or a
    size of zero times dimensions whose product overflows)."""
    n_bytes = int(np.prod(shape, dtype=object))
    if n_bytes > 2**20:  # a reader refuses such a claim before it reaches numpy
        return False
    try:
        np.zeros(n_bytes, np.uint8).reshape(shape)
    except ValueError:
        return True
    return False


def is_gzip(blob):
    """Whether a file is read as gzip: by its first bytes, not by its name."""
    return blob[:2] == b"\x1f\x8b"


def reference_read(blob):
    """The array an IDX file holds, or None if the file is not a valid IDX file."""
    raw = decompressed(blob) if is_gzip(blob) else blob
    shape = declared_shape(raw)
    if shape is None or numpy_refuses(shape):
        return None
    header_size = 4 + 4 * len(shape)
    if len(raw) - header_size != int(np.prod(shape, dtype=object)):
        return None
    return np.frombuffer(raw[header_size:], np.uint8).reshape(shape)


def memory_bound(file_size, data_size):
    """The most memory reading a file may allocate, in bytes.

    A correct reader holds the data once (a bytearray, which over-allocates by
    about an eighth when it grows and briefly holds old and new buffer while it
    moves) and wraps it in an array without copying; ``load_mnist`` then converts
    it to the requested dtype once. Before it knows how much a gzip stream really
    holds it may ask the stream for one piece of ``CHUNK_BYTES`` (1 MiB), and the
    io and gzip machinery keeps buffers of some tens of KiB. So 20 times the bytes
    the file holds (compressed and decompressed), plus one piece, plus 1 MiB,
    leaves ample room for a correct reader, while allocating the size a damaged
    header claims (tens of MiB to 2**31 bytes here) exceeds it by far.
    """
    return 20 * (file_size + data_size) + CHUNK_BYTES + MIB


def measure(function):
    """Run ``function``; return (result, exception, peak bytes allocated meanwhile)."""
    tracing = tracemalloc.is_tracing()
    if tracing:
        tracemalloc.reset_peak()
    else:
        tracemalloc.start()
    result = error = None
    try:
        try:
            result = function()
        except ValueError as exc:  # anything else fails the test as is
            error = exc
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not tracing:
            tracemalloc.stop()
    return result, error, peak


# --------------------------------------------------------------------------------
# Strategies


def header(ndim, dims, type_code=0x08, prefix=b"\x00\x00"):
    return (
        prefix + bytes([type_code, ndim]) + b"".join(struct.pack(">I", d) for d in dims)
    )


@st.composite
def bodies(draw, n_bytes):
    """``n_bytes`` of pixel data: random (incompressible) or constant."""
    if draw(st.booleans()):
        return bytes([draw(st.integers(0, 255))]) * n_bytes
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).integers(0, 256, n_bytes, np.uint8).tobytes()


@st.composite
def valid_idx(draw, ndim=None, trailing=None, first=None, max_value=255):
    """The content of a valid IDX file of unsigned bytes."""
    if ndim is None:
        ndim = draw(st.integers(1, 4))
    if trailing is None:
        trailing = draw(
            st.lists(st.integers(0, 9), min_size=ndim - 1, max_size=ndim - 1)
        )
    if first is None:
        first = draw(st.integers(0, 40))
    dims = [first, *trailing]
    n_bytes = int(np.prod(dims))
    if max_value == 255:
        body = draw(bodies(n_bytes))
    else:
        body = bytes(draw(st.lists(st.integers(0, max_value), min_size=n_bytes,
                                   max_size=n_bytes)))  # fmt: skip
    return header(ndim, dims) + body


HUGE_DIMS = st.one_of(
    st.sampled_from([2**31 - 1, 2**31, 2**32 - 1, 2**24, 10**9]),
    st.integers(0, 2**32 - 1),
)


@st.composite
def mutated(draw, content):
    """``content`` with zero or more header and body mutations."""
    data = bytearray(content)
    n_mutations = draw(st.integers(0, 3))
    for _ in range(n_mutations):
        kind = draw(st.sampled_from(
            ["magic", "type", "ndim", "dim", "claim", "truncate", "extend", "flip"]
        ))  # fmt: skip
        if kind == "magic" and len(data) >= 4:
            data[:4] = draw(st.binary(min_size=4, max_size=4))
        elif kind == "type" and len(data) >= 3:
            data[2] = draw(st.integers(0, 255))
        elif kind == "ndim" and len(data) >= 4:
            data[3] = draw(st.integers(0, 255))
        elif kind == "dim" and len(data) >= 8:
            ndim = max(1, min(data[3], (len(data) - 4) // 4))
            i = draw(st.integers(0, ndim - 1))
            data[4 + 4 * i : 8 + 4 * i] = struct.pack(">I", draw(HUGE_DIMS))
        elif kind == "claim" and len(data) >= 8:
            # A first dimension claiming k times the file's size: beyond what a
            # plain file holds, yet within what a gzip stream might inflate to.
            k = draw(st.integers(2, 1000))
            data[4:8] = struct.pack(">I", min(2**32 - 1, k * len(content)))
        elif kind == "truncate" and data:
            del data[draw(st.integers(0, len(data) - 1)) :]
        elif kind == "extend":
            data += draw(st.binary(min_size=1, max_size=64))
        elif kind == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= draw(st.integers(1, 255))
    return bytes(data)


@st.composite
def idx_contents(draw):
    """What an IDX file may hold: valid, damaged, random, headers only, or nothing."""
    kind = draw(st.sampled_from(
        ["valid", "damaged", "damaged", "random", "header", "inflated claim"]
    ))  # fmt: skip
    if kind == "inflated claim":
        # Some KiB of incompressible data whose header claims 50 to 1000 times as
        # much: a gzip file of that size might hold it, so a reader cannot refuse
        # the claim before decompressing; it must not allocate it either.
        n_bytes = draw(st.integers(4096, 32768))
        seed = draw(st.integers(0, 2**32 - 1))
        body = np.random.default_rng(seed).integers(0, 256, n_bytes, np.uint8)
        claim = min(2**32 - 1, draw(st.integers(50, 1000)) * n_bytes)
        return draw(mutated(header(1, [claim]) + body.tobytes()))
    if kind == "valid":
        return draw(valid_idx())
    if kind == "damaged":
        return draw(mutated(draw(valid_idx())))
    if kind == "random":
        return draw(st.binary(max_size=300))
    ndim = draw(st.integers(0, 255))
    dims = draw(st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 3),
                         min_size=ndim, max_size=ndim))  # fmt: skip
    return header(ndim, dims) + draw(st.binary(max_size=64))


@st.composite
def files(draw, contents, damage=True):
    """(file bytes, named *.gz?) for a content: plain, gzipped, a damaged gzip, or
    plain under a .gz name."""
    content = draw(contents)
    wraps = ["plain", "gzip", "gzip", "damaged gzip", "gz name"]
    wrap = draw(st.sampled_from(wraps if damage else wraps[:2]))
    if wrap == "plain":
        return content, False
    if wrap == "gz name":  # an uncompressed file named *.gz
        return content, True
    blob = gzip.compress(content, compresslevel=draw(st.integers(0, 9)), mtime=0)
    if wrap == "damaged gzip":
        blob = bytearray(blob)
        action = draw(st.sampled_from(["flip", "flip", "cut", "append", "second"]))
        if action == "flip":
            for _ in range(draw(st.integers(1, 4))):
                i = draw(st.integers(0, len(blob) - 1))
                blob[i] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del blob[draw(st.integers(0, len(blob) - 1)) :]
        elif action == "append":
            blob += draw(st.binary(min_size=1, max_size=32))
        else:  # a second gzip member: more data after the IDX content
            blob += gzip.compress(draw(st.binary(min_size=1, max_size=32)), mtime=0)
    return bytes(blob), True


# --------------------------------------------------------------------------------
# _read_idx


def check_read(path, blob, expected_magic=None):
    """Read ``path``; check exception type, message, memory and the result."""
    result, error, peak = measure(lambda: _read_idx(path, magic=expected_magic))
    gz = is_gzip(blob)  # what the name says does not matter
    assert peak <= memory_bound(len(blob), decompressed_size(blob) if gz else 0), (
        f"peak {peak} bytes for a file of {len(blob)} bytes"
    )
    expected = reference_read(blob)
    if expected is not None and expected_magic is not None:
        raw = decompressed(blob) if gz else blob
        if int.from_bytes(raw[:4], "big") != expected_magic:
            expected = None
    if expected is None:
        assert error is not None, "an invalid file was read without error"
        assert os.fspath(path) in str(error)
        return None
    assert error is None, f"a valid file was refused: {error}"
    assert result.dtype == np.uint8 and result.flags.writeable
    np.testing.assert_array_equal(result, expected)
    assert result.shape == expected.shape
    return result


@FUZZ_SETTINGS
@given(file=files(idx_contents()), magic=st.sampled_from([None, 0x801, 0x803]))
def test_read_idx_raises_only_value_error_within_bounded_memory(file, magic):
    blob, gz = file
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / ("fuzzed.idx.gz" if gz else "fuzzed.idx")
        path.write_bytes(blob)
        event("loaded" if check_read(path, blob, magic) is not None else "refused")


@settings(FUZZ_SETTINGS, max_examples=FUZZ_SETTINGS.max_examples // 4)
@given(
    gz=st.booleans(),
    ndim=st.integers(1, 255),
    dims=st.lists(HUGE_DIMS, min_size=1, max_size=255),
    body=st.binary(max_size=256),
)
def test_huge_claims_never_allocate_what_they_claim(gz, ndim, dims, body):
    # Headers claiming up to 2**32 - 1 elements per dimension, over few real bytes.
    dims = (dims * ndim)[:ndim]
    content = header(ndim, dims) + body
    blob = gzip.compress(content, mtime=0) if gz else content
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / ("claims.idx.gz" if gz else "claims.idx")
        path.write_bytes(blob)
        check_read(path, blob)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("claim_factor", [10, 500, 1000])
def test_gzip_claim_within_inflation_limit_reads_incrementally(
    tmp_path, gz, claim_factor
):
    # Incompressible data: a claim of up to ~1000x the compressed size could be
    # real for a gzip file, so the reader must decompress to find out that it is not.
    body = np.random.default_rng(claim_factor).integers(0, 256, 32 * 1024, np.uint8)
    size = len(gzip.compress(bytes(8) + body.tobytes(), mtime=0))
    content = header(1, [claim_factor * size]) + body.tobytes()
    blob = gzip.compress(content, mtime=0) if gz else content
    path = tmp_path / ("claim.idx.gz" if gz else "claim.idx")
    path.write_bytes(blob)
    check_read(path, blob)


@pytest.mark.parametrize("gz", [False, True])
def test_empty_file(tmp_path, gz):
    path = tmp_path / ("empty.idx.gz" if gz else "empty.idx")
    path.write_bytes(b"")
    assert check_read(path, b"") is None


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(
    "dims, body",
    [([1] * 65, b"\x07"), ([0, 2**32 - 1, 2**32 - 1], b"")],
    ids=["65-dimensions", "zero-times-overflow"],
)
def test_unrepresentable_shape_error_names_the_file(tmp_path, gz, dims, body):
    content = header(len(dims), dims) + body
    path = tmp_path / ("odd-shape.idx.gz" if gz else "odd-shape.idx")
    path.write_bytes(gzip.compress(content) if gz else content)
    with pytest.raises(ValueError, match="odd-shape"):
        _read_idx(path)


# --------------------------------------------------------------------------------
# load_mnist on a directory of four fuzzed files


@st.composite
def mnist_directories(draw):
    """Four files for load_mnist: valid MNIST-shaped IDX files, maybe damaged."""
    sizes = st.sampled_from([0, 1, 2, 3, 1, 2, 3])  # 0: valid files, but no images
    n = {"train": draw(sizes), "t10k": draw(sizes)}
    found = {}
    for stem, (_, ndim) in STEMS.items():
        split = stem.split("-")[0]
        if ndim == 3:
            content = valid_idx(ndim=3, trailing=[28, 28], first=n[split])
        else:
            largest = draw(st.sampled_from([9, 9, 9, 255]))  # labels 0..9 are valid
            content = valid_idx(ndim=1, trailing=[], first=n[split], max_value=largest)
        damage = draw(st.integers(0, 9))  # about one file in ten is damaged
        if damage == 0:
            content = mutated(draw(content))
        elif damage == 1:
            content = idx_contents()
        found[stem] = draw(files(content, damage=damage == 2))
    return found


def expected_mnist(found):
    """What load_mnist(subset="all", dtype=uint8) must return, or None for an error."""
    arrays = {}
    for stem, (blob, _) in found.items():
        array = reference_read(blob)
        magic, ndim = STEMS[stem]
        if array is None or array.ndim != ndim:
            return None
        if ndim == 3 and array.shape[1:] != (28, 28):
            return None
        arrays[stem] = array
    parts = []
    for split in ("train", "t10k"):
        images = arrays[f"{split}-images-idx3-ubyte"]
        labels = arrays[f"{split}-labels-idx1-ubyte"]
        if len(images) != len(labels) or len(images) == 0 or labels.max() > 9:
            return None
        parts.append((images.reshape(len(images), 784), labels))
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]).astype(np.int64),
    )


@settings(FUZZ_SETTINGS, max_examples=FUZZ_SETTINGS.max_examples // 2)
@given(found=mnist_directories())
def test_load_mnist_on_fuzzed_directory(found):
    with tempfile.TemporaryDirectory() as directory:
        for stem, (blob, gz) in found.items():
            (Path(directory) / (stem + (".gz" if gz else ""))).write_bytes(blob)
        result, error, peak = measure(
            lambda: load_mnist(directory, subset="all", dtype=np.uint8, return_X_y=True)
        )
    held = sum(
        len(blob) + (decompressed_size(blob) if is_gzip(blob) else 0)
        for blob, _ in found.values()
    )
    assert peak <= memory_bound(held, 0)
    expected = expected_mnist(found)
    event("refused" if expected is None else "loaded")
    if expected is None:
        assert error is not None, "damaged MNIST files were loaded without error"
        assert any(stem in str(error) for stem in STEMS), str(error)
        return
    assert error is None, f"valid MNIST files were refused: {error}"
    X, y = result
    np.testing.assert_array_equal(X, expected[0])
    np.testing.assert_array_equal(y, expected[1])
