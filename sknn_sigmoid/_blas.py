"""In-place vector updates through BLAS: one pass over memory, no temporary array.

``y += a * x`` written with numpy reads x, writes a temporary, then reads it again;
BLAS's axpy does it in one pass. The parameter updates of every step are such
updates on arrays the size of the weight matrices, so this matters.
"""

import numpy as np
from scipy.linalg import get_blas_funcs


def axpy(a, x, y):
    """y += a * x, in place (x and y of the same shape and dtype)."""
    if y.flags.c_contiguous and x.flags.c_contiguous and x.dtype == y.dtype:
        get_blas_funcs("axpy", (y,))(x.ravel(), y.ravel(), a=a)
    else:
        y += a * x
    return y


def scal(a, x):
    """x *= a, in place."""
    if a == 1.0:
        return x
    if x.flags.c_contiguous and x.dtype in (np.float32, np.float64):
        get_blas_funcs("scal", (x,))(a, x.ravel())
    else:
        x *= a
    return x
