"""Matrix products and vector updates through scipy's BLAS, in place.

Every product and every parameter update of training and prediction goes through
the one BLAS library scipy links (numpy and scipy wheels each bring their own copy
of OpenBLAS; two copies, each with a pool of threads that spin after a call, take
the cores from each other: an epoch at batch 16 was measured 50 times slower).
Products write into the caller's buffers and may add to them (``beta``), and
``y += a * x`` is BLAS's axpy, one pass over memory with no temporary array.

Arrays are numpy's C-ordered ones; BLAS reads Fortran order, so ``C = A @ B`` is
computed as ``C^T = B^T A^T``, whose operands are the same memory read transposed.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

_GEMM = {np.dtype(np.float32): blas.sgemm, np.dtype(np.float64): blas.dgemm}
_AXPY = {np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy}
_SCAL = {np.dtype(np.float32): blas.sscal, np.dtype(np.float64): blas.dscal}
_DOT = {np.dtype(np.float32): blas.sdot, np.dtype(np.float64): blas.ddot}


def _fortran(M):
    """M as BLAS reads it: (M, 0) if M is Fortran-ordered, else (M^T, 1)."""
    return (M, 0) if M.flags.f_contiguous else (M.T, 1)


def matmul(A, B, out=None, alpha=1.0, beta=0.0):
    """``out = alpha * A @ B + beta * out``, written in ``out`` (a new array if None).

    ``A`` and ``B`` are C- or Fortran-ordered (a transposed view, ``W.T``, costs
    no copy); ``A`` may be sparse. ``out``, if given, is C-ordered, of the dtype of
    the product.
    """
    if sp.issparse(A) or sp.issparse(B):
        product = np.asarray(A @ B)
        if out is None:
            return alpha * product if alpha != 1.0 else product
        return _combine(product, out, alpha, beta)
    gemm = _GEMM.get(A.dtype)
    if out is None:
        out = np.empty((A.shape[0], B.shape[1]), A.dtype)
    if (
        gemm is None
        or B.dtype != A.dtype
        or out.dtype != A.dtype
        or not out.flags.c_contiguous
        or 0 in A.shape + B.shape
        or not (A.flags.c_contiguous or A.flags.f_contiguous)
        or not (B.flags.c_contiguous or B.flags.f_contiguous)
    ):
        return _combine(np.matmul(A, B), out, alpha, beta)
    # out^T = alpha B^T A^T + beta out^T, every operand read in Fortran order.
    (Bt, trans_b), (At, trans_a) = _fortran(B.T), _fortran(A.T)
    gemm(alpha, Bt, At, beta, out.T, trans_b, trans_a, overwrite_c=True)
    return out


def _combine(product, out, alpha, beta):
    if beta == 0.0:
        np.multiply(product, alpha, out=out)
    else:
        out *= beta
        out += alpha * product
    return out


def axpy(a, x, y):
    """y += a * x, in place (x and y of the same shape and dtype)."""
    if (
        y.flags.c_contiguous
        and x.flags.c_contiguous
        and x.dtype == y.dtype
        and y.dtype in _AXPY
    ):
        _AXPY[y.dtype](x.ravel(), y.ravel(), a=a)
    else:
        y += a * x
    return y


def scal(a, x):
    """x *= a, in place."""
    if a == 1.0:
        return x
    if x.flags.c_contiguous and x.dtype in _SCAL:
        _SCAL[x.dtype](a, x.ravel())
    else:
        x *= a
    return x


def dot(x, y):
    """The dot product of two vectors of the same length, as a Python float."""
    dot_ = _DOT.get(x.dtype)
    if dot_ is not None and y.dtype == x.dtype and x.ndim == y.ndim == 1:
        return float(dot_(x, y))
    return float(np.dot(x, y))


def sum_of_squares(x):
    """The sum of the squares of the entries of x, as a Python float."""
    if x.flags.c_contiguous and x.dtype in _DOT:
        flat = x.ravel()
        return float(_DOT[x.dtype](flat, flat))
    return float(np.vdot(x, x))
