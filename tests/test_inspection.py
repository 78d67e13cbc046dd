"""sknn_sigmoid.inspection: the pictures draw exactly what the estimators hold."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier
from sknn_sigmoid._activations import sigmoid
from sknn_sigmoid.inspection import (
    ActivationsDisplay,
    LossCurveDisplay,
    WeightImagesDisplay,
)

matplotlib = pytest.importorskip(
    "matplotlib", reason="matplotlib (the [plot] extra) is not installed"
)
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Settings under which the fits converge quickly on the digits (no warnings).
OVR = {"tol": 1e-2}
MLP = {"early_stopping": True, "random_state": 0}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return MinMaxScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def ovr(digits):
    return OneVsRestLogistic(**OVR).fit(*digits)


@pytest.fixture(scope="module")
def mlp(digits):
    return SigmoidMLPClassifier((16,), **MLP).fit(*digits)


@pytest.fixture(scope="module")
def deep_pipeline():
    X, y = load_digits(return_X_y=True)
    return make_pipeline(MinMaxScaler(), SigmoidMLPClassifier((12, 6), **MLP)).fit(X, y)


# WeightImagesDisplay


def test_one_image_per_one_vs_rest_model(ovr):
    disp = WeightImagesDisplay.from_estimator(ovr)
    assert len(disp.images_) == 10
    for k, image in enumerate(disp.images_):
        assert_array_equal(image.get_array(), ovr.coef_[k].reshape(8, 8))
        assert disp.images_[k].axes.get_title() == str(ovr.classes_[k])
    assert disp.axes_.shape == (2, 5)
    assert disp.figure_ is disp.axes_[0, 0].figure
    assert disp.colorbar_ is not None


def test_one_image_per_hidden_unit_up_to_max_images(mlp):
    disp = WeightImagesDisplay.from_estimator(mlp, max_images=7, n_cols=3)
    assert len(disp.images_) == 7
    for j, image in enumerate(disp.images_):
        assert_array_equal(image.get_array(), mlp.coefs_[0][:, j].reshape(8, 8))
        assert image.axes.get_title() == f"unit {j}"
    assert disp.axes_.shape == (3, 3)
    assert [ax.axison for ax in disp.axes_.flat] == [True] * 7 + [False] * 2
    assert len(WeightImagesDisplay.from_estimator(mlp).images_) == 16
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_images must be a positive int"):
            WeightImagesDisplay.from_estimator(mlp, max_images=bad)


def test_one_shared_symmetric_colour_scale(ovr):
    disp = WeightImagesDisplay.from_estimator(ovr)
    vmax = np.abs(ovr.coef_).max()
    for image in disp.images_:
        assert_allclose(image.get_clim(), (-vmax, vmax))
        assert image.cmap is disp.images_[0].cmap
    assert_allclose(disp.colorbar_.mappable.get_clim(), (-vmax, vmax))


def test_negative_weights_red_zero_black_positive_green(ovr):
    image = WeightImagesDisplay.from_estimator(ovr).images_[0]
    vmax = np.abs(ovr.coef_).max()
    red, black, green = image.to_rgba(np.array([-vmax, 0.0, vmax]))
    assert_allclose(red, (1, 0, 0, 1))
    assert_allclose(black, (0, 0, 0, 1))
    assert_allclose(green, (0, 1, 0, 1))
    assert_allclose(image.cmap(0.0), (1, 0, 0, 1))
    assert_allclose(image.cmap(0.5), (0, 0, 0, 1))
    assert_allclose(image.cmap(1.0), (0, 1, 0, 1))


def test_image_shape_inferred_given_or_refused(digits, ovr):
    disp = WeightImagesDisplay.from_estimator(ovr, image_shape=(4, 16))
    assert disp.images_[3].get_array().shape == (4, 16)
    assert_array_equal(disp.images_[3].get_array(), ovr.coef_[3].reshape(4, 16))
    X, y = digits
    not_square = OneVsRestLogistic(**OVR).fit(X[:, :60], y)
    with pytest.raises(ValueError, match="Cannot infer image_shape"):
        WeightImagesDisplay.from_estimator(not_square)
    disp = WeightImagesDisplay.from_estimator(not_square, image_shape=(6, 10))
    assert disp.images_[0].get_array().shape == (6, 10)
    with pytest.raises(ValueError, match="does not hold 64 values"):
        WeightImagesDisplay.from_estimator(ovr, image_shape=(8, 7))
    for shape in (8, "88", np.array(8)):
        with pytest.raises(TypeError, match="image_shape must be a pair"):
            WeightImagesDisplay.from_estimator(ovr, image_shape=shape)


def test_binary_one_vs_rest_draws_its_single_model(digits):
    X, y = digits
    binary = OneVsRestLogistic(**OVR).fit(X, np.where(y == 3, "three", "other"))
    disp = WeightImagesDisplay.from_estimator(binary)
    assert len(disp.images_) == 1
    assert disp.images_[0].axes.get_title() == "three"


def test_weight_images_from_pipeline_and_given_axes():
    X, y = load_digits(return_X_y=True)
    model = make_pipeline(MinMaxScaler(), OneVsRestLogistic(**OVR)).fit(X, y)
    fig, axes = plt.subplots(3, 4)
    disp = WeightImagesDisplay.from_estimator(model, ax=axes, colorbar=False)
    assert disp.figure_ is fig
    assert disp.images_[9].axes is axes[2, 1]
    assert_array_equal(disp.images_[9].get_array(), model[-1].coef_[9].reshape(8, 8))
    assert disp.colorbar_ is None
    with pytest.raises(ValueError, match="Need 10 axes"):
        WeightImagesDisplay.from_estimator(model, ax=axes[:2, :2])


def test_weight_images_constructor_checks_titles():
    with pytest.raises(ValueError, match="2 titles for 3 images"):
        WeightImagesDisplay(np.zeros((3, 4)), (2, 2), titles=["a", "b"]).plot()


def test_weight_images_refuse_no_images_and_no_columns(ovr):
    with pytest.raises(ValueError, match="no weight images to draw"):
        WeightImagesDisplay(np.zeros((0, 64)), (8, 8)).plot()
    for n_cols in (0, -2, 2.5):
        with pytest.raises(ValueError, match="n_cols must be a positive int"):
            WeightImagesDisplay.from_estimator(ovr, n_cols=n_cols)
    disp = WeightImagesDisplay.from_estimator(ovr, n_cols=np.int64(4))
    assert disp.axes_.shape == (3, 4)


# LossCurveDisplay


def test_loss_curve_is_the_estimators(ovr):
    disp = LossCurveDisplay.from_estimator(ovr)
    assert list(disp.lines_) == ["loss"]
    assert_allclose(disp.lines_["loss"].get_ydata(), ovr.loss_curve_)
    assert_array_equal(
        disp.lines_["loss"].get_xdata(), np.arange(1, len(ovr.loss_curve_) + 1)
    )
    assert disp.score_ax_ is None
    assert disp.ax_.get_xlabel() == "epoch"


def test_validation_curves_with_early_stopping(mlp):
    disp = LossCurveDisplay.from_estimator(mlp)
    assert list(disp.lines_) == ["loss", "validation_loss", "validation_score"]
    assert_allclose(disp.lines_["loss"].get_ydata(), mlp.loss_curve_)
    assert_allclose(
        disp.lines_["validation_loss"].get_ydata(), mlp.validation_loss_curve_
    )
    assert_allclose(disp.lines_["validation_score"].get_ydata(), mlp.validation_scores_)
    assert disp.lines_["validation_loss"].axes is disp.ax_
    assert disp.lines_["validation_score"].axes is disp.score_ax_
    assert disp.score_ax_ is not disp.ax_
    colours = {line.get_color() for line in disp.lines_.values()}
    assert len(colours) == 1


def test_estimators_compared_on_one_axes(digits, mlp):
    log_loss = SigmoidMLPClassifier((16,), loss="log_loss", **MLP).fit(*digits)
    first = LossCurveDisplay.from_estimator(mlp, label="squared error")
    second = LossCurveDisplay.from_estimator(log_loss, ax=first.ax_, label="log-loss")
    assert second.ax_ is first.ax_
    assert second.score_ax_ is first.score_ax_
    assert len(first.figure_.axes) == 2
    assert len(first.ax_.get_lines()) == 4
    assert len(first.score_ax_.get_lines()) == 2
    assert first.lines_["loss"].get_color() != second.lines_["loss"].get_color()
    legend = [text.get_text() for text in first.score_ax_.get_legend().get_texts()]
    assert "squared error: training loss" in legend
    assert "log-loss: validation accuracy" in legend
    assert len(legend) == 6


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_validation_curves_drawn_at_the_epochs_they_were_recorded(digits):
    X, y = digits
    # Three epochs of partial_fit (no validation), then fit with early stopping.
    later = SigmoidMLPClassifier((8,), max_iter=4, **MLP)
    for _ in range(3):
        later.partial_fit(X, y, classes=np.unique(y))
    later.set_params(warm_start=True).fit(X, y)
    # Early stopping first, then a fit without it: the picture still shows the first
    # fit's scores, though the attributes, as in scikit-learn, are None.
    earlier = SigmoidMLPClassifier((8,), max_iter=4, **MLP).fit(X, y)
    earlier.set_params(warm_start=True, early_stopping=False).fit(X, y)
    assert earlier.validation_scores_ is None
    for est, first_epoch in ((later, 4), (earlier, 1)):
        disp = LossCurveDisplay.from_estimator(est)
        n = len(est._progress.validation_scores)
        assert len(est.loss_curve_) > n  # so drawing from epoch 1 would be wrong
        for name in ("validation_loss", "validation_score"):
            assert_array_equal(
                disp.lines_[name].get_xdata(), np.arange(first_epoch, first_epoch + n)
            )
        plt.close("all")


def test_validation_epochs_must_match_the_validation_values():
    with pytest.raises(ValueError, match="2 validation_epochs for 3 validation"):
        LossCurveDisplay(
            [0.5, 0.4, 0.3], [0.6, 0.5, 0.4], [0.1, 0.5, 0.7], [7, 8]
        ).plot()
    with pytest.raises(ValueError, match="3 validation values for 2 epochs"):
        LossCurveDisplay([0.5, 0.4], [0.6, 0.5, 0.4], [0.1, 0.5, 0.7]).plot()


def test_a_score_drawn_on_axes_with_a_twin_goes_to_the_twin(digits, mlp, ovr):
    first = LossCurveDisplay.from_estimator(mlp, label="mlp")
    logistic = LossCurveDisplay.from_estimator(ovr, ax=first.ax_, label="ovr")
    legend = [text.get_text() for text in first.score_ax_.get_legend().get_texts()]
    assert "mlp: validation accuracy" in legend and "ovr: training loss" in legend
    assert first.ax_.get_legend() is None  # one legend for both y axes
    score_only = LossCurveDisplay.from_estimator(
        mlp, ax=first.ax_, label="again", curves=["validation_score"]
    )
    assert score_only.lines_["validation_score"].axes is first.score_ax_
    assert score_only.score_ax_ is first.score_ax_
    assert first.ax_.get_ylabel() == "loss J"
    assert logistic.score_ax_ is None


def test_curves_selects_what_is_drawn(mlp, ovr):
    disp = LossCurveDisplay.from_estimator(mlp, curves=["validation_score"])
    assert list(disp.lines_) == ["validation_score"]
    assert disp.lines_["validation_score"].axes is disp.ax_
    assert disp.score_ax_ is None
    with pytest.raises(ValueError, match="Cannot draw curve 'validation_loss'"):
        LossCurveDisplay.from_estimator(ovr, curves=["validation_loss"])
    # A single name is not a list of names (it used to be read letter by letter).
    with pytest.raises(TypeError, match=r"such as \['loss'\]"):
        LossCurveDisplay.from_estimator(ovr, curves="loss")


# ActivationsDisplay


def test_activations_of_every_layer(deep_pipeline):
    X, _ = load_digits(return_X_y=True)
    x = X[5]
    network = deep_pipeline[-1]
    disp = ActivationsDisplay.from_estimator(deep_pipeline, x)
    assert len(disp.axes_) == len(disp.images_) == network.n_layers_ == 4
    activations = network.forward(deep_pipeline[:-1].transform(x.reshape(1, -1)))
    assert_allclose(disp.images_[0].get_array(), activations[0].reshape(8, 8))
    for l in range(1, network.n_layers_):
        assert disp.images_[l].get_array().shape == (activations[l].shape[1], 1)
        assert_allclose(disp.images_[l].get_array().ravel(), activations[l][0])
        assert disp.images_[l].get_clim() == (0, 1)
        assert disp.images_[l].get_cmap().name == "gray"


def test_output_labelled_with_classes_and_prediction_framed(deep_pipeline):
    X, _ = load_digits(return_X_y=True)
    network = deep_pipeline[-1]
    for x in X[:4]:
        disp = ActivationsDisplay.from_estimator(deep_pipeline, x.reshape(1, -1))
        output_ax = disp.axes_[-1]
        labels = [label.get_text() for label in output_ax.get_yticklabels()]
        assert labels == [str(c) for c in network.classes_]
        predicted = deep_pipeline.predict(x.reshape(1, -1))[0]
        j = list(network.classes_).index(predicted)
        assert disp.prediction_patch_.get_y() + 0.5 == j
        bold = [
            label.get_text()
            for label in output_ax.get_yticklabels()
            if label.get_fontweight() == "bold"
        ]
        assert bold == [str(predicted)]
        plt.close("all")


def test_activations_of_one_vs_rest(digits, ovr):
    X, _ = digits
    disp = ActivationsDisplay.from_estimator(ovr, X[7])
    assert len(disp.images_) == 2
    assert_allclose(disp.images_[0].get_array(), X[7].reshape(8, 8))
    expected = sigmoid(ovr.decision_function(X[7:8])[0])
    assert_allclose(disp.images_[1].get_array().ravel(), expected)
    assert disp.prediction_patch_.get_y() + 0.5 == np.argmax(expected)


def test_a_multilabel_network_frames_no_unit(digits):
    X, y = digits
    Y = np.c_[y % 2, y % 3 == 0, y > 4].astype(int)
    for est in (OneVsRestLogistic(**OVR), SigmoidMLPClassifier((8,), **MLP)):
        est.fit(X, Y)
        disp = ActivationsDisplay.from_estimator(est, X[3])
        output_ax = disp.axes_[-1]
        assert [t.get_text() for t in output_ax.get_yticklabels()] == ["0", "1", "2"]
        assert disp.prediction_patch_ is None
        plt.close("all")


def test_binary_networks_show_one_output_unit(digits):
    X, y = digits
    y2 = np.where(y == 3, "three", "other")
    for est in (OneVsRestLogistic(**OVR), SigmoidMLPClassifier((8,), **MLP)):
        est.fit(X, y2)
        disp = ActivationsDisplay.from_estimator(est, X[3])
        output_ax = disp.axes_[-1]
        assert [t.get_text() for t in output_ax.get_yticklabels()] == ["three"]
        assert output_ax.get_title().endswith("\n1 unit")
        assert disp.images_[-1].get_array().shape == (1, 1)
        if est.predict(X[3:4])[0] == "three":
            assert disp.prediction_patch_ is not None
        else:
            assert disp.prediction_patch_ is None
        # A prediction of the first class, which has no neuron, is written out.
        other = np.flatnonzero(est.predict(X) == "other")[0]
        disp = ActivationsDisplay.from_estimator(est, X[other])
        assert disp.prediction_patch_ is None
        assert "other" in disp.axes_[-1].get_xlabel()
        assert disp.axes_[-1].xaxis.label.get_color() == "red"
        plt.close("all")


def test_a_pandas_row_keeps_its_feature_names(digits):
    pd = pytest.importorskip("pandas", reason="pandas (the [test] extra) is missing")
    X, y = digits
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(X.shape[1])])
    model = make_pipeline(MinMaxScaler(), SigmoidMLPClassifier((8,), **MLP))
    model.fit(frame, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names"
        disp = ActivationsDisplay.from_estimator(model, frame.iloc[0])
    expected = model[-1].forward(model[:-1].transform(frame.iloc[[0]]))[-1]
    assert_allclose(disp.images_[-1].get_array().ravel(), expected[0])


def test_input_without_image_shape_drawn_as_column(digits):
    X, y = digits
    est = OneVsRestLogistic(**OVR).fit(X[:, :60], y)
    disp = ActivationsDisplay.from_estimator(est, X[0, :60])
    assert disp.images_[0].get_array().shape == (60, 1)
    disp = ActivationsDisplay.from_estimator(est, X[0, :60], image_shape=(6, 10))
    assert_allclose(disp.images_[0].get_array(), X[0, :60].reshape(6, 10))


def test_activations_refuses_more_than_one_sample(mlp, digits):
    with pytest.raises(ValueError, match="x must be one sample"):
        ActivationsDisplay.from_estimator(mlp, digits[0][:2])


# Shared behaviour


def test_only_the_packages_networks_are_accepted(digits):
    X, _ = digits
    with pytest.raises(TypeError, match="Expected a fitted SigmoidMLPClassifier"):
        WeightImagesDisplay.from_estimator(LogisticRegression())
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(SigmoidMLPClassifier())
    with pytest.raises(NotFittedError):
        ActivationsDisplay.from_estimator(
            make_pipeline(MinMaxScaler(), OneVsRestLogistic()), X[0]
        )


def test_figures_save_to_png(tmp_path, mlp, digits):
    for name, disp in {
        "weights": WeightImagesDisplay.from_estimator(mlp),
        "loss": LossCurveDisplay.from_estimator(mlp),
        "activations": ActivationsDisplay.from_estimator(mlp, digits[0][0]),
    }.items():
        path = tmp_path / f"{name}.png"
        disp.figure_.savefig(path)
        assert path.stat().st_size > 1000
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_how_to_install(monkeypatch, ovr, digits):
    displays = [
        WeightImagesDisplay(ovr.coef_, (8, 8)),
        LossCurveDisplay(ovr.loss_curve_),
        ActivationsDisplay([digits[0][0], np.zeros(10)], ovr.classes_),
    ]
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for disp in displays:
        with pytest.raises(ImportError, match=r'pip install "sknn_sigmoid\[plot\]"'):
            disp.plot()
    with pytest.raises(ImportError, match="requires matplotlib"):
        WeightImagesDisplay.from_estimator(ovr)


def test_module_imports_without_matplotlib():
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import sknn_sigmoid.inspection as m\n"
        "print(sorted(m.__all__))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "WeightImagesDisplay" in result.stdout


# A short fit, for its weights: it has not converged, and says so.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("whiten", [False, True])
def test_weight_images_through_pca_are_drawn_over_the_pixels(whiten):
    # A unit reading 16 PCA components through w reads the 64 pixels through
    # w @ components_ (w / std first if whitened): z is the same either way.
    from sklearn.decomposition import PCA

    X, y = load_digits(return_X_y=True)
    model = make_pipeline(
        MinMaxScaler(),
        PCA(16, whiten=whiten, random_state=0),
        SigmoidMLPClassifier((6,), max_iter=30, random_state=0, tol=1e-2),
    ).fit(X, y)
    scaled = model[0].transform(X[:5])
    disp = WeightImagesDisplay.from_estimator(model)
    assert len(disp.images_) == 6
    pixel_weights = np.array([image.get_array().ravel() for image in disp.images_])
    # Same pre-activations from the pixels (up to PCA's centring, a constant per
    # unit) as from the components.
    from_components = model[1].transform(scaled) @ model[-1].coefs_[0]
    from_pixels = scaled @ pixel_weights.T
    offset = from_components - from_pixels
    assert_allclose(offset, np.broadcast_to(offset[0], offset.shape), atol=1e-9)
    assert disp.images_[0].get_array().shape == (8, 8)


# A short fit, for its weights: it has not converged, and says so.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_weight_images_accept_a_deskewer_in_front():
    # Deskewer keeps the pixel grid, so the display takes it as a step that keeps
    # the pixels: a unit's picture is its weights on the deskewed, scaled pixels,
    # carried back through the PCA.
    from sklearn.decomposition import PCA

    from sknn_sigmoid.preprocessing import Deskewer

    X, y = load_digits(return_X_y=True)
    model = make_pipeline(
        Deskewer(),
        MinMaxScaler(),
        PCA(16, random_state=0),
        SigmoidMLPClassifier((6,), max_iter=30, random_state=0, tol=1e-2),
    ).fit(X, y)
    disp = WeightImagesDisplay.from_estimator(model)
    pixel_weights = np.array([image.get_array().ravel() for image in disp.images_])
    assert_allclose(pixel_weights, model[-1].coefs_[0].T @ model[2].components_)
    scaled = model[1].transform(model[0].transform(X[:5]))
    from_components = model[2].transform(scaled) @ model[-1].coefs_[0]
    offset = from_components - scaled @ pixel_weights.T
    assert_allclose(offset, np.broadcast_to(offset[0], offset.shape), atol=1e-9)


# A short fit, for its weights: it has not converged, and says so.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_weight_images_refuse_a_non_linear_step_that_changes_the_inputs():
    X, y = load_digits(return_X_y=True)
    from sklearn.preprocessing import PolynomialFeatures

    model = make_pipeline(
        PolynomialFeatures(2), OneVsRestLogistic(max_iter=2, tol=1e-2)
    ).fit(X[:200] / 16, y[:200])
    with pytest.raises(ValueError, match="Cannot infer image_shape"):
        WeightImagesDisplay.from_estimator(model)
