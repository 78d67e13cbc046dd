"""Preprocessing of images of digits: deskewing.

Handwriting slants. :class:`Deskewer` straightens each image by a shear that makes its
principal axis vertical, and moves its centre of mass to the centre of the image, as
LeCun et al. (1998) did before several of the classifiers in their MNIST table. It is
a fixed transformation of each image on its own (nothing is learned from the training
set and no image is added), so it goes first in a pipeline and is applied to every
image the pipeline predicts.
"""

import math
import numbers
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.ndimage import map_coordinates
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import (
    check_is_fitted,
    check_non_negative,
    validate_data,
)
from threadpoolctl import threadpool_info

from . import _validation as v
from ._base import keep_state_on_error

# Images are deskewed this many at a time, so that the work arrays stay small (the
# sampling coordinates take 16 bytes a pixel: 13 MB for 1,024 images of 28 x 28).
CHUNK_ROWS = 1024


def image_moments(images):
    """Centre of mass and shear of each image.

    For an image I of intensities I[r, c] >= 0 with mass m = sum I, the centre of
    mass is (r_bar, c_bar) = sum (r, c) I / m, and the shear is
    s = sigma_rc / sigma_rr, with sigma_rr = sum (r - r_bar)^2 I / m and
    sigma_rc = sum (r - r_bar)(c - c_bar) I / m: the slope of the line that
    predicts a stroke's column from its row, by least squares.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width)
        Non-negative, finite intensities (not checked here).

    Returns
    -------
    r_bar, c_bar, s : ndarray of shape (n_images,)
        Float64. An empty image (mass 0) has its centre at (height / 2, width / 2),
        and an image whose mass lies on one row has the shear 0.
    """
    images = np.asarray(images)
    n, height, width = images.shape
    r = np.arange(height, dtype=np.float64)
    c = np.arange(width, dtype=np.float64)
    # The moments do not change with the scale of an image: each is taken with its
    # brightest pixel in [1, 2), so that the sums cannot overflow at the largest
    # floats. The scale is a power of 2, so the division changes no bit.
    peak = images.reshape(n, -1).max(axis=1, initial=0).astype(np.float64)
    empty = ~(peak > 0)
    scale = np.ldexp(1.0, np.frexp(peak)[1] - 1)
    scale[empty] = 1.0
    images = images / scale[:, np.newaxis, np.newaxis]
    row_mass = images.sum(axis=2)
    column_mass = images.sum(axis=1)
    m = row_mass.sum(axis=1)
    m[empty] = 1.0
    r_bar = row_mass @ r / m
    c_bar = column_mass @ c / m
    sigma_rr = row_mass @ r**2 / m - r_bar**2
    sigma_rc = np.einsum("nhw,h->nw", images, r) @ c / m
    sigma_rc -= r_bar * c_bar
    # Below this, the row variance is rounding error: the mass lies on one row.
    flat = sigma_rr <= 1e-9 * height**2
    s = np.divide(sigma_rc, sigma_rr, out=np.zeros_like(sigma_rc), where=~flat)
    r_bar[empty], c_bar[empty] = height / 2, width / 2
    return r_bar, c_bar, s


def deskew(images):
    """Shear each image upright and move its centre of mass to the centre.

    Output pixel (i, j) of an image takes the input at row i + r_bar - h/2 and
    column j + c_bar - w/2 + s (i - h/2) (see :func:`image_moments`), interpolated
    bilinearly in the image extended by zeros beyond its border. A stroke whose
    column moves by s per row comes out vertical, at column w/2. An upright image
    already centred at (h/2, w/2) comes out unchanged.

    The centre (h/2, w/2) is in the coordinates of the pixels' indices: the point
    where MNIST centres its digits (their centres of mass average (14.0, 14.0) in
    the 28 x 28 field). Images centred at ((h - 1)/2, (w - 1)/2) instead, like
    scikit-learn's 8 x 8 digits, move by half a pixel down and right, and are
    interpolated between pixels.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width)
        Non-negative, finite intensities. float32 stays float32; any other type is
        computed in float64.

    Returns
    -------
    ndarray of shape (n_images, height, width)
        float32 for float32 images, else float64.
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(
            "images must be an array of shape (n_images, height, width); got "
            f"the shape {images.shape}."
        )
    if images.dtype != np.float32:
        images = images.astype(np.float64, copy=False)
    if not np.isfinite(images).all() or (images < 0).any():
        raise ValueError("images must hold finite, non-negative intensities.")
    return _deskew(images)


def _threads_allowed():
    """How many threads the caller lets numerical code use: the BLAS thread limit
    (it follows ``threadpoolctl`` limits, ``OPENBLAS_NUM_THREADS`` and the limits
    joblib sets in the workers of ``GridSearchCV(n_jobs=...)``), only read."""
    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return max(1, min(counts)) if counts else 1


def _deskew(images):
    """:func:`deskew` of float32 or float64 images already checked."""
    n, height, width = images.shape
    if n == 0:
        return images.copy()
    r_bar, c_bar, s = image_moments(images)
    r = np.arange(height, dtype=np.float64)
    c = np.arange(width, dtype=np.float64)
    # The images stacked into one tall image, each with a row of zeros above and
    # below: a source row clipped to [-1, height] reads zeros and never its
    # neighbour, so one two-dimensional interpolation serves every image.
    padded = np.zeros((n, height + 2, width), dtype=images.dtype)
    padded[:, 1:-1] = images
    source_rows = r + (r_bar - height / 2)[:, np.newaxis]
    np.clip(source_rows, -1, height, out=source_rows)
    source_rows += 1 + (height + 2) * np.arange(n)[:, np.newaxis]
    coordinates = np.empty((2, n, height, width))
    coordinates[0] = source_rows[:, :, np.newaxis]
    coordinates[1] = c + (c_bar - width / 2)[:, np.newaxis, np.newaxis]
    coordinates[1] += s[:, np.newaxis, np.newaxis] * (r - height / 2)[:, np.newaxis]
    out = map_coordinates(
        padded.reshape(n * (height + 2), width),
        coordinates,
        order=1,
        mode="grid-constant",
        prefilter=False,
    )
    return out.reshape(n, height, width)


def _image_shape(value):
    """None, or a pair of positive ints (height, width)."""
    expected = "None or a pair of positive ints (height, width)"
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        value = list(value) if value.ndim == 1 else None
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return TypeError, expected
    if not all(v._is_number(n, numbers.Integral) for n in value):
        return TypeError, expected
    return None if all(n >= 1 for n in value) else (ValueError, expected)


def nearly_square_shape(n_pixels):
    """(height, width) with height * width = ``n_pixels``, as square as it allows:
    (28, 28) for 784, (8, 8) for 64, (2, 5) for 10.

    Raises ``TypeError`` if ``n_pixels`` is not an int, ``ValueError`` if it is
    not positive."""
    if not v._is_number(n_pixels, numbers.Integral):
        raise TypeError(f"n_pixels must be a positive int; got {n_pixels!r}.")
    if n_pixels < 1:
        raise ValueError(f"n_pixels must be a positive int; got {n_pixels!r}.")
    n_pixels = int(n_pixels)
    height = math.isqrt(n_pixels)
    while n_pixels % height:
        height -= 1
    return height, n_pixels // height


class Deskewer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Straighten slanted images of handwriting, one image at a time.

    Each row of X is an image of ``height * width`` non-negative intensities (row by
    row). The image is sheared so that the line predicting a stroke's column from
    its row becomes vertical, and moved so that its centre of mass is at
    (height / 2, width / 2), counted in pixel indices, where MNIST centres its
    digits; pixels between the grid points are interpolated bilinearly, and the
    image is taken to be 0 beyond its border (see :func:`deskew`). The pixels keep
    their places, so the output has the input's features and can be drawn as
    images.

    Nothing is learned: ``fit`` only checks X and settles the image shape. LeCun et
    al. (1998) deskewed MNIST this way for several classifiers of their comparison;
    no image is added, so it is preprocessing, not data augmentation.

    The images of a chunk of X (1,024 rows) are interpolated together, as one tall
    image, for speed. An image's result can therefore differ in its last bit with
    its place in X: on 2,048 MNIST images transformed together and one by one, by
    at most 2e-12 in float64, and in float32 by one unit in the last place in 0.4%
    of the images. Alone and among others, an image gives results equal to within
    that rounding, not bit for bit.

    Parameters
    ----------
    image_shape : tuple of int, default=None
        (height, width) of an image. None takes the shape as square as the number of
        features allows: (28, 28) for MNIST's 784 pixels, (8, 8) for the 64 of
        :func:`~sklearn.datasets.load_digits`. Give it for other images.

    Attributes
    ----------
    image_shape_ : tuple of int
        The (height, width) used.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when X had string column names.

    See Also
    --------
    deskew : The transformation, on an array of images.

    Examples
    --------
    A bar slanting one column to the right per row, centred at (3, 3), comes out
    upright in column 3:

    >>> import numpy as np
    >>> from sknn_sigmoid.preprocessing import Deskewer
    >>> image = np.zeros((6, 6))
    >>> image[[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]] = 1
    >>> Deskewer().fit_transform(image.reshape(1, 36)).reshape(6, 6)
    array([[0., 0., 0., 0., 0., 0.],
           [0., 0., 0., 1., 0., 0.],
           [0., 0., 0., 1., 0., 0.],
           [0., 0., 0., 1., 0., 0.],
           [0., 0., 0., 1., 0., 0.],
           [0., 0., 0., 1., 0., 0.]])
    """

    def __init__(self, image_shape=None):
        self.image_shape = image_shape

    @keep_state_on_error
    def fit(self, X, y=None):
        """Check X and settle the image shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Images, one per row, of non-negative intensities.
        y : None
            Ignored.

        Returns
        -------
        self : Deskewer
        """
        v.validate_params(self, {"image_shape": _image_shape})
        X = self._check_X(X, reset=True)
        n_features = X.shape[1]
        if self.image_shape is None:
            image_shape = nearly_square_shape(n_features)
        else:
            image_shape = tuple(int(n) for n in self.image_shape)
            if image_shape[0] * image_shape[1] != n_features:
                raise ValueError(
                    f"image_shape={self.image_shape!r} has "
                    f"{image_shape[0] * image_shape[1]} pixels, but X has "
                    f"{n_features} features."
                )
        self.image_shape_ = image_shape
        return self

    def transform(self, X):
        """Deskew every image of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Images, one per row, of non-negative intensities.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            The deskewed images, float32 for float32 input, else float64.
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        out = np.empty_like(X)
        height, width = self.image_shape_

        def deskew_chunk(start):
            chunk = X[start : start + CHUNK_ROWS]
            images = chunk.reshape(len(chunk), height, width)
            out[start : start + CHUNK_ROWS] = _deskew(images).reshape(len(chunk), -1)

        # The chunks are independent, and cut by CHUNK_ROWS alone: the result is the
        # same whatever the number of threads (numpy and scipy.ndimage release the
        # GIL; the work is elementwise, no BLAS).
        starts = range(0, X.shape[0], CHUNK_ROWS)
        n_threads = min(len(starts), _threads_allowed())
        if n_threads <= 1:
            for start in starts:
                deskew_chunk(start)
            return out
        pool = ThreadPoolExecutor(n_threads)
        try:
            for _ in pool.map(deskew_chunk, starts):
                pass
        finally:  # after an error or Ctrl-C, the chunks not started are not run
            pool.shutdown(cancel_futures=True)
        return out

    def _check_X(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=v.float_dtype(X), order="C")
        check_non_negative(X, "Deskewer (intensities must be non-negative)")
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
