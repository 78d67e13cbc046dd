"""merge_repeated_rows: the multiset of rows a full batch trains on."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from sknn_sigmoid._rows import merge_repeated_rows, row_hashes


def _data(dtype=np.float64):
    rng = np.random.RandomState(0)
    X = rng.rand(12, 5).astype(dtype)
    X[rng.rand(12, 5) < 0.5] = 0  # zeros, for the sparse layout
    Y = np.eye(3, dtype=dtype)[rng.randint(0, 3, 12)]
    return X, Y


def _dense(X):
    return X.toarray() if sp.issparse(X) else X


@pytest.mark.parametrize("layout", [np.asarray, sp.csr_matrix])
def test_unit_weights_and_no_repeats_give_back_the_arrays_given(layout):
    X, Y = _data()
    X = layout(X)
    w = np.ones(12)
    merged = merge_repeated_rows(X, Y, w)
    assert merged[0] is X and merged[1] is Y and merged[2] is w


def test_weight_zero_drops_the_row_and_keeps_the_order_of_the_others():
    X, Y = _data()
    w = np.ones(12)
    w[[2, 7]] = 0
    Xm, Ym, wm = merge_repeated_rows(X, Y, w)
    keep = np.flatnonzero(w)
    assert_array_equal(Xm, X[keep])
    assert_array_equal(Ym, Y[keep])
    assert_array_equal(wm, np.ones(10))


@pytest.mark.parametrize("layout", [np.asarray, sp.csr_matrix])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_weights_and_shuffled_repeats_give_the_same_arrays(layout, dtype):
    X, Y = _data(dtype)
    sw = np.array([0, 1, 2, 3, 1, 4, 0, 2, 1, 1, 3, 2])
    repeated = merge_repeated_rows(
        layout(X.repeat(sw, axis=0)), Y.repeat(sw, axis=0), np.ones(sw.sum(), dtype)
    )
    order = np.random.RandomState(1).permutation(12)
    weighted = merge_repeated_rows(layout(X[order]), Y[order], sw[order].astype(dtype))
    for a, b in zip(repeated, weighted):
        assert_array_equal(_dense(a), _dense(b))
        assert a.dtype == dtype


def test_equal_rows_of_different_targets_stay_apart():
    X = np.zeros((4, 2))
    Y = np.array([[1.0], [0.0], [1.0], [0.0]])
    Xm, Ym, wm = merge_repeated_rows(X, Y, np.ones(4))
    assert len(wm) == 2
    assert sorted(zip(Ym[:, 0], wm)) == [(0.0, 2.0), (1.0, 2.0)]


def test_sparse_and_dense_rows_hash_alike_explicit_zeros_included():
    X, Y = _data()
    S = sp.csr_matrix(X)
    S.data[0] = 0  # an explicit zero: the same row as one without it
    D = S.toarray()
    assert S.nnz == sp.csr_matrix(X).nnz
    assert_array_equal(row_hashes(S, Y), row_hashes(D, Y))


def test_rows_that_differ_in_one_value_hash_differently():
    X, Y = _data()
    Z = X.copy()
    Z[:, 3] = np.nextafter(Z[:, 3], 2)
    assert np.all(row_hashes(X, Y) != row_hashes(Z, Y))


def test_merged_weights_are_the_sums_of_the_repeats():
    X, Y = _data()
    sw = np.array([0, 1, 2, 3, 1, 4, 0, 2, 1, 1, 3, 2])
    Xm, Ym, wm = merge_repeated_rows(
        X.repeat(sw, axis=0), Y.repeat(sw, axis=0), np.ones(sw.sum())
    )
    # Each merged row is one of the rows given, with its number of repeats.
    rows = [int(np.flatnonzero(np.all(X == x, axis=1))[0]) for x in Xm]
    assert sorted(rows) == list(np.flatnonzero(sw))
    assert_array_equal(wm, sw[rows])
    assert_array_equal(Ym, Y[rows])
