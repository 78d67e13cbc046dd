"""Preprocessing of images of digits: deskewing, and distortions for training.

Handwriting slants. :class:`Deskewer` straightens each image by a shear that makes its
principal axis vertical, and moves its centre of mass to the centre of the image, as
LeCun et al. (1998) did before several of the classifiers in their MNIST table. It is
a fixed transformation of each image on its own (nothing is learned from the training
set and no image is added), so it goes first in a pipeline and is applied to every
image the pipeline predicts.

:class:`ElasticDistortion` and :class:`RandomAffine` do the opposite: they draw new,
randomly distorted images from each image, for training only (data augmentation).
They are the ``augment`` parameter of
:class:`~sknn_sigmoid.SigmoidMLPClassifier`, which distorts every mini-batch of every
epoch anew, and are no pipeline steps: the images to predict stay as they are.
"""

import math
import numbers
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from scipy.ndimage import gaussian_filter, map_coordinates
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import check_random_state
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


# ---------------------------------------------------------------------------------
# Distortions: new training images drawn at random from each image


def _warp(images, rows, cols):
    """Read each image at the given positions, interpolating bilinearly.

    Output pixel (i, j) of image k is image k read at row ``rows[k, i, j]`` and
    column ``cols[k, i, j]`` (in pixel indices), interpolated bilinearly between
    its four nearest pixels, the image being 0 beyond its border. Integer
    positions read the pixels as they are, bit for bit.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width)
        float32 or float64 intensities.
    rows, cols : ndarray of shape (n_images, height, width)
        Where each output pixel reads its image (float64).

    Returns
    -------
    ndarray of shape (n_images, height, width)
        The warped images, of the dtype of ``images``: the positions are float64,
        the interpolation weights and the arithmetic on intensities are in the
        images' dtype.
    """
    n, height, width = images.shape
    dtype = images.dtype
    # Each image in a frame of zeros one pixel wide, the frames laid end to end in
    # one flat array. A position clipped to [-1, height] x [-1, width] reads the
    # frame wherever it lies outside the image; its upper-left neighbour (r0, c0) is
    # kept at most (height - 1, width - 1), so that the neighbours at r0 + 1 and
    # c0 + 1 are in the frame (a position clipped to the far edge then reads the
    # frame with weight 1 and the image with weight 0).
    framed = np.zeros((n, height + 2, width + 2), dtype)
    framed[:, 1:-1, 1:-1] = images
    rows = np.clip(rows, -1, height)
    cols = np.clip(cols, -1, width)
    r0 = np.minimum(np.floor(rows), height - 1)
    c0 = np.minimum(np.floor(cols), width - 1)
    fr = np.subtract(rows, r0).astype(dtype, copy=False)
    fc = np.subtract(cols, c0).astype(dtype, copy=False)
    stride = width + 2
    # The flat index of each upper-left neighbour, in floats (exact: they are
    # integers far below 2**53) cast once.
    r0 += 1
    r0 *= stride
    r0 += c0
    r0 += (np.arange(n) * ((height + 2) * stride) + 1.0)[:, None, None]
    index = r0.astype(np.intp)
    flat = framed.reshape(-1)
    # a + f (b - a): a weight f of 0 gives a exactly.
    top = flat[index]
    top += fc * (flat[index + 1] - top)
    index += stride
    bottom = flat[index]
    bottom += fc * (flat[index + 1] - bottom)
    bottom -= top
    bottom *= fr
    top += bottom
    return top


def _is_real(value):
    # As _validation.real: not a bool, nor a Fraction (object arithmetic).
    return v._is_number(value, int | float | np.integer | np.floating)


def _pair(value):
    """(low, high) if ``value`` is a pair (tuple, list or 1-d array of 2), else None."""
    if isinstance(value, np.ndarray):
        value = list(value) if value.ndim == 1 else None
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return tuple(value)
    return None


def _range_check(expected, *, symmetric, bounds=(-np.inf, np.inf)):
    """A constraint (see :mod:`~sknn_sigmoid._validation`) on a range parameter: a
    number d (the range [-d, d] with d >= 0 if ``symmetric``, else [d, d]) or a
    pair (low, high) with low <= high; every end finite and strictly inside
    ``bounds``."""

    def inside(x):
        return bool(np.isfinite(x)) and bounds[0] < x < bounds[1]

    def check(value):
        pair = _pair(value)
        ends = (value,) if pair is None else pair
        if not all(_is_real(x) for x in ends):
            return TypeError, expected
        try:
            ends = [float(x) for x in ends]
        except OverflowError:  # an int too large for any float
            return ValueError, expected
        if pair is None and symmetric:
            ends = [-ends[0], ends[0]] if ends[0] >= 0 else [np.nan]
        if all(map(inside, ends)) and ends[0] <= ends[-1]:
            return None
        return ValueError, expected

    return check


def _as_range(value, symmetric):
    """The (low, high) of a range parameter already checked by :func:`_range_check`."""
    pair = _pair(value)
    if pair is not None:
        return float(pair[0]), float(pair[1])
    return (-float(value), float(value)) if symmetric else (float(value),) * 2


class _Distortion(BaseEstimator):
    """What both distortions share: checking the images, and distorting them a
    chunk of images at a time."""

    def __call__(self, X, rng=None):
        """Return a randomly distorted copy of every image of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Images, one per row (``height * width`` intensities, row by row).
            A dense array: sparse matrices are refused.
        rng : int, numpy.random.RandomState or None, default=None
            The random numbers (as ``random_state`` everywhere in scikit-learn):
            an int, or a ``RandomState`` in a given state, gives the same
            distortions every time.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            A new array (X is left as it is): float32 for float32 X, else
            float64.
        """
        v.validate_params(self, self._constraints)
        rng = check_random_state(rng)
        X = self._check_X(X)
        height, width = self._shape_of_images(X.shape[1])
        out = np.empty_like(X)
        # The random numbers are drawn image after image, a chunk of images at a
        # time: the images of a batch get the numbers they would get one by one,
        # from the same generator, whatever the chunks.
        for start in range(0, X.shape[0], CHUNK_ROWS):
            chunk = X[start : start + CHUNK_ROWS]
            n = chunk.shape[0]
            rows, cols = self._positions(n, height, width, rng)
            images = chunk.reshape(n, height, width)
            out[start : start + n] = _warp(images, rows, cols).reshape(n, -1)
        return out

    def _check_X(self, X):
        name = type(self).__name__
        if sp.issparse(X):
            raise TypeError(
                f"{name} distorts dense images; got a sparse matrix. Convert it with "
                "X.toarray()."
            )
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(
                f"{name} takes images as the rows of a 2-dimensional array of shape "
                f"(n_samples, height * width); got an array of shape {X.shape}."
            )
        if X.dtype.kind not in "biuf":
            raise TypeError(f"{name} takes numeric images; got dtype {X.dtype}.")
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if not np.isfinite(X).all():
            raise ValueError(f"{name}: the images hold NaN or infinite values.")
        return X

    def _shape_of_images(self, n_features):
        if self.image_shape is None:
            return nearly_square_shape(n_features)
        height, width = (int(n) for n in self.image_shape)
        if height * width != n_features:
            raise ValueError(
                f"{type(self).__name__}: image_shape={self.image_shape!r} has "
                f"{height * width} pixels, but the images have {n_features} features."
            )
        return height, width


class ElasticDistortion(_Distortion):
    """Elastic distortion of images (Simard, Steinkraus and Platt, 2003).

    Every image gets a random displacement field of its own: for each pixel a
    displacement (dr, dc), each drawn uniformly from [-1, 1], the two fields
    smoothed by a Gaussian filter of standard deviation ``sigma`` pixels (with
    zeros beyond the border) and multiplied by ``alpha``. Output pixel (i, j)
    then reads the image at (i + dr, j + dc), interpolated bilinearly, the image
    being 0 (background) beyond its border. A small ``sigma`` makes the field
    nearly random from pixel to pixel; a large one nearly a shift of the whole
    image; in between the strokes bend as if drawn by another hand.

    Meant as the ``augment`` parameter of
    :class:`~sknn_sigmoid.SigmoidMLPClassifier`, which calls it on every training
    mini-batch with the estimator's random generator; it can also be called on
    its own, ``ElasticDistortion()(X, rng=0)``, e.g. to look at the distortions
    or to add distorted copies to a training set. It is no pipeline step (no
    ``transform``): the images to predict are not to be distorted. Nothing is
    learned or stored: calling it leaves its parameters as they were.

    The images are distorted together (1,024 at a time), with no loop over
    them: the smoothing by :func:`scipy.ndimage.gaussian_filter` over the image
    axes only, and one bilinear gather over the whole chunk.

    Parameters
    ----------
    alpha : float, default=34.0
        The scale of the displacements, in pixels. 0 leaves every image as it is.
        The smoothed field is small (away from the border, each of dr and dc
        has a standard deviation of about 0.16 / sigma before the scaling), so
        alpha is large: Simard et al. used alpha = 34 with sigma = 4 on MNIST's
        28 x 28 images, displacements of about 1.4 pixels. For images k times
        as large, k sigma and k^2 alpha give displacements k times as large.
    sigma : float, default=4.0
        The standard deviation of the Gaussian smoothing, in pixels; 0 leaves the
        field unsmoothed.
    image_shape : tuple of int, default=None
        (height, width) of an image. None takes the shape as square as the number
        of features allows, as :class:`Deskewer` does: (28, 28) for MNIST's 784
        pixels.

    See Also
    --------
    RandomAffine : Random rotation, scaling, shear and shift of each image.

    Notes
    -----
    The random numbers are drawn image after image (the two fields of an image,
    then those of the next), so a batch is distorted exactly as its images would
    be one after the other with the same generator.

    References
    ----------
    P. Y. Simard, D. Steinkraus and J. C. Platt, "Best practices for
    convolutional neural networks applied to visual document analysis", ICDAR
    2003.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_sigmoid import SigmoidMLPClassifier
    >>> from sknn_sigmoid.preprocessing import ElasticDistortion
    >>> X = np.zeros((2, 784), dtype=np.float32)
    >>> X[:, 14 * 28 + 8 : 14 * 28 + 20] = 1.0  # a horizontal bar
    >>> distorted = ElasticDistortion(alpha=34, sigma=4)(X, rng=0)
    >>> distorted.shape, distorted.dtype
    ((2, 784), dtype('float32'))
    >>> bool(np.array_equal(ElasticDistortion(alpha=0)(X, rng=0), X))
    True
    >>> model = SigmoidMLPClassifier(augment=ElasticDistortion(alpha=34, sigma=4))
    """

    _constraints = {
        "alpha": v.real(0, finite=True),
        "sigma": v.real(0, finite=True),
        "image_shape": _image_shape,
    }

    def __init__(self, alpha=34.0, sigma=4.0, image_shape=None):
        self.alpha = alpha
        self.sigma = sigma
        self.image_shape = image_shape

    def _displacements(self, n, height, width, rng):
        """The displacement fields (dr, dc) of n images: shape (n, 2, height, width)."""
        field = rng.uniform(-1.0, 1.0, size=(n, 2, height, width))
        if self.sigma > 0:
            sigma = float(self.sigma)
            field = gaussian_filter(field, sigma=(0, 0, sigma, sigma), mode="constant")
        field *= float(self.alpha)
        return field

    def _positions(self, n, height, width, rng):
        field = self._displacements(n, height, width, rng)
        field[:, 0] += np.arange(height, dtype=np.float64)[:, np.newaxis]
        field[:, 1] += np.arange(width, dtype=np.float64)
        return field[:, 0], field[:, 1]


class RandomAffine(_Distortion):
    """Random small rotation, scaling, shear and shift of each image.

    Every image is rotated by an angle theta, sheared by an angle phi (each
    row's columns move by tan(phi) times the row's distance from the centre, as
    handwriting slants), and scaled by a factor s, about its centre
    ((height - 1) / 2, (width - 1) / 2), then shifted by (t_r, t_c) pixels;
    theta, phi, s, t_r and t_c are drawn for each image, uniformly from the
    ranges the parameters give. The new pixels are interpolated bilinearly, the
    image being 0 (background) beyond its border.

    Meant as the ``augment`` parameter of
    :class:`~sknn_sigmoid.SigmoidMLPClassifier`, which calls it on every training
    mini-batch with the estimator's random generator; it can also be called on
    its own, ``RandomAffine()(X, rng=0)``. It is no pipeline step (no
    ``transform``): the images to predict are not to be distorted. Nothing is
    learned or stored: calling it leaves its parameters as they were.

    The images are transformed together (1,024 at a time), with no loop over
    them: one bilinear gather over the whole chunk.

    Parameters
    ----------
    degrees : float or (float, float), default=10.0
        The rotation angle, in degrees: a number d >= 0 draws it from [-d, d], a
        pair (low, high) from [low, high].
    scale : float or (float, float), default=(0.9, 1.1)
        The scaling factor (above 1 enlarges the digit): a positive number is
        the factor of every image, a pair (low, high), 0 < low <= high, the
        range it is drawn from.
    shear : float or (float, float), default=10.0
        The shear angle, in degrees, in (-90, 90): a number d >= 0 draws it from
        [-d, d], a pair (low, high) from [low, high].
    shift : float or (float, float), default=2.0
        The shift of the rows and, independently, of the columns, in pixels
        (positive: down and right): a number d >= 0 draws each from [-d, d], a
        pair (low, high) from [low, high]; ``shift=(2, 2)`` moves every image 2
        pixels down and 2 right.
    image_shape : tuple of int, default=None
        (height, width) of an image. None takes the shape as square as the number
        of features allows, as :class:`Deskewer` does: (28, 28) for MNIST's 784
        pixels.

    See Also
    --------
    ElasticDistortion : Random elastic distortion of each image.

    Notes
    -----
    With M = s R(theta) H(phi), output pixel p (row, column) reads the image at
    M^-1 (p - centre - t) + centre. The five numbers of an image are drawn
    together, image after image, so a batch is transformed exactly as its images
    would be one after the other with the same generator. On MNIST's 28 x 28
    digits, rotations of 10-15 degrees, scales of (0.9, 1.1), shears of 10-15
    degrees and shifts of about 2 pixels keep the digits legible.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_sigmoid import SigmoidMLPClassifier
    >>> from sknn_sigmoid.preprocessing import RandomAffine
    >>> image = np.zeros((1, 25))
    >>> image[0, 6] = 1.0  # pixel (1, 1) of a 5 x 5 image
    >>> moved = RandomAffine(degrees=0, scale=1, shear=0, shift=(2, 2))(image)
    >>> int(np.flatnonzero(moved[0])[0])  # pixel (3, 3)
    18
    >>> model = SigmoidMLPClassifier(augment=RandomAffine(degrees=12, shift=2))
    """

    _constraints = {
        "degrees": _range_check(
            "a float d >= 0 (angles from [-d, d]) or a pair (low, high) of finite "
            "floats, low <= high",
            symmetric=True,
        ),
        "scale": _range_check(
            "a float s > 0 or a pair (low, high) of finite floats, 0 < low <= high",
            symmetric=False,
            bounds=(0, np.inf),
        ),
        "shear": _range_check(
            "a float d in [0, 90) (angles from [-d, d]) or a pair (low, high), "
            "-90 < low <= high < 90",
            symmetric=True,
            bounds=(-90, 90),
        ),
        "shift": _range_check(
            "a float d >= 0 (shifts from [-d, d]) or a pair (low, high) of finite "
            "floats, low <= high",
            symmetric=True,
        ),
        "image_shape": _image_shape,
    }

    def __init__(
        self, degrees=10.0, scale=(0.9, 1.1), shear=10.0, shift=2.0, image_shape=None
    ):
        self.degrees = degrees
        self.scale = scale
        self.shear = shear
        self.shift = shift
        self.image_shape = image_shape

    def _sampling_maps(self, n, height, width, rng):
        """The maps of n images from output to input positions: ``A`` of shape
        (n, 2, 2) and ``offset`` of shape (n, 2), output pixel p = (row, column)
        reading the input at A p + offset (the convention of
        :func:`scipy.ndimage.affine_transform`)."""
        ranges = [
            _as_range(self.degrees, symmetric=True),
            _as_range(self.scale, symmetric=False),
            _as_range(self.shear, symmetric=True),
            _as_range(self.shift, symmetric=True),
            _as_range(self.shift, symmetric=True),
        ]
        low, high = np.array(ranges).T
        # Drawn image after image: theta, s, phi, t_r, t_c. An empty range [d, d]
        # gives d exactly.
        theta, s, phi, t_r, t_c = rng.uniform(low, high, size=(n, 5)).T
        theta, phi = np.deg2rad(theta), np.deg2rad(phi)
        cos, sin, tan = np.cos(theta), np.sin(theta), np.tan(phi)
        # M = s R H with R = [[cos, -sin], [sin, cos]] and H = [[1, 0], [tan, 1]]
        # (the column moves by tan per row): M^-1 = H^-1 R^T / s.
        A = np.empty((n, 2, 2))
        A[:, 0, 0] = cos / s
        A[:, 0, 1] = sin / s
        A[:, 1, 0] = (-tan * cos - sin) / s
        A[:, 1, 1] = (cos - tan * sin) / s
        centre = np.array([(height - 1) / 2, (width - 1) / 2])
        moved = centre + np.stack([t_r, t_c], axis=1)
        offset = centre - np.einsum("nij,nj->ni", A, moved)
        return A, offset

    def _positions(self, n, height, width, rng):
        A, offset = self._sampling_maps(n, height, width, rng)
        r = np.arange(height, dtype=np.float64)[:, np.newaxis]
        c = np.arange(width, dtype=np.float64)
        A, offset = A[:, :, :, np.newaxis, np.newaxis], offset[:, :, np.newaxis]
        rows = A[:, 0, 0] * r + A[:, 0, 1] * c + offset[:, 0, np.newaxis]
        cols = A[:, 1, 0] * r + A[:, 1, 1] * c + offset[:, 1, np.newaxis]
        return rows, cols
