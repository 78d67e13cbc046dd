"""Export of the fitted estimators to ONNX, through skl2onnx.

Importing this module registers a skl2onnx converter for
:class:`~sknn_sigmoid.SigmoidMLPClassifier` and
:class:`~sknn_sigmoid.OneVsRestLogistic`, so that ``skl2onnx.to_onnx`` converts them,
alone or as the last step of a :class:`~sklearn.pipeline.Pipeline` of transformers
that skl2onnx knows (``MinMaxScaler``, ``StandardScaler``, ...). :func:`to_onnx` is a
shortcut that returns plain arrays rather than a list of dicts for the
probabilities.

The graph computes what ``predict_proba`` and ``predict`` compute, in the dtype of
the fitted weights (the input is cast to it when it differs):

* every layer: z = a_prev W + b (MatMul, Add), clipped to +-log(1 / eps) of the
  dtype (Clip) as in training, then a = sigmoid(z) = 1 / (1 + exp(-z)) (Neg, Exp,
  Add, Reciprocal: ONNX Runtime's Sigmoid is accurate to about 1e-7 absolute only,
  too coarse for the ratios of small output activations);
* one output unit a (two classes): the probabilities [1 - a, a] (Sub, Concat);
  several: the activations, floored at the dtype's smallest normal number (Max),
  divided by their row sum (ReduceSum, Div);
* the label, as ``predict``: the class of the largest output pre-activation z before
  the clip (ArgMax; a NaN, from inf - inf on huge inputs, counts as -inf: IsNaN,
  Where), which also decides between output units that saturate together; for two
  classes, the second where z > 0 (Greater, Cast); then Gather.

The probabilities come out in the dtype of the input, the labels as int64 (integer
or boolean classes) or strings. Needs the ``onnx`` extra: ``pip install
"sknn_sigmoid[onnx]"`` (skl2onnx, onnx and, to run the models, onnxruntime).

Example (not run here, it needs the extra)::

    import numpy as np
    import onnxruntime
    from sknn_sigmoid.onnx import to_onnx

    onx = to_onnx(model, X_train[:1].astype(np.float32))
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, probabilities = session.run(None, {"X": X_test.astype(np.float32)})
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._base import is_multilabel
from ._logistic import OneVsRestLogistic
from ._mlp import SigmoidMLPClassifier
from ._network import saturation_bound

__all__ = ["CONVERTER_OPTIONS", "convert_sigmoid_network", "register", "to_onnx"]

# The skl2onnx aliases of the estimators.
ALIASES = {
    SigmoidMLPClassifier: "SknnSigmoidSigmoidMLPClassifier",
    OneVsRestLogistic: "SknnSigmoidOneVsRestLogistic",
}
# The options the converter takes: those of skl2onnx's classifiers. "zipmap" adds a
# ZipMap (True: a list of {label: probability} dicts; "columns": one output per
# class) after the probabilities; "nocl" outputs class indices instead of labels.
CONVERTER_OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [True, False]}

_MISSING_EXTRA = (
    "ONNX export needs skl2onnx and onnx (and onnxruntime to run the models): "
    'install the onnx extra, pip install "sknn_sigmoid[onnx]".'
)


def _skl2onnx():
    """skl2onnx, or an ImportError that names the extra to install."""
    try:
        import onnx  # noqa: F401
        import skl2onnx
    except ImportError as error:
        raise ImportError(_MISSING_EXTRA) from error
    return skl2onnx


def register():
    """Register the converters of both estimators with skl2onnx.

    Called when this module is imported (if skl2onnx is installed); calling it again
    does no harm.

    Raises
    ------
    ImportError
        If skl2onnx or onnx is not installed.
    """
    skl2onnx = _skl2onnx()
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )

    for model, alias in ALIASES.items():
        skl2onnx.update_registered_converter(
            model,
            alias,
            calculate_linear_classifier_output_shapes,
            convert_sigmoid_network,
            options=CONVERTER_OPTIONS,
        )


def _network(est):
    """The fitted (coefs, intercepts) of either estimator, as the training uses them."""
    if isinstance(est, OneVsRestLogistic):
        return [est.coef_.T], [est.intercept_]
    return list(est.coefs_), list(est.intercepts_)


def _label_constant(classes):
    """The classes as the constant the labels are gathered from: strings or int64.

    skl2onnx's shape calculator has already declared the label output as a string
    tensor (string classes) or an int64 one (integer, boolean or integral float
    classes, the only numbers a classifier of this package accepts as labels), and
    refused classes that mix both.
    """
    if all(isinstance(c, str) for c in classes):
        return np.array([str(c) for c in classes], dtype=object)
    return np.asarray(classes).astype(np.int64)


def _refuse_multilabel(estimator):
    if is_multilabel(estimator):
        raise ValueError(
            f"{type(estimator).__name__} was trained on a multilabel indicator "
            "matrix: the ONNX converter writes the labels and probabilities of "
            "class labels only."
        )


def convert_sigmoid_network(scope, operator, container):
    """The skl2onnx converter of both estimators.

    Writes the forward pass, the probabilities and the labels of the fitted estimator
    ``operator.raw_operator`` into ``container``: from the input
    ``operator.inputs[0]`` to the outputs ``operator.outputs`` (label, probabilities)
    that skl2onnx's ``calculate_linear_classifier_output_shapes`` declared.

    Raises
    ------
    ImportError
        If skl2onnx or onnx is not installed (the ``onnx`` extra).
    """
    _skl2onnx()
    _refuse_multilabel(operator.raw_operator)
    from onnx.helper import np_dtype_to_tensor_dtype
    from skl2onnx.algebra.onnx_ops import (
        OnnxAdd,
        OnnxArgMax,
        OnnxCast,
        OnnxClip,
        OnnxConcat,
        OnnxDiv,
        OnnxExp,
        OnnxGather,
        OnnxGreater,
        OnnxIdentity,
        OnnxIsNaN,
        OnnxMatMul,
        OnnxMax,
        OnnxNeg,
        OnnxReciprocal,
        OnnxReduceSumApi11,
        OnnxReshape,
        OnnxSub,
        OnnxWhere,
    )
    from skl2onnx.common.data_types import guess_numpy_type
    from skl2onnx.common.utils_classifier import get_label_classes

    est = operator.raw_operator
    opv = container.target_opset
    coefs, intercepts = _network(est)
    dtype = coefs[0].dtype
    X = operator.inputs[0]

    # a[0]: the input in the weights' dtype, as predict_proba's validate_data makes it.
    A = X
    if guess_numpy_type(X.type) != dtype:
        A = OnnxCast(X, to=np_dtype_to_tensor_dtype(dtype), op_version=opv)
    bound = saturation_bound(dtype)
    low, high = np.array(-bound, dtype=dtype), np.array(bound, dtype=dtype)
    one = np.array([1], dtype=dtype)
    for W, b in zip(coefs, intercepts):
        Z_raw = OnnxAdd(OnnxMatMul(A, W, op_version=opv), b, op_version=opv)
        Z = OnnxClip(Z_raw, low, high, op_version=opv)
        # sigmoid(z) = 1 / (1 + exp(-z)), accurate to a few ulps relative to a
        # (ONNX Runtime's Sigmoid kernel is accurate only to ~1e-7 absolute, and
        # normalising small output activations needs them accurate relatively);
        # the clip keeps exp(-z) below 1 / eps.
        E = OnnxExp(OnnxNeg(Z, op_version=opv), op_version=opv)
        A = OnnxReciprocal(OnnxAdd(E, one, op_version=opv), op_version=opv)

    if coefs[-1].shape[1] == 1:  # two classes, one output unit a: [1 - a, a]
        P = OnnxConcat(OnnxSub(one, A, op_version=opv), A, axis=1, op_version=opv)
    else:
        tiny = np.array([np.finfo(dtype).tiny], dtype=dtype)
        A = OnnxMax(A, tiny, op_version=opv)
        total = OnnxReduceSumApi11(A, axes=[1], keepdims=1, op_version=opv)
        P = OnnxDiv(A, total, op_version=opv)

    # The label, as predict: from the last layer's z before the clip.
    if coefs[-1].shape[1] == 1:
        zero = np.array([0], dtype=dtype)
        positive = OnnxGreater(Z_raw, zero, op_version=opv)
        index = OnnxCast(
            OnnxReshape(positive, np.array([-1], dtype=np.int64), op_version=opv),
            to=np_dtype_to_tensor_dtype(np.dtype(np.int64)),
            op_version=opv,
        )
    else:
        minus_inf = np.array([-np.inf], dtype=dtype)
        isnan = OnnxIsNaN(Z_raw, op_version=opv)
        Z_raw = OnnxWhere(isnan, minus_inf, Z_raw, op_version=opv)
        index = OnnxArgMax(Z_raw, axis=1, keepdims=0, op_version=opv)
    classes = _label_constant(get_label_classes(scope, est))
    labels = OnnxGather(
        classes, index, axis=0, op_version=opv, output_names=operator.outputs[:1]
    )
    proba_dtype = guess_numpy_type(operator.outputs[1].type)
    if proba_dtype == dtype:
        proba = OnnxIdentity(P, op_version=opv, output_names=operator.outputs[1:2])
    else:
        proba = OnnxCast(
            P,
            to=np_dtype_to_tensor_dtype(np.dtype(proba_dtype)),
            op_version=opv,
            output_names=operator.outputs[1:2],
        )
    labels.add_to(scope, container)
    proba.add_to(scope, container)


def to_onnx(estimator, X_sample, **kwargs):
    """Convert a fitted estimator, or a Pipeline ending with one, to ONNX.

    The model's input, named "X", has the dtype of ``X_sample`` (float32 or float64)
    and any number of rows; its outputs are "label" (the labels ``predict`` returns)
    and "probabilities" (what ``predict_proba`` returns, in the input's dtype).

    Parameters
    ----------
    estimator : SigmoidMLPClassifier, OneVsRestLogistic or Pipeline
        The fitted model. A Pipeline's other steps must be transformers that skl2onnx
        converts (``MinMaxScaler``, ``StandardScaler``, ``PCA``, ...);
        :class:`~sknn_sigmoid.preprocessing.Deskewer` has no ONNX converter.
    X_sample : ndarray of shape (n_samples, n_features)
        A few input rows: only their dtype and number of columns are used.
    **kwargs
        Passed on to :func:`skl2onnx.to_onnx` (``target_opset``, ``name``,
        ``initial_types``, ``options``, ...). Unless ``options`` sets "zipmap" for the
        final classifier, it gets ``{"zipmap": False}``: the probabilities are a
        plain (n_samples, n_classes) tensor rather than skl2onnx's default list of
        {label: probability} dicts.

    Returns
    -------
    onnx.ModelProto
        The model; save it with ``model.SerializeToString()`` or ``onnx.save``.

    Raises
    ------
    ImportError
        If skl2onnx or onnx is not installed.
    """
    skl2onnx = _skl2onnx()
    register()
    final = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    check_is_fitted(final)
    _refuse_multilabel(final)
    options = dict(kwargs.pop("options", None) or {})
    if is_classifier(final):
        own = dict(options.get(id(final), {}))
        by_class = options.get(type(final), {})
        if "zipmap" not in own and "zipmap" not in by_class:
            own["zipmap"] = False
        options[id(final)] = own
    if X_sample is not None and not hasattr(X_sample, "dtype"):
        X_sample = np.asarray(X_sample)
    return skl2onnx.to_onnx(estimator, X_sample, options=options, **kwargs)


try:
    register()
except ImportError:  # without the extra; to_onnx raises the error
    pass
