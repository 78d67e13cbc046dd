"""Full-batch training on a multiset of rows: repeated rows merged into weights.

A full batch sums the loss and its gradients over every row. Giving a row the
weight k and repeating it k times give the same sum in exact arithmetic, but not in
floating point: the sums run over the rows in another order and group other terms.
:func:`merge_repeated_rows` makes them the same sum. It drops the rows of weight 0
and, when some weight is not 1 or some rows are repeated, merges each set of equal
rows (same x, same target) into one row carrying their total weight, in an order
that depends on the rows' contents alone. Weight k and k copies then give the same
arrays, in the same order, and so a full-batch fit that is the same to the last
bit.
"""

import numpy as np
import scipy.sparse as sp

# Rows are hashed a block of this many at a time (the hash's work array is one
# block of X as 64-bit integers).
HASH_BLOCK_ROWS = 4096


def _multipliers(n, seed):
    """n fixed odd 64-bit integers: the weights of each column in a row's hash."""
    rng = np.random.RandomState(seed)
    return rng.randint(0, 2**63, size=n, dtype=np.int64).astype(np.uint64) * 2 + 1


def _bits(values):
    """The bit patterns of floats as 64-bit unsigned integers (float32 widened)."""
    values = np.ascontiguousarray(values)
    width = np.uint64 if values.dtype.itemsize == 8 else np.uint32
    return values.view(width).astype(np.uint64, copy=False)


def _dense_hashes(A, multipliers):
    """sum_j bits(A_ij) * multipliers_j modulo 2**64, for every row i of A.

    Integer sums modulo 2**64 do not depend on the order of their terms: equal rows
    have equal hashes however the rows are laid out or summed.
    """
    out = np.empty(A.shape[0], np.uint64)
    for start in range(0, A.shape[0], HASH_BLOCK_ROWS):
        rows = slice(start, start + HASH_BLOCK_ROWS)
        out[rows] = np.sum(_bits(A[rows]) * multipliers, axis=1, dtype=np.uint64)
    return out


def _sparse_hashes(X, multipliers):
    """As :func:`_dense_hashes`, for a CSR matrix in canonical format (an explicit
    zero adds nothing, as an absent one)."""
    terms = _bits(X.data) * multipliers[X.indices]
    totals = np.concatenate([np.zeros(1, np.uint64), np.cumsum(terms, dtype=np.uint64)])
    return totals[X.indptr[1:]] - totals[X.indptr[:-1]]


def row_hashes(X, Y):
    """A 64-bit hash of every row (x, y) of the training data, from its contents."""
    if sp.issparse(X):
        hx = _sparse_hashes(X, _multipliers(X.shape[1], 0))
    else:
        hx = _dense_hashes(X, _multipliers(X.shape[1], 0))
    hy = _dense_hashes(Y, _multipliers(Y.shape[1], 1))
    return hx * _multipliers(1, 2) + hy


def _same_rows(A, first, second):
    """Whether rows ``first[i]`` and ``second[i]`` of A are equal, for every i."""
    if sp.issparse(A):
        return np.asarray(abs(A[first] - A[second]).sum(axis=1)).ravel() == 0
    return np.all(A[first] == A[second], axis=1)


def merge_repeated_rows(X, Y, w):
    """The training data of a full batch with weight-0 rows dropped and, when some
    weight is not 1 or some rows are repeated, equal rows merged.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n[0])
        Inputs (a CSR matrix in canonical format).
    Y : ndarray of shape (n_samples, n[L])
        Targets.
    w : ndarray of shape (n_samples,)
        Non-negative sample weights, not all zero.

    Returns
    -------
    X, Y, w
        The arrays given if every weight is 1 and no row is repeated. Else the rows
        of positive weight: in their order if their weights are all 1 and none is
        repeated (weight 0 is then the same as leaving the row out); otherwise one
        row for each set of equal rows (equal x and y), with the sum of their
        weights, ordered by the rows' hashes, so by their contents alone. (Two
        different rows whose 64-bit hashes collide, about one pair in 1e19, stay
        apart: the loss is the same, only its last bits may differ.)
    """
    positive = w > 0
    if not positive.all():
        rows = np.flatnonzero(positive)
        X, Y, w = X[rows], Y[rows], w[rows]
    hashes = row_hashes(X, Y)
    order = np.argsort(hashes, kind="stable")
    sorted_hashes = hashes[order]
    candidate = np.flatnonzero(sorted_hashes[1:] == sorted_hashes[:-1]) + 1
    if candidate.size:
        first, second = order[candidate - 1], order[candidate]
        same = _same_rows(X, first, second) & np.all(Y[first] == Y[second], axis=1)
        candidate = candidate[same]
    if candidate.size == 0 and np.all(w == 1):
        return X, Y, w
    starts_group = np.ones(len(order), dtype=bool)
    starts_group[candidate] = False
    starts = np.flatnonzero(starts_group)
    firsts = order[starts]
    merged_w = np.add.reduceat(w[order], starts)
    return X[firsts], Y[firsts], merged_w
