"""Deskewing: the transformation, checked by hand and against scipy, and the
transformer's scikit-learn behaviour; the random distortions for training, checked
the same way."""

import pickle

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


# ---------------------------------------------------------------------------------
# Distortions: ElasticDistortion and RandomAffine

IDENTITIES = [
    pre.ElasticDistortion(alpha=0),
    pre.ElasticDistortion(alpha=0, sigma=0),
    pre.RandomAffine(degrees=0, scale=1, shear=0, shift=0),
    pre.RandomAffine(degrees=(0, 0), scale=(1, 1), shear=(0, 0), shift=(0, 0)),
]
TYPICAL = [pre.ElasticDistortion(), pre.RandomAffine()]


def centred_digit():
    """A 28 x 28 image holding a digit of ``load_digits``, enlarged to 16 x 16 by
    bilinear interpolation and framed by 6 blank pixels on every side."""
    from scipy.ndimage import zoom

    digits, _ = load_digits(return_X_y=True)
    image = np.zeros((28, 28))
    image[6:22, 6:22] = zoom(digits[0].reshape(8, 8) / 16, 2, order=1)
    return image


def random_images(n, shape=(28, 28), dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.random((n, *shape)) * (rng.random((n, *shape)) < 0.4)
    return images.reshape(n, -1).astype(dtype)


@pytest.mark.parametrize("distortion", IDENTITIES, ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zero_strength_distortions_are_the_identity(distortion, dtype):
    X = random_images(5, dtype=dtype)
    out = distortion(X, rng=0)
    assert out.dtype == dtype
    assert_array_equal(out, X)
    assert out is not X and not np.shares_memory(out, X)


@pytest.mark.parametrize("shift, rows, cols", [((2, 2), 2, 2), ((-1, -1), -1, -1)])
def test_an_integer_shift_moves_the_image_by_that_many_pixels(shift, rows, cols):
    image = np.zeros((7, 9))
    image[1:6, 2:7] = np.arange(25.0).reshape(5, 5) + 1.0
    moved = pre.RandomAffine(degrees=0, scale=1, shear=0, shift=shift)(
        image.reshape(1, -1), rng=0
    )
    expected = np.zeros_like(image)
    expected[max(rows, 0) : 7 + min(rows, 0), max(cols, 0) : 9 + min(cols, 0)] = image[
        max(-rows, 0) : 7 - max(rows, 0), max(-cols, 0) : 9 - max(cols, 0)
    ]
    assert_array_equal(moved.reshape(7, 9), expected)


def test_warp_reads_integer_positions_exactly_and_zeros_beyond_the_border():
    # Output (i, j) reads (i + 1, j - 2): the image moves up 1 and right 2, and the
    # pixels that come in read zeros.
    images = np.arange(1.0, 2 * 5 * 6 + 1).reshape(2, 5, 6)
    r, c = np.meshgrid(np.arange(5.0), np.arange(6.0), indexing="ij")
    rows, cols = np.broadcast_to(r + 1, images.shape), np.broadcast_to(c - 2, (2, 5, 6))
    expected = np.zeros_like(images)
    expected[:, :-1, 2:] = images[:, 1:, :-2]
    assert_array_equal(pre._warp(images, rows, cols), expected)

    # Far outside or one pixel beyond the border, on every side: zeros.
    def outside(positions):
        return np.broadcast_to(np.array(positions)[:, None, None], (4, 5, 6))

    ones = np.ones((4, 5, 6))
    rows_out, cols_out = outside([-50.0, -1.0, 5.0, 80.0]), outside([-9, -1, 6, 7e9])
    assert_array_equal(pre._warp(ones, rows_out, c + 0 * rows_out), 0.0)
    assert_array_equal(pre._warp(ones, r + 0 * cols_out, cols_out), 0.0)


def test_warp_halfway_between_pixels_averages_them():
    images = np.array([[[0.0, 4.0], [8.0, 12.0]]])
    rows, cols = np.full((1, 2, 2), 0.5), np.full((1, 2, 2), 0.5)
    assert_allclose(pre._warp(images, rows, cols), 6.0)
    # Half a pixel beyond the border: half of the border pixel.
    rows[:] = -0.5
    cols[:] = 0.0
    assert_allclose(pre._warp(images, rows, cols), 0.0 / 2)
    rows[:] = 1.5
    assert_allclose(pre._warp(images, rows, cols), 8.0 / 2)


def test_a_quarter_turn_turns_the_image_anticlockwise():
    image = np.arange(1.0, 50.0).reshape(7, 7)
    turned = pre.RandomAffine(degrees=(90, 90), scale=1, shear=0, shift=0)(
        image.reshape(1, -1), rng=0
    )
    # cos(pi / 2) is 6e-17, not 0: the positions are within 1e-14 of the pixels.
    assert_allclose(turned.reshape(7, 7), np.rot90(image), atol=1e-12)


def test_a_shear_moves_the_columns_by_tan_phi_per_row():
    image = np.zeros((7, 7))
    image[:, 3] = 1.0  # a vertical bar through the centre (3, 3)
    sheared = pre.RandomAffine(degrees=0, scale=1, shear=(45, 45), shift=0)(
        image.reshape(1, -1), rng=0
    )
    expected = np.zeros((7, 7))
    expected[np.arange(7), np.arange(7)] = 1.0  # row r: column 3 + (r - 3)
    assert_allclose(sheared.reshape(7, 7), expected, atol=1e-12)


def test_random_affine_matches_scipy_affine_transform_image_by_image():
    X = random_images(30, shape=(12, 10))
    distortion = pre.RandomAffine(
        degrees=30, scale=(0.7, 1.3), shear=20, shift=3, image_shape=(12, 10)
    )
    A, offset = distortion._sampling_maps(30, 12, 10, np.random.RandomState(4))
    out = distortion(X, rng=np.random.RandomState(4)).reshape(30, 12, 10)
    for image, matrix, o, result in zip(X.reshape(30, 12, 10), A, offset, out):
        expected = affine_transform(
            image, matrix, offset=o, order=1, mode="grid-constant"
        )
        assert_allclose(result, expected, rtol=1e-12, atol=1e-12)
    # The maps are those of the parameters: det M^-1 = 1 / s^2 within the range.
    det = np.linalg.det(A)
    assert np.all((det >= 1 / 1.3**2 - 1e-12) & (det <= 1 / 0.7**2 + 1e-12))


def test_elastic_distortion_is_simards_smoothed_uniform_field_read_bilinearly():
    from scipy.ndimage import gaussian_filter, map_coordinates

    X = random_images(6, shape=(12, 10))
    distortion = pre.ElasticDistortion(alpha=9.0, sigma=2.5, image_shape=(12, 10))
    # The documented recipe, image by image: uniform fields in [-1, 1], drawn dr then
    # dc for each image in turn, smoothed with zeros beyond the border, scaled.
    uniform = np.random.RandomState(5).uniform(-1, 1, size=(6, 2, 12, 10))
    fields = 9.0 * np.stack(
        [[gaussian_filter(f, 2.5, mode="constant") for f in pair] for pair in uniform]
    )
    assert_allclose(
        distortion._displacements(6, 12, 10, np.random.RandomState(5)),
        fields,
        rtol=1e-12,
        atol=1e-12,
    )
    out = distortion(X, rng=np.random.RandomState(5)).reshape(6, 12, 10)
    r, c = np.meshgrid(np.arange(12.0), np.arange(10.0), indexing="ij")
    for image, (dr, dc), result in zip(X.reshape(6, 12, 10), fields, out):
        expected = map_coordinates(
            image, [r + dr, c + dc], order=1, mode="grid-constant", prefilter=False
        )
        assert_allclose(result, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("distortion", TYPICAL, ids=repr)
def test_a_batch_is_distorted_as_its_images_one_after_the_other(
    distortion, monkeypatch
):
    X = random_images(9)
    batch = distortion(X, rng=np.random.RandomState(3))
    rng = np.random.RandomState(3)
    one_by_one = np.vstack([distortion(X[i : i + 1], rng=rng) for i in range(9)])
    assert_allclose(batch, one_by_one, rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(pre, "CHUNK_ROWS", 4)  # chunks of 4, 4 and 1 images
    assert_allclose(
        distortion(X, rng=np.random.RandomState(3)), batch, rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("distortion", TYPICAL, ids=repr)
def test_shapes_dtypes_and_a_copy(distortion):
    for dtype, expected in [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.uint8, np.float64),
        (np.int64, np.float64),
    ]:
        X = (random_images(4) * 255).astype(dtype)
        before = X.copy()
        out = distortion(X, rng=0)
        assert out.shape == X.shape and out.dtype == expected
        assert out.flags.c_contiguous
        assert_array_equal(X, before)  # X is left as it was
    assert distortion(np.zeros((0, 784), np.float32), rng=0).shape == (0, 784)
    X = random_images(3, shape=(6, 4))
    assert distortion.set_params(image_shape=(6, 4))(X, rng=0).shape == (3, 24)
    distortion.set_params(image_shape=None)


@pytest.mark.parametrize("distortion", TYPICAL, ids=repr)
def test_float32_stays_close_to_float64(distortion):
    X = random_images(10)
    out64 = distortion(X, rng=1)
    out32 = distortion(X.astype(np.float32), rng=1)
    assert_allclose(out32, out64, atol=1e-5)


@pytest.mark.parametrize("distortion", TYPICAL, ids=repr)
def test_reproducible_with_a_seed_and_different_with_another(distortion):
    X = random_images(5)
    same = distortion(X, rng=np.random.RandomState(7))
    assert_array_equal(distortion(X, rng=7), same)
    assert_array_equal(distortion(X, rng=np.random.RandomState(7)), same)
    other = distortion(X, rng=8)
    # Every image differs from its distortion with the other seed, and from itself.
    assert np.all(np.abs(other - same).max(axis=1) > 1e-3)
    assert np.all(np.abs(same - X).max(axis=1) > 1e-3)
    # A generator passed in advances: the next call distorts anew.
    rng = np.random.RandomState(7)
    first, second = distortion(X, rng=rng), distortion(X, rng=rng)
    assert np.all(np.abs(first - second).max(axis=1) > 1e-3)


@pytest.mark.parametrize("distortion", TYPICAL, ids=repr)
def test_intensities_stay_between_the_background_and_the_brightest_pixel(distortion):
    # Each pixel is a convex combination of at most four pixels and zeros.
    X = random_images(50) + 0.25  # no zero pixel, so the background shows
    out = distortion(X, rng=0)
    assert out.min() >= 0.0
    assert out.max() <= X.max() * (1 + 1e-12)


@pytest.mark.parametrize("s", [0.9, 1.0, 1.1])
def test_an_affine_map_scales_the_mass_of_a_centred_digit_by_s_squared(s):
    # Mass is an integral over the image: M multiplies it by det M = s^2, up to the
    # sampling of the interpolated digit on the new grid (within 1.2% over 4,000
    # draws of these parameters; the bound is 5%).
    image = centred_digit()
    X = np.repeat(image.reshape(1, -1), 200, axis=0)
    out = pre.RandomAffine(degrees=15, scale=s, shear=15, shift=1)(X, rng=0)
    ratio = out.sum(axis=1) / image.sum()
    assert np.all(np.abs(ratio / s**2 - 1) < 0.05)


def test_a_small_elastic_distortion_roughly_keeps_the_mass_of_a_centred_digit():
    # With alpha = 1 and sigma = 4 pixels move by at most a few tenths of a pixel;
    # the mass changed by at most 1.5% over 4,000 draws (the bound is 5%). With
    # Simard's alpha = 34 it changes by up to 50%, and the digit with it.
    image = centred_digit()
    X = np.repeat(image.reshape(1, -1), 200, axis=0)
    out = pre.ElasticDistortion(alpha=1.0, sigma=4.0)(X, rng=0)
    ratio = out.sum(axis=1) / image.sum()
    assert np.all(np.abs(ratio - 1) < 0.05)
    assert np.all(np.abs(out - X).max(axis=1) > 1e-3)  # they did move


@pytest.mark.parametrize("distortion", TYPICAL, ids=repr)
def test_calling_changes_no_parameter_and_stores_nothing(distortion):
    state = pickle.dumps(distortion)
    distortion(random_images(3), rng=0)
    assert pickle.dumps(distortion) == state
    assert clone(distortion).get_params() == distortion.get_params()
    copy = pickle.loads(state)
    assert_array_equal(copy(random_images(3), rng=0), distortion(random_images(3), 0))


def test_repr_shows_the_parameters_given():
    assert repr(pre.RandomAffine(degrees=12, shift=2.5)) == (
        "RandomAffine(degrees=12, shift=2.5)"
    )
    assert repr(pre.ElasticDistortion(alpha=30)) == "ElasticDistortion(alpha=30)"


BAD_DISTORTION_PARAMS = [
    (pre.ElasticDistortion, "alpha", -1.0, ValueError),
    (pre.ElasticDistortion, "alpha", np.inf, ValueError),
    (pre.ElasticDistortion, "alpha", "34", TypeError),
    (pre.ElasticDistortion, "sigma", np.nan, ValueError),
    (pre.ElasticDistortion, "sigma", -4, ValueError),
    (pre.ElasticDistortion, "sigma", None, TypeError),
    (pre.ElasticDistortion, "image_shape", (0, 784), ValueError),
    (pre.RandomAffine, "degrees", -10, ValueError),
    (pre.RandomAffine, "degrees", (10, -10), ValueError),
    (pre.RandomAffine, "degrees", (0, np.inf), ValueError),
    (pre.RandomAffine, "degrees", "10", TypeError),
    (pre.RandomAffine, "degrees", (1, 2, 3), TypeError),
    (pre.RandomAffine, "scale", 0, ValueError),
    (pre.RandomAffine, "scale", (-0.5, 1.1), ValueError),
    (pre.RandomAffine, "scale", (1.1, 0.9), ValueError),
    (pre.RandomAffine, "scale", (0.9, None), TypeError),
    (pre.RandomAffine, "shear", 90, ValueError),
    (pre.RandomAffine, "shear", (-10, 95), ValueError),
    (pre.RandomAffine, "shear", True, TypeError),
    (pre.RandomAffine, "shift", 10**400, ValueError),
    (pre.RandomAffine, "shift", -2, ValueError),
    (pre.RandomAffine, "shift", np.array([[1, 2]]), TypeError),
]


@pytest.mark.parametrize("Distortion, name, value, error", BAD_DISTORTION_PARAMS)
def test_bad_distortion_parameter_is_named(Distortion, name, value, error):
    distortion = Distortion(**{name: value})
    with pytest.raises(error, match=rf"'{name}' parameter of {Distortion.__name__}"):
        distortion(random_images(2), rng=0)


@pytest.mark.parametrize("distortion", TYPICAL, ids=repr)
def test_bad_images_are_refused_with_the_problem_named(distortion):
    name = type(distortion).__name__
    with pytest.raises(TypeError, match=f"{name} distorts dense images"):
        distortion(sp.csr_matrix(random_images(2)), rng=0)
    with pytest.raises(ValueError, match=r"2-dimensional.*shape \(2, 28, 28\)"):
        distortion(random_images(2).reshape(2, 28, 28), rng=0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        distortion(np.full((2, 784), np.nan), rng=0)
    with pytest.raises(TypeError, match="numeric images"):
        distortion(np.array([["a"] * 4]), rng=0)
    with pytest.raises(ValueError, match="has 25 pixels, but the images have 784"):
        clone(distortion).set_params(image_shape=(5, 5))(random_images(2), rng=0)
