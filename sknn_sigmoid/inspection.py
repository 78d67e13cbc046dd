"""Pictures of fitted networks: weight images, loss curves and forward propagation.

Three display objects in scikit-learn's style (like
:class:`sklearn.metrics.ConfusionMatrixDisplay`): the constructor takes the numbers
to draw, :meth:`plot` draws them and returns the display, and the class method
``from_estimator`` takes them from a fitted :class:`~sknn_sigmoid.SigmoidMLPClassifier`
or :class:`~sknn_sigmoid.OneVsRestLogistic` (or a :class:`~sklearn.pipeline.Pipeline`
ending in one) and plots them.

* :class:`WeightImagesDisplay` draws the weights into a neuron as an image: the
  weights of each one-vs-rest model, or of each first hidden unit, over the pixels.
* :class:`LossCurveDisplay` draws the loss J after every epoch, and the validation
  loss and accuracy when they were recorded.
* :class:`ActivationsDisplay` draws forward propagation of one sample: the input
  image a[0] and the activations a[1], ..., a[L] of every layer.

Plotting needs matplotlib, the optional extra ``pip install "sknn_sigmoid[plot]"``;
it is imported only when something is drawn, so this module imports without it.
"""

import math
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from ._activations import sigmoid
from ._base import is_multilabel
from ._logistic import OneVsRestLogistic
from ._mlp import SigmoidMLPClassifier

__all__ = ["ActivationsDisplay", "LossCurveDisplay", "WeightImagesDisplay"]

# The twin axes LossCurveDisplay draws validation scores on carries this label, so
# that a second display drawn on the same axes finds and reuses it.
_SCORE_AX_LABEL = "sknn_sigmoid validation score"

_CURVES = {
    "loss": ("loss_curve", "training loss", "-"),
    "validation_loss": ("validation_loss_curve", "validation loss", "--"),
    "validation_score": ("validation_scores", "validation accuracy", ":"),
}


def _pyplot():
    """Import matplotlib.pyplot, or say how to install the plotting extra."""
    try:
        import matplotlib  # noqa: F401
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "Plotting requires matplotlib. Install it with "
            'pip install "sknn_sigmoid[plot]".'
        ) from exc
    return plt


def _red_black_green():
    """The lecture's colours for weights: negative red, zero black, positive green.

    The table has an odd number of colours so that its middle entry, where a
    symmetric scale puts the weight 0, is exactly black.
    """
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list(
        "red_black_green", [(1.0, 0.0, 0.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0)], N=255
    )


def _network(estimator):
    """Split a network or a Pipeline ending in one into (preprocessing, network)."""
    preprocessing = None
    network = estimator
    if isinstance(estimator, Pipeline):
        preprocessing, network = estimator[:-1], estimator[-1]
    if not isinstance(network, (SigmoidMLPClassifier, OneVsRestLogistic)):
        raise TypeError(
            "Expected a fitted SigmoidMLPClassifier or OneVsRestLogistic, or a "
            f"Pipeline ending in one; got {type(network).__name__}."
        )
    check_is_fitted(network)
    return preprocessing, network


def _square_shape(n_pixels):
    """(side, side) if n_pixels is a perfect square, else None."""
    side = math.isqrt(n_pixels)
    return (side, side) if side * side == n_pixels else None


def _check_image_shape(image_shape, n_pixels):
    if isinstance(image_shape, str) or np.ndim(image_shape) != 1:
        raise TypeError(
            f"image_shape must be a pair (height, width); got {image_shape!r}."
        )
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 2 or shape[0] * shape[1] != n_pixels:
        raise ValueError(
            f"image_shape={tuple(image_shape)} does not hold {n_pixels} values; "
            "expected (height, width) with height * width equal to that number."
        )
    return shape


def _figure_and_axes(ax, n_axes, make):
    """Use the given axes (at least n_axes of them) or make a new figure."""
    if ax is None:
        return make()
    axes = np.atleast_1d(np.asarray(ax, dtype=object))
    if axes.size < n_axes:
        raise ValueError(f"Need {n_axes} axes to draw on; got {axes.size}.")
    return axes.flat[0].figure, axes


def _dense_row(A):
    """The first row of a dense or sparse 2-D array, as a 1-D float array."""
    A = A.toarray() if sp.issparse(A) else np.asarray(A)
    return A[0].astype(float)


class WeightImagesDisplay:
    """Weights into neurons drawn as images over the input pixels.

    Each row of ``weights`` holds the weights of one neuron over the n[0] input
    pixels: a row w_k of :class:`~sknn_sigmoid.OneVsRestLogistic`'s ``coef_`` (the
    logistic model of class k) or a row of W[1], a first-layer hidden unit of
    :class:`~sknn_sigmoid.SigmoidMLPClassifier` (a column of ``coefs_[0]``). Reshaped
    to the image's shape, it shows which pixels push the neuron's answer up (green,
    positive weights: the pixel votes for it) and which push it down (red, negative
    weights: the pixel votes against it); black pixels hardly matter. All images
    share one symmetric colour scale, from -max|w| to +max|w|, so that colours
    compare across images.

    Use :meth:`from_estimator` to draw a fitted estimator.

    Parameters
    ----------
    weights : array-like of shape (n_images, n_pixels)
        One row of weights per image.
    image_shape : tuple of int
        (height, width) of the images, with height * width = n_pixels; e.g. (8, 8)
        for :func:`~sklearn.datasets.load_digits` and (28, 28) for MNIST.
    titles : list of str, default=None
        A title per image, or None for none.

    Attributes
    ----------
    images_ : list of matplotlib.image.AxesImage
        The images, one per row of ``weights``.
    axes_ : ndarray of matplotlib.axes.Axes
        The grid of axes (of shape (n_rows, n_cols) when the display made it).
        Axes beyond the last image are switched off.
    colorbar_ : matplotlib.colorbar.Colorbar or None
        The colour scale, or None if ``colorbar=False``.
    figure_ : matplotlib.figure.Figure
        The figure holding the axes.

    See Also
    --------
    ActivationsDisplay : Forward propagation of one sample through the network.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sknn_sigmoid import OneVsRestLogistic
    >>> from sknn_sigmoid.inspection import WeightImagesDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> model = make_pipeline(MinMaxScaler(), OneVsRestLogistic(tol=1e-2))
    >>> disp = WeightImagesDisplay.from_estimator(model.fit(X, y))
    >>> len(disp.images_), disp.images_[0].get_array().shape
    (10, (8, 8))
    """

    def __init__(self, weights, image_shape, titles=None):
        self.weights = weights
        self.image_shape = image_shape
        self.titles = titles

    def plot(self, ax=None, *, n_cols=None, cmap=None, colorbar=True, imshow_kw=None):
        """Draw the weight images on a grid.

        Parameters
        ----------
        ax : array-like of matplotlib.axes.Axes, default=None
            Axes to draw the images on, at least one per image, in row-major order;
            None makes a new figure with a grid of ``n_cols`` columns.
        n_cols : int, default=None
            Columns of the new grid; None chooses 5 for up to 10 images and about
            the square root of the number of images for more.
        cmap : str or matplotlib.colors.Colormap, default=None
            Colour map; None is the lecture's red (negative), black (zero), green
            (positive).
        colorbar : bool, default=True
            Whether to add a colour bar of the shared scale.
        imshow_kw : dict, default=None
            More keyword arguments for :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : WeightImagesDisplay
            This display, with ``figure_``, ``axes_``, ``images_`` set.
        """
        plt = _pyplot()
        W = np.atleast_2d(np.asarray(self.weights, dtype=float))
        shape = _check_image_shape(self.image_shape, W.shape[1])
        n_images = W.shape[0]
        if n_images == 0:
            raise ValueError("There are no weight images to draw (0 rows).")
        titles = self.titles
        if titles is not None and len(titles) != n_images:
            raise ValueError(f"Got {len(titles)} titles for {n_images} images.")
        if n_cols is None:
            n_cols = min(n_images, max(5, math.ceil(math.sqrt(n_images))))
        elif not isinstance(n_cols, numbers.Integral) or n_cols < 1:
            raise ValueError(f"n_cols must be a positive int; got {n_cols!r}.")
        fig, axes = _figure_and_axes(
            ax, n_images, lambda: _image_grid(plt, n_images, n_cols)
        )
        vmax = float(np.max(np.abs(W))) or 1.0
        kw = {"cmap": _red_black_green() if cmap is None else cmap}
        kw.update(vmin=-vmax, vmax=vmax, interpolation="nearest")
        kw.update(imshow_kw or {})
        self.images_ = []
        for k, axk in enumerate(axes.flat):
            if k >= n_images:
                axk.set_axis_off()
                continue
            self.images_.append(axk.imshow(W[k].reshape(shape), **kw))
            axk.set_xticks([])
            axk.set_yticks([])
            if titles is not None:
                axk.set_title(str(titles[k]), fontsize="small")
        self.colorbar_ = None
        if colorbar:
            self.colorbar_ = fig.colorbar(
                self.images_[0], ax=list(axes.flat), shrink=0.8, label="weight"
            )
        self.figure_, self.axes_ = fig, axes
        return self

    @classmethod
    def from_estimator(cls, estimator, *, image_shape=None, max_images=None, **kwargs):
        """Draw the weights of a fitted network over its input pixels.

        For :class:`~sknn_sigmoid.OneVsRestLogistic`, one image per logistic model
        (row of ``coef_``), titled with its class; with two classes there is one
        model, for the second class. For :class:`~sknn_sigmoid.SigmoidMLPClassifier`,
        one image per unit j of the first hidden layer (column j of ``coefs_[0]``,
        row j of W[1]), titled "unit j".

        Parameters
        ----------
        estimator : SigmoidMLPClassifier, OneVsRestLogistic or Pipeline
            A fitted network, or a fitted Pipeline whose last step is one. The
            earlier steps must keep the pixels (like a scaler, whose scaling is not
            drawn, or :class:`~sknn_sigmoid.preprocessing.Deskewer`, after which
            the weights are those on the deskewed pixels) or project them
            linearly, like
            :class:`~sklearn.decomposition.PCA`: a unit that reads components
            through weights w reads the pixels through ``w @ components_`` (divided
            first by the components' standard deviations if they are whitened),
            and that is what is drawn.
        image_shape : tuple of int, default=None
            (height, width) of an input image; None means square images, with
            the number of pixels a perfect square.
        max_images : int, default=None
            Draw at most this many images (the first ones); None draws all.
        **kwargs
            Passed to :meth:`plot`: ``ax``, ``n_cols``, ``cmap``, ``colorbar``,
            ``imshow_kw``.

        Returns
        -------
        display : WeightImagesDisplay
            The plotted display.
        """
        if max_images is not None and (
            isinstance(max_images, bool)
            or not isinstance(max_images, numbers.Integral)
            or max_images < 1
        ):
            raise ValueError(f"max_images must be a positive int; got {max_images!r}.")
        preprocessing, network = _network(estimator)
        if isinstance(network, OneVsRestLogistic):
            weights = network.coef_
            classes = network.classes_[-len(weights) :]
            titles = [str(c) for c in classes]
        else:
            weights = network.coefs_[0].T
            titles = [f"unit {j}" for j in range(len(weights))]
        weights = _weights_over_pixels(weights, preprocessing)
        if image_shape is None:
            image_shape = _square_shape(weights.shape[1])
            if image_shape is None:
                raise ValueError(
                    f"Cannot infer image_shape: {weights.shape[1]} input features "
                    "are not a square number of pixels. Pass image_shape=(height, "
                    "width)."
                )
        if max_images is not None:
            weights, titles = weights[:max_images], titles[:max_images]
        return cls(weights, image_shape, titles).plot(**kwargs)


def _weights_over_pixels(weights, preprocessing):
    """Weights on a network's inputs, carried back through linear projections.

    A step with ``components_`` (PCA and its kin) maps x to (x - mean) C^T, divided
    by the components' standard deviations when whitened; a unit with weights w on
    its output has the weights w C (w / std, then C) on its input. Other steps are
    taken to keep the pixels.
    """
    if preprocessing is None:
        return weights
    for _, step in reversed(preprocessing.steps):
        components = getattr(step, "components_", None)
        if components is None:
            continue
        if weights.shape[1] != components.shape[0]:
            raise ValueError(
                f"{type(step).__name__} has {components.shape[0]} components, but "
                f"the weights to draw have {weights.shape[1]} inputs."
            )
        if getattr(step, "whiten", False):
            weights = weights / np.sqrt(step.explained_variance_)
        weights = weights @ components
    return weights


def _image_grid(plt, n_images, n_cols):
    n_rows = math.ceil(n_images / n_cols)
    size = 1.4 if n_cols <= 5 else 1.0
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(size * n_cols + 1.2, size * n_rows + 0.4),
        squeeze=False,
        layout="constrained",
    )
    return fig, axes


class LossCurveDisplay:
    """Loss J after every training epoch, with the validation curves if recorded.

    The training loss and the validation loss (solid and dashed) share the left y
    axis; the validation accuracy (dotted) gets a twin y axis on the right, since it
    is on another scale. A curve drawn alone is a solid line. Draw several
    estimators on the same axes, each with a ``label``, to compare them: every
    estimator gets its own colour.

    Use :meth:`from_estimator` to draw a fitted estimator.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        The training loss after every epoch (``loss_curve_``).
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        The loss on held-out data after every epoch (``validation_loss_curve_``).
    validation_scores : array-like of shape (n_epochs,), default=None
        The accuracy on held-out data after every epoch (``validation_scores_``).
    validation_epochs : array-like of shape (n_validation,), default=None
        The epochs, counted from 1 as for ``loss_curve``, at which the validation
        curves were recorded (early stopping records them in ``fit`` only, not in
        ``partial_fit``); None takes them to be the last epochs of ``loss_curve``.

    Attributes
    ----------
    lines_ : dict of str to matplotlib.lines.Line2D
        The lines drawn, under the keys "loss", "validation_loss" and
        "validation_score".
    ax_ : matplotlib.axes.Axes
        The axes of the losses (of the score, if only the score was drawn).
    score_ax_ : matplotlib.axes.Axes or None
        The twin axes of the validation score, or None if not drawn there.
    figure_ : matplotlib.figure.Figure
        The figure holding the axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sknn_sigmoid import SigmoidMLPClassifier
    >>> from sknn_sigmoid.inspection import LossCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> mlp = SigmoidMLPClassifier((20,), early_stopping=True, random_state=0)
    >>> disp = LossCurveDisplay.from_estimator(mlp.fit(X / 16, y), label="20 units")
    >>> sorted(disp.lines_)
    ['loss', 'validation_loss', 'validation_score']
    """

    def __init__(
        self,
        loss_curve,
        validation_loss_curve=None,
        validation_scores=None,
        validation_epochs=None,
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.validation_epochs = validation_epochs

    def plot(self, ax=None, *, label=None, curves=None, score_ax=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; None makes a new figure. Pass the ``ax_`` of an earlier
            display to compare estimators on one plot.
        label : str, default=None
            Name of the estimator, put before each line's name in the legend.
        curves : list of {"loss", "validation_loss", "validation_score"}, \
default=None
            The curves to draw; None draws all that were recorded. The score is
            drawn on a twin y axis when a loss is drawn too, when an earlier display
            made one on ``ax``, or when ``score_ax`` is given; else on ``ax`` itself.
        score_ax : matplotlib.axes.Axes, default=None
            Axes for the validation score; None reuses the twin axes an earlier
            display made on ``ax``, or makes one.

        Returns
        -------
        display : LossCurveDisplay
            This display, with ``figure_``, ``ax_``, ``score_ax_``, ``lines_`` set.
        """
        plt = _pyplot()
        curves = self._curves_to_draw(curves)
        if ax is None:
            _, ax = plt.subplots(layout="constrained")
        earlier_score_ax = _score_axes(ax, make=False)
        # The score goes on the twin axes when a loss is drawn beside it, or when an
        # earlier display on ax put its scores there: one scale for one quantity.
        twin = "validation_score" in curves and (
            len(curves) > 1 or earlier_score_ax is not None or score_ax is not None
        )
        if twin and score_ax is None:
            score_ax = earlier_score_ax or _score_axes(ax)
        prefix = f"{label}: " if label else ""
        self.lines_, color = {}, None
        for name in curves:
            attribute, description, style = _CURVES[name]
            values = np.asarray(getattr(self, attribute), dtype=float)
            on = score_ax if twin and name == "validation_score" else ax
            style = style if len(curves) > 1 else "-"
            (line,) = on.plot(
                self._epochs(name, len(values)),
                values,
                style,
                color=color,
                label=prefix + description,
            )
            color = line.get_color()
            self.lines_[name] = line
        ax.set_xlabel("epoch")
        on_ax = [name for name in curves if not (twin and name == "validation_score")]
        if on_ax:
            ax.set_ylabel("accuracy" if on_ax == ["validation_score"] else "loss J")
        if twin:
            score_ax.set_ylabel("validation accuracy")
        _legend(ax, score_ax if twin else earlier_score_ax)
        self.figure_, self.ax_ = ax.figure, ax
        self.score_ax_ = score_ax if twin else None
        return self

    def _epochs(self, name, n_values):
        """The epochs (from 1) at which the ``n_values`` values of a curve were
        recorded."""
        n_epochs = len(self.loss_curve) if self.loss_curve is not None else n_values
        if name == "loss":
            return np.arange(1, n_values + 1)
        if self.validation_epochs is not None:
            if len(self.validation_epochs) != n_values:
                raise ValueError(
                    f"Got {len(self.validation_epochs)} validation_epochs for "
                    f"{n_values} validation values."
                )
            return np.asarray(self.validation_epochs)
        if n_values > n_epochs:
            raise ValueError(
                f"Got {n_values} validation values for {n_epochs} epochs of "
                "loss_curve; pass validation_epochs."
            )
        return np.arange(n_epochs - n_values + 1, n_epochs + 1)

    def _curves_to_draw(self, curves):
        recorded = [n for n, c in _CURVES.items() if getattr(self, c[0]) is not None]
        if curves is None:
            return recorded
        if isinstance(curves, str):
            raise TypeError(
                f"curves must be a list of curve names, such as [{curves!r}]; got "
                f"the string {curves!r}."
            )
        curves = list(curves)
        for name in curves:
            if name not in recorded:
                raise ValueError(
                    f"Cannot draw curve {name!r}: the curves recorded are {recorded}."
                )
        return [n for n in _CURVES if n in curves]

    @classmethod
    def from_estimator(cls, estimator, **kwargs):
        """Draw the loss curve of a fitted estimator, and its validation curves.

        ``validation_loss_curve_`` and ``validation_scores_`` are recorded by
        :class:`~sknn_sigmoid.SigmoidMLPClassifier` with ``early_stopping=True``;
        after a ``warm_start`` fit without it, those of the earlier fits are still
        drawn, at their epochs.

        Parameters
        ----------
        estimator : SigmoidMLPClassifier, OneVsRestLogistic or Pipeline
            A fitted network, or a fitted Pipeline whose last step is one.
        **kwargs
            Passed to :meth:`plot`: ``ax``, ``label``, ``curves``, ``score_ax``.

        Returns
        -------
        display : LossCurveDisplay
            The plotted display.
        """
        _, network = _network(estimator)
        # The training history holds the validation figures of every fit that held
        # out data, even when the last one did not (its validation attributes are
        # then None), with the epochs they were recorded at.
        progress = getattr(network, "_progress", None)
        if progress is not None and progress.validation_scores:
            losses = progress.validation_loss_curve
            scores, epochs = progress.validation_scores, progress.validation_epochs
        else:
            losses = getattr(network, "validation_loss_curve_", None)
            scores, epochs = getattr(network, "validation_scores_", None), None
        if scores is None or not epochs or len(epochs) != len(scores):
            epochs = None  # taken to be the last epochs
        return cls(network.loss_curve_, losses, scores, epochs).plot(**kwargs)


def _score_axes(ax, make=True):
    """The twin axes for scores an earlier display made on ax, or a new one (None
    if there is none and not ``make``)."""
    for other in ax.figure.axes:
        if other.get_label() == _SCORE_AX_LABEL and ax.get_shared_x_axes().joined(
            ax, other
        ):
            return other
    if not make:
        return None
    score_ax = ax.twinx()
    score_ax.set_label(_SCORE_AX_LABEL)
    return score_ax


def _legend(ax, score_ax):
    """One legend for the lines of ax and of its score axes, below the axes.

    Inside the axes, the lines of the two y axes leave no place free. The lines are
    grouped by colour, that is by estimator: one column per estimator (one row if
    there is a single one).
    """
    handles, labels = ax.get_legend_handles_labels()
    if score_ax is None:
        ax.legend(handles, labels, loc="best")
        return
    more_handles, more_labels = score_ax.get_legend_handles_labels()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    groups = {}
    for handle, text in zip(handles + more_handles, labels + more_labels):
        groups.setdefault(handle.get_color(), []).append((handle, text))
    entries = [entry for group in groups.values() for entry in group]
    score_ax.legend(
        *zip(*entries),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncols=len(entries) if len(groups) == 1 else len(groups),
        fontsize="small",
    )


class ActivationsDisplay:
    """Forward propagation of one sample made visible.

    The input a[0] is drawn as an image, and every layer l = 1, ..., L as a column
    of its n[l] neurons, each a grey cell whose brightness is the neuron's
    activation a[l]_j = sigmoid(z[l]_j): white for 1 (the neuron fires), black for
    0. The cells of the output layer a[L] are labelled with the classes, and the
    prediction, the most activated output neuron, is framed in red. (With two
    classes the single output neuron stands for the second one; a prediction of the
    first is written in red under the column.)

    Use :meth:`from_estimator` to propagate a sample through a fitted network.

    Parameters
    ----------
    activations : list of array-like
        a[0], a[1], ..., a[L] for one sample; a[l] has n[l] values.
    classes : array-like of shape (n[L],)
        The class each output neuron stands for.
    prediction : object, default=None
        The predicted class; it is framed if it is one of ``classes``.
    image_shape : tuple of int, default=None
        (height, width) of the input image; None draws the input as a column of
        cells like the other layers.

    Attributes
    ----------
    images_ : list of matplotlib.image.AxesImage
        ``images_[l]`` draws a[l]: the input image, then one column per layer.
    axes_ : ndarray of matplotlib.axes.Axes of shape (L + 1,)
        ``axes_[l]`` holds ``images_[l]``.
    prediction_patch_ : matplotlib.patches.Rectangle or None
        The frame around the predicted class's output neuron (None if no output
        neuron stands for it).
    figure_ : matplotlib.figure.Figure
        The figure holding the axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sknn_sigmoid import SigmoidMLPClassifier
    >>> from sknn_sigmoid.inspection import ActivationsDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> mlp = SigmoidMLPClassifier((20,), early_stopping=True, random_state=0)
    >>> disp = ActivationsDisplay.from_estimator(mlp.fit(X / 16, y), X[0] / 16)
    >>> [image.get_array().shape for image in disp.images_]
    [(8, 8), (20, 1), (10, 1)]
    """

    def __init__(self, activations, classes, prediction=None, image_shape=None):
        self.activations = activations
        self.classes = classes
        self.prediction = prediction
        self.image_shape = image_shape

    def plot(self, ax=None, *, include_values=True, values_format=".2f"):
        """Draw the input image and the layers' activations side by side.

        Parameters
        ----------
        ax : array-like of matplotlib.axes.Axes of shape (L + 1,), default=None
            Axes for a[0], ..., a[L]; None makes a new figure.
        include_values : bool, default=True
            Whether to write the output activations in their cells.
        values_format : str, default=".2f"
            Format of those values.

        Returns
        -------
        display : ActivationsDisplay
            This display, with ``figure_``, ``axes_``, ``images_`` and
            ``prediction_patch_`` set.
        """
        plt = _pyplot()
        A = [np.asarray(a, dtype=float).ravel() for a in self.activations]
        L = len(A) - 1
        if L < 1:
            raise ValueError("Need the activations of the input and of >= 1 layer.")
        classes = list(np.asarray(self.classes).ravel())
        if len(classes) != A[L].size:
            raise ValueError(f"Got {len(classes)} classes for {A[L].size} outputs.")
        shape = self.image_shape
        if shape is not None:
            shape = _check_image_shape(shape, A[0].size)
        fig, axes = _figure_and_axes(
            ax, L + 1, lambda: _layer_axes(plt, L, shape is not None)
        )
        axes = np.ravel(axes)
        self.images_ = [_draw_input(axes[0], A[0], shape)]
        for l in range(1, L + 1):
            kind = "output" if l == L else "hidden"
            self.images_.append(_draw_column(axes[l], A[l]))
            units = "1 unit" if A[l].size == 1 else f"{A[l].size} units"
            axes[l].set_title(f"{kind} a[{l}]\n{units}", fontsize="medium")
        self.prediction_patch_ = _label_outputs(
            axes[L], A[L], classes, self.prediction, include_values, values_format
        )
        self.figure_, self.axes_ = fig, axes
        return self

    @classmethod
    def from_estimator(cls, estimator, x, *, image_shape=None, **kwargs):
        """Propagate one sample through a fitted network and draw every layer.

        For :class:`~sknn_sigmoid.SigmoidMLPClassifier`, the layers are those of
        ``forward``: a[0], a[1], ..., a[L]. For
        :class:`~sknn_sigmoid.OneVsRestLogistic`, a network without hidden layer,
        they are the input a[0] and the answers a[1]_k = sigmoid(w_k . x + b_k) of
        the K logistic models. With two classes the single output neuron stands for
        the second class. A model trained on a multilabel indicator matrix frames
        no neuron: it predicts every label whose neuron answers more than 0.5.

        Parameters
        ----------
        estimator : SigmoidMLPClassifier, OneVsRestLogistic or Pipeline
            A fitted network, or a fitted Pipeline whose last step is one; then
            ``x`` goes through the earlier steps first, and a[0] is their output.
        x : array-like of shape (n_features,) or (1, n_features)
            The sample.
        image_shape : tuple of int, default=None
            (height, width) of the input image; None means a square image if the
            number of inputs n[0] is a perfect square, else a column of cells.
        **kwargs
            Passed to :meth:`plot`: ``ax``, ``include_values``, ``values_format``.

        Returns
        -------
        display : ActivationsDisplay
            The plotted display.
        """
        preprocessing, network = _network(estimator)
        X = x if hasattr(x, "shape") else np.asarray(x)
        if hasattr(X, "to_frame") and hasattr(X, "index"):  # a pandas Series: a row
            X = X.to_frame().T  # keeps the feature names
        if X.ndim == 1:
            X = np.asarray(X).reshape(1, -1)
        if X.ndim != 2 or X.shape[0] != 1:
            raise ValueError(
                "x must be one sample, of shape (n_features,) or (1, n_features); "
                f"got shape {X.shape}."
            )
        X_net = X if preprocessing is None else preprocessing.transform(X)
        if isinstance(network, OneVsRestLogistic):
            a0 = _dense_row(check_array(X_net, accept_sparse=True, dtype=float))
            activations = [a0, sigmoid(np.ravel(network.decision_function(X_net)))]
        else:
            activations = [_dense_row(a) for a in network.forward(X_net)]
        classes = network.classes_[-activations[-1].size :]
        if image_shape is None:
            image_shape = _square_shape(activations[0].size)
        # A multilabel model predicts a set of labels: no single neuron is framed.
        prediction = None if is_multilabel(network) else estimator.predict(X)[0]
        return cls(activations, classes, prediction, image_shape).plot(**kwargs)


def _layer_axes(plt, L, input_is_image):
    ratios = [3.0 if input_is_image else 1.0] + [1.0] * L
    fig, axes = plt.subplots(
        1,
        L + 1,
        figsize=(1.6 * sum(ratios) + 1.0, 5.0),
        gridspec_kw={"width_ratios": ratios},
        layout="constrained",
    )
    return fig, axes


def _draw_input(ax, a0, shape):
    """a[0] as an image (or a column), grey from 0 (black) to 1 (white)."""
    vmin, vmax = min(0.0, a0.min()), max(1.0, a0.max())
    if shape is None:
        image = _draw_column(ax, a0, vmin, vmax)
        ax.set_title(f"input a[0]\n{a0.size} values", fontsize="medium")
        return image
    image = ax.imshow(
        a0.reshape(shape), cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest"
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"input a[0]\n{shape[0]}×{shape[1]} pixels", fontsize="medium")
    return image


def _draw_column(ax, a, vmin=0.0, vmax=1.0):
    """A layer as a column of grey cells, top to bottom neuron 0 to n - 1."""
    image = ax.imshow(
        a[:, np.newaxis],
        cmap="gray",
        vmin=vmin,
        vmax=vmax,
        aspect="auto",
        interpolation="nearest",
    )
    if a.size <= 40:  # thin lines between the cells, where they can be told apart
        ax.hlines(np.arange(0.5, a.size - 1), -0.5, 0.5, color="0.5", linewidth=0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("0.5")
    return image


def _label_outputs(ax, a, classes, prediction, include_values, values_format):
    """Label the output cells with the classes and frame the predicted one."""
    from matplotlib.patches import Rectangle

    ax.yaxis.tick_right()
    ax.set_yticks(np.arange(a.size), [str(c) for c in classes])
    if include_values:
        for j, value in enumerate(a):
            ax.text(
                0,
                j,
                format(value, values_format),
                ha="center",
                va="center",
                fontsize="small",
                color="black" if value > 0.5 else "white",
            )
    matches = [j for j, c in enumerate(classes) if c == prediction]
    if prediction is None:
        return None
    if not matches:  # one output neuron for two classes, the first one predicted
        ax.set_xlabel(f"prediction:\n{prediction}", color="red", fontweight="bold")
        return None
    j = matches[0]
    label = ax.get_yticklabels()[j]
    label.set_color("red")
    label.set_fontweight("bold")
    patch = Rectangle(
        (-0.5, j - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=3, clip_on=False
    )
    ax.add_patch(patch)
    return patch
