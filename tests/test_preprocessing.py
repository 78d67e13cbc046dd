"""Deskewing: the transformation, checked by hand and against scipy, and the
transformer's scikit-learn behaviour."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.ndimage import affine_transform
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic
from sknn_sigmoid import preprocessing as pre
from sknn_sigmoid.preprocessing import Deskewer, deskew, image_moments


def slanted_bar(size=6, slope=1):
    """A bar through the centre (size/2, size/2), moving ``slope`` columns per row."""
    image = np.zeros((size, size))
    centre = size // 2
    for r in range(1, size):
        image[r, centre + slope * (r - centre)] = 1.0
    return image


def reference_deskew(image):
    """One image, by scipy's affine_transform: output (i, j) reads the input at
    A (i, j) + offset, A = [[1, 0], [s, 1]], the centre of mass landing on the
    centre (h/2, w/2)."""
    height, width = image.shape
    rows, cols = np.mgrid[:height, :width]
    mass = image.sum()
    r_bar, c_bar = (rows * image).sum() / mass, (cols * image).sum() / mass
    sigma_rr = ((rows - r_bar) ** 2 * image).sum() / mass
    sigma_rc = ((rows - r_bar) * (cols - c_bar) * image).sum() / mass
    A = np.array([[1.0, 0.0], [sigma_rc / sigma_rr, 1.0]])
    offset = np.array([r_bar, c_bar]) - A @ np.array([height / 2, width / 2])
    return affine_transform(image, A, offset=offset, order=1, mode="grid-constant")


@pytest.mark.parametrize("slope", [1, -1])
def test_a_slanted_bar_comes_out_upright_in_the_centre_column(slope):
    image = slanted_bar(slope=slope)
    r_bar, c_bar, s = image_moments(image[np.newaxis])
    assert_allclose([r_bar[0], c_bar[0], s[0]], [3.0, 3.0, slope])
    expected = np.zeros((6, 6))
    expected[1:, 3] = 1.0
    assert_allclose(deskew(image[np.newaxis])[0], expected, atol=1e-12)


def test_a_half_slope_is_undone_by_interpolation():
    # Columns 3 + (r - 3) / 2 for rows 1, 3, 5: the shear is 1/2, the centre (3, 3),
    # to be moved to (h/2, w/2) = (3, 4).
    image = np.zeros((6, 8))
    image[[1, 3, 5], [2, 3, 4]] = 1.0
    r_bar, c_bar, s = image_moments(image[np.newaxis])
    assert_allclose([r_bar[0], c_bar[0], s[0]], [3.0, 3.0, 0.5])
    expected = np.zeros((6, 8))
    expected[[1, 3, 5], 4] = 1.0  # moved one column right, to w/2 = 4
    assert_allclose(deskew(image[np.newaxis])[0], expected, atol=1e-12)


def test_an_upright_centred_image_is_unchanged():
    image = np.zeros((7, 9))
    image[2:6, 4] = image[2:6, 5] = [1.0, 3.0, 3.0, 1.0]
    r_bar, c_bar, s = image_moments(image[np.newaxis])
    assert_allclose([r_bar[0], c_bar[0], s[0]], [3.5, 4.5, 0.0])  # (h/2, w/2)
    assert_array_equal(deskew(image[np.newaxis])[0], image)


def test_empty_images_and_images_on_one_row():
    empty = np.zeros((5, 5))
    one_row = np.zeros((5, 5))
    one_row[2, 1:4] = 1.0  # centre (2, 2), no row variance
    r_bar, c_bar, s = image_moments(np.stack([empty, one_row]))
    assert_allclose(r_bar, [2.5, 2.0])
    assert_allclose(c_bar, [2.5, 2.0])
    assert_array_equal(s, [0.0, 0.0])
    out = deskew(np.stack([empty, one_row]))
    assert_array_equal(out[0], empty)
    assert np.isfinite(out).all()
    assert_allclose(out[1].sum(), 3.0)  # moved half a pixel down and right


@pytest.mark.parametrize("shape", [(8, 8), (7, 11)])
def test_matches_scipy_affine_transform_image_by_image(shape):
    rng = np.random.default_rng(0)
    images = rng.random((20, *shape)) * (rng.random((20, *shape)) < 0.3)
    expected = np.stack([reference_deskew(image) for image in images])
    assert_allclose(deskew(images), expected, rtol=1e-9, atol=1e-9)


def test_images_moved_far_read_zeros_beyond_their_border_not_their_neighbours():
    # Mass in the top or bottom rows only: the centre moves by about h/2, and the
    # rows brought in from beyond the border must be zeros.
    rng = np.random.default_rng(1)
    images = rng.random((6, 8, 8)) + 1.0
    images[0::2, 2:] = 0.0
    images[1::2, :-2] = 0.0
    expected = np.stack([reference_deskew(image) for image in images])
    assert_allclose(deskew(images), expected, rtol=1e-9, atol=1e-9)
    assert_array_equal(deskew(images)[0, :2], 0.0)


def test_the_moments_do_not_overflow_at_the_largest_floats():
    images = np.random.default_rng(0).random((10, 8, 8))
    scale = 1e306
    assert_allclose(deskew(images * scale) / scale, deskew(images), rtol=1e-12)
    X = np.zeros((1, 64))
    X[0, [10, 50]] = 1e308
    assert np.isfinite(Deskewer().fit_transform(X)).all()


def test_deskew_takes_arrays_of_images_only():
    images = [[[0, 1], [2, 0]]]
    assert deskew(images).dtype == np.float64
    assert deskew(np.array(images, dtype=np.uint8)).dtype == np.float64
    assert_allclose(deskew(images), deskew(np.array(images, dtype=np.float64)))
    with pytest.raises(ValueError, match=r"shape \(n_images, height, width\)"):
        deskew(np.ones((4, 4)))
    for bad in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="finite, non-negative"):
            deskew(np.array([[[1.0, bad], [0.0, 1.0]]]))
    assert deskew(np.zeros((0, 6, 6), dtype=np.float32)).shape == (0, 6, 6)
    assert_allclose(image_moments([[[0, 1], [1, 0]]])[2], [-1.0])


def test_digits_come_out_upright_and_centred():
    X, _ = load_digits(return_X_y=True)
    before = image_moments(X.reshape(-1, 8, 8))
    after = image_moments(Deskewer().fit_transform(X).reshape(-1, 8, 8))
    assert np.abs(after[2]).mean() < 0.3 * np.abs(before[2]).mean()  # shear
    assert np.abs(after[1] - 4).mean() < 0.1 * np.abs(before[1] - 4).mean()  # column


def test_transformer_is_the_function_on_rows_in_chunks(monkeypatch):
    X, _ = load_digits(return_X_y=True)
    expected = deskew(X[:50].reshape(-1, 8, 8)).reshape(50, 64)
    monkeypatch.setattr(pre, "CHUNK_ROWS", 7)
    assert_allclose(Deskewer().fit_transform(X[:50]), expected, rtol=1e-12)


def test_the_same_on_one_thread_and_on_two(monkeypatch):
    from threadpoolctl import threadpool_limits

    X = np.random.default_rng(0).random((40, 64))
    monkeypatch.setattr(pre, "CHUNK_ROWS", 6)
    with threadpool_limits(1):
        one = Deskewer().fit_transform(X)
    with threadpool_limits(2):
        two = Deskewer().fit_transform(X)
    assert_array_equal(one, two)
    assert_allclose(two, deskew(X.reshape(40, 8, 8)).reshape(40, 64), rtol=1e-12)


def test_dtypes():
    X, _ = load_digits(return_X_y=True)
    out64 = Deskewer().fit_transform(X)
    out32 = Deskewer().fit_transform(X.astype(np.float32))
    assert out64.dtype == np.float64 and out32.dtype == np.float32
    assert_allclose(out32, out64, rtol=1e-5, atol=1e-4)
    assert Deskewer().fit_transform(X.astype(np.uint8)).dtype == np.float64


@pytest.mark.parametrize(
    "n_pixels, shape",
    [(784, (28, 28)), (64, (8, 8)), (10, (2, 5)), (7, (1, 7)), (1, (1, 1))],
)
def test_image_shape_is_as_square_as_the_features_allow(n_pixels, shape):
    X = np.ones((2, n_pixels))
    assert Deskewer().fit(X).image_shape_ == shape


@pytest.mark.parametrize(
    "n_pixels, error",
    [(0, ValueError), (-4, ValueError), (7.0, TypeError), (True, TypeError)],
)
def test_nearly_square_shape_needs_a_positive_int(n_pixels, error):
    with pytest.raises(error, match="n_pixels must be a positive int"):
        pre.nearly_square_shape(n_pixels)


def test_nearly_square_shape_takes_numpy_ints():
    assert pre.nearly_square_shape(np.int64(784)) == (28, 28)


@pytest.mark.parametrize("image_shape", [(6, 4), [6, 4], np.array([6, 4])])
def test_image_shape_given(image_shape):
    X = np.random.default_rng(0).random((3, 6 * 4))
    fitted = Deskewer(image_shape=image_shape).fit(X)
    assert fitted.image_shape_ == (6, 4)
    expected = deskew(X.reshape(3, 6, 4)).reshape(3, 24)
    assert_allclose(fitted.transform(X), expected)


@pytest.mark.parametrize(
    "image_shape, error, message",
    [
        ((5, 5), ValueError, "has 25 pixels, but X has 24 features"),
        ((0, 24), ValueError, "image_shape"),
        ("6x4", TypeError, "image_shape"),
        ((6, 4, 1), TypeError, "image_shape"),
        ((6.0, 4), TypeError, "image_shape"),
        ({6, 4}, TypeError, "image_shape"),
        ({6: 1, 4: 2}, TypeError, "image_shape"),
        (np.array(24), TypeError, "image_shape"),
        (b"\x06\x04", TypeError, "image_shape"),
    ],
)
def test_bad_image_shape(image_shape, error, message):
    with pytest.raises(error, match=message):
        Deskewer(image_shape=image_shape).fit(np.ones((2, 24)))


def test_bad_input_names_the_problem_and_keeps_the_fitted_state():
    X = np.ones((3, 16))
    fitted = Deskewer().fit(X)
    state = dict(fitted.__dict__)
    with pytest.raises(ValueError, match="Negative values in data passed to Deskewer"):
        fitted.fit(-X)
    with pytest.raises(ValueError, match="NaN"):
        fitted.fit(np.full((3, 9), np.nan))
    with pytest.raises(TypeError, match="dense data is required"):
        fitted.fit(sp.csr_matrix(X))
    fitted.set_params(image_shape=(5, 5))
    with pytest.raises(ValueError, match="has 25 pixels"):
        fitted.fit(X)
    fitted.set_params(image_shape=None)
    assert fitted.__dict__.keys() == state.keys()
    assert fitted.image_shape_ == (4, 4) and fitted.n_features_in_ == 16
    with pytest.raises(ValueError, match="Negative values"):
        fitted.transform(-X)
    with pytest.raises(ValueError, match="16 features"):
        fitted.transform(np.ones((3, 9)))
    with pytest.raises(NotFittedError):
        Deskewer().transform(X)


def test_in_a_pipeline_with_feature_names():
    pd = pytest.importorskip("pandas", reason="pandas is an optional dependency")
    X, y = load_digits(return_X_y=True)
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(64)])
    deskewer = Deskewer().set_output(transform="pandas")
    out = deskewer.fit_transform(frame)
    assert list(out.columns) == list(frame.columns)
    assert_allclose(out.to_numpy(), Deskewer().fit_transform(X))
    model = make_pipeline(Deskewer(), MinMaxScaler(), OneVsRestLogistic(random_state=0))
    model.fit(frame, y)
    assert model.score(frame, y) > 0.9
    assert clone(model).get_params()["deskewer__image_shape"] is None
