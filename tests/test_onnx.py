"""ONNX export: onnxruntime's results equal predict and predict_proba."""

import subprocess
import sys

import numpy as np
import pytest
from scipy.special import expit
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier

MISSING = "skl2onnx/onnxruntime (the [onnx] extra) are not installed"
onnx = pytest.importorskip("onnx", reason=MISSING)
skl2onnx = pytest.importorskip("skl2onnx", reason=MISSING)
onnxruntime = pytest.importorskip("onnxruntime", reason=MISSING)

import sknn_sigmoid.onnx  # noqa: E402
from sknn_sigmoid.onnx import to_onnx  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TOL = 1e-5

ESTIMATORS = {
    "mlp": lambda: SigmoidMLPClassifier(
        hidden_layer_sizes=(16,), solver="adam", max_iter=30, random_state=0
    ),
    "mlp-2-hidden": lambda: SigmoidMLPClassifier(
        hidden_layer_sizes=(20, 12), solver="adam", max_iter=30, random_state=0
    ),
    "logistic": lambda: OneVsRestLogistic(max_iter=30, random_state=0),
}

LABELS = {
    "binary": lambda y: y % 2,
    "multiclass": lambda y: y,
    "non-contiguous ints": lambda y: np.array([-7, 3, 40, 1000])[y % 4],
    "strings": lambda y: np.array(["cat", "dog", "emu"])[y % 3],
    "binary strings": lambda y: np.array(["no", "yes"])[y % 2],
}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400], y[:400]


def run(model, X):
    """Labels and probabilities of the ONNX model for X, from onnxruntime."""
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    names = [output.name for output in session.get_outputs()]
    assert names == ["label", "probabilities"]
    return session.run(None, {session.get_inputs()[0].name: X})


def assert_same_predictions(estimator, model, X):
    labels, proba = run(model, X)
    expected = estimator.predict_proba(X)
    assert proba.shape == expected.shape
    assert proba.dtype == X.dtype
    np.testing.assert_allclose(proba, expected, rtol=0, atol=TOL)
    np.testing.assert_array_equal(labels, estimator.predict(X))
    return labels, proba


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("labels", LABELS)
@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimator_alone(digits, name, labels, dtype):
    X, y = digits
    X = (X / 16).astype(dtype)
    est = ESTIMATORS[name]().fit(X, LABELS[labels](y))
    model = to_onnx(est, X[:1])
    assert_same_predictions(est, model, X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("labels", LABELS)
@pytest.mark.parametrize("name", ESTIMATORS)
def test_after_min_max_scaler(digits, name, labels, dtype):
    X, y = digits
    X = X.astype(dtype)
    pipe = make_pipeline(MinMaxScaler(), ESTIMATORS[name]())
    pipe.fit(X, LABELS[labels](y))
    model = to_onnx(pipe, X[:1])
    assert_same_predictions(pipe, model, X)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_after_standard_scaler(digits, name):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), ESTIMATORS[name]()).fit(X, y % 3)
    assert_same_predictions(pipe, to_onnx(pipe, X[:1]), X)


@pytest.mark.parametrize(
    "fit_dtype, input_dtype", [(np.float32, np.float64), (np.float64, np.float32)]
)
@pytest.mark.parametrize("name", ESTIMATORS)
def test_input_dtype_other_than_the_weights(digits, name, fit_dtype, input_dtype):
    # The network runs in the weights' dtype, as predict_proba casts X to it; the
    # ONNX input and the probabilities have the dtype of X_sample.
    X, y = digits
    pipe = make_pipeline(MinMaxScaler(), ESTIMATORS[name]())
    pipe.fit(X.astype(fit_dtype), y)
    X = X.astype(input_dtype)
    model = to_onnx(pipe, X[:1])
    expected_type = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(input_dtype))
    assert model.graph.input[0].type.tensor_type.elem_type == expected_type
    assert_same_predictions(pipe, model, X)


def test_graph_operators_and_types(digits):
    X, y = digits
    X = (X / 16).astype(np.float32)
    est = ESTIMATORS["mlp-2-hidden"]().fit(X, y)
    model = to_onnx(est, X[:1])
    onnx.checker.check_model(model)
    ops = [node.op_type for node in model.graph.node]
    assert ops.count("MatMul") == 3
    assert ops.count("Clip") == 3
    for op in ("Exp", "Reciprocal", "Max", "ReduceSum", "Div", "ArgMax", "Gather"):
        assert op in ops
    (graph_input,) = model.graph.input
    assert graph_input.name == "X"
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    dims = graph_input.type.tensor_type.shape.dim
    assert [d.dim_value for d in dims][1] == X.shape[1]
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]


def test_clip_bounds_are_the_training_ones(digits):
    X, y = digits
    # The training clip: |z| <= log(1/eps), 23 log 2 in float32, 52 log 2 in float64.
    for dtype, bound in [(np.float32, 23 * np.log(2)), (np.float64, 52 * np.log(2))]:
        est = ESTIMATORS["logistic"]().fit((X / 16).astype(dtype), y)
        model = to_onnx(est, X[:1].astype(dtype))
        constants = {
            i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer
        }
        (clip,) = [node for node in model.graph.node if node.op_type == "Clip"]
        low, high = (constants[name] for name in clip.input[1:])
        assert low.dtype == high.dtype == dtype
        np.testing.assert_allclose([low, high], [-bound, bound], rtol=1e-6)


def rounding_bound(coefs, intercepts, X):
    """How far two correct computations of predict_proba(X) may lie apart, relatively.

    Far outside [0, 1], the inputs make z[l] a sum of large terms, and where the
    terms are summed in another order (onnxruntime's kernels against numpy's BLAS,
    one BLAS kernel against another) the last bits differ. A dot product of n terms
    summed in any order lies within gamma_n * sum |terms| of the exact one, gamma_n
    = n u / (1 - n u) with u the dtype's unit roundoff, so two of them lie within
    twice that. The bound is carried through the layers (an error d in z moves a by
    at most a (1 - a) e^d d), and through the normalisation of the outputs:
    |dp / p| <= 2 max_k |da_k / a_k|, with |da / a| <= e^d d for a = sigmoid(z).
    It holds on any machine and kernel, and is large only where the inputs are
    ill-conditioned. Returns one bound per row.
    """
    u = np.finfo(X.dtype).eps / 2
    A = np.asarray(X, np.float64)
    dA = np.zeros_like(A)
    for W, b in zip(coefs, intercepts):
        W, b = np.asarray(W, np.float64), np.asarray(b, np.float64)
        n = W.shape[0] + 1
        gamma = n * u / (1 - n * u)
        dz = 2 * gamma * (np.abs(A) @ np.abs(W) + np.abs(b)) + dA @ np.abs(W)
        A = expit(A @ W + b)
        dA = A * (1 - A) * np.exp(dz) * dz
    relative = np.exp(dz) * dz + 8 * u  # and a few ulps of the sigmoid
    return 2 * relative.max(axis=1, keepdims=True)


def assert_close_within_rounding(estimator, model, X, bound):
    """As assert_same_predictions, for inputs whose products lose digits to
    rounding: probabilities within ``bound`` (relative, per row) and labels equal
    wherever the best two probabilities are further apart than that."""
    labels, proba = run(model, X)
    expected = estimator.predict_proba(X)
    assert proba.dtype == X.dtype
    np.testing.assert_array_less(np.abs(proba - expected), bound * expected + TOL)
    # Where the best two are tied by the Clip, both take the first of them.
    top2 = np.sort(expected, axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    clear = (margin > 2 * (bound[:, 0] * top2[:, 1] + TOL)) | (margin == 0)
    assert clear.mean() > 0.9  # (0.955 to 0.998 on these data)
    np.testing.assert_array_equal(labels[clear], estimator.predict(X)[clear])


def unclipped_probabilities(coefs, intercepts, X):
    """predict_proba without the clip of z: what an export without Clip gives."""
    A = X
    for W, b in zip(coefs, intercepts):
        A = expit(A @ W + b)
    A = np.maximum(A, np.finfo(A.dtype).tiny)
    return A / A.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturating_inputs_logistic(digits, dtype):
    # Inputs far outside [0, 1] drive z past the saturation bound: several classes
    # then share the clipped activation, which the probabilities must reproduce.
    X, y = digits
    est = ESTIMATORS["logistic"]().fit((X / 16).astype(dtype), y)
    big = np.random.RandomState(0).uniform(-1000, 1000, X.shape).astype(dtype)
    big = np.vstack([big, X.astype(dtype) * 50])
    expected = est.predict_proba(big)
    coefs, intercepts = [est.coef_.T], [est.intercept_]
    bound = rounding_bound(coefs, intercepts, big)
    # The data exercise the Clip: without it, results leave the rounding bound.
    clip_matters = unclipped_probabilities(coefs, intercepts, big)
    assert np.any(np.abs(clip_matters - expected) > bound * expected + TOL)
    assert_close_within_rounding(est, to_onnx(est, big[:1]), big, bound)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturating_inputs_mlp(digits, dtype):
    X, y = digits
    X = (X / 16).astype(dtype)
    est = ESTIMATORS["mlp-2-hidden"]().fit(X, y)
    # Large output weights saturate the output units, as long training can; a large
    # negative output bias turns them all off on many rows, where the clip decides.
    est.coefs_[-1] *= dtype(60)
    est.intercepts_[-1] -= dtype(100)
    big = np.vstack([X, X * 30, -X * 30]).astype(dtype)
    expected = est.predict_proba(big)
    bound = rounding_bound(est.coefs_, est.intercepts_, big)
    clip_matters = unclipped_probabilities(est.coefs_, est.intercepts_, big)
    assert np.any(np.abs(clip_matters - expected) > bound * expected + TOL)
    assert_close_within_rounding(est, to_onnx(est, big[:1]), big, bound)


def test_small_activations_keep_their_relative_accuracy(digits):
    # Unscaled inputs give rows whose activations are all small but unclipped; their
    # ratios, hence the probabilities, need a sigmoid accurate relatively (not just
    # to 1e-7 absolute) in float32.
    X, y = digits
    X = X.astype(np.float32)
    est = ESTIMATORS["logistic"]().fit(X / 16, y)
    z = X @ est.coef_.T + est.intercept_
    assert np.any(np.all(z < -5, axis=1))
    assert_same_predictions(est, to_onnx(est, X[:1]), X)


def test_bool_labels_come_out_as_int64(digits):
    X, y = digits
    X = X / 16
    est = ESTIMATORS["logistic"]().fit(X, y == 3)
    labels, _ = run(to_onnx(est, X[:1]), X)
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels.astype(bool), est.predict(X))


@pytest.mark.parametrize("name", ["mlp", "logistic"])
def test_a_multilabel_model_is_refused(digits, name):
    X, y = digits
    Y = np.c_[y % 2, y % 3 == 0, y > 4].astype(int)
    est = ESTIMATORS[name]().fit(X / 16, Y)
    with pytest.raises(ValueError, match="multilabel indicator matrix"):
        to_onnx(est, X[:1])
    with pytest.raises(ValueError, match="multilabel indicator matrix"):
        to_onnx(make_pipeline(MinMaxScaler(), est), X[:1])


def test_zipmap_and_nocl_options(digits):
    X, y = digits
    X = (X / 16).astype(np.float32)
    labels = np.array(["cat", "dog", "emu"])[y % 3]
    est = ESTIMATORS["mlp"]().fit(X, labels)
    expected = est.predict_proba(X[:5])

    zipped = to_onnx(est, X[:1], options={id(est): {"zipmap": True}})
    session = onnxruntime.InferenceSession(
        zipped.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    out_labels, dicts = session.run(None, {"X": X[:5]})
    np.testing.assert_array_equal(out_labels, est.predict(X[:5]))
    assert list(dicts[0]) == ["cat", "dog", "emu"]
    got = np.array([[row[c] for c in est.classes_] for row in dicts])
    np.testing.assert_allclose(got, expected, atol=TOL)

    indices, proba = run(to_onnx(est, X[:1], options={id(est): {"nocl": True}}), X[:5])
    np.testing.assert_array_equal(est.classes_[indices], est.predict(X[:5]))
    np.testing.assert_allclose(proba, expected, atol=TOL)


def test_plain_skl2onnx_uses_the_registered_converter(digits):
    X, y = digits
    X = (X / 16).astype(np.float32)
    pipe = make_pipeline(MinMaxScaler(), ESTIMATORS["logistic"]()).fit(X, y)
    model = skl2onnx.to_onnx(pipe, X[:1], options={id(pipe[-1]): {"zipmap": False}})
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = session.run(None, {"X": X})
    np.testing.assert_array_equal(labels, pipe.predict(X))
    np.testing.assert_allclose(proba, pipe.predict_proba(X), atol=TOL)


def test_unfitted_estimator_is_refused():
    with pytest.raises(NotFittedError):
        to_onnx(SigmoidMLPClassifier(), np.zeros((1, 3), np.float32))


@pytest.mark.parametrize(
    "call",
    [
        lambda: sknn_sigmoid.onnx.to_onnx(OneVsRestLogistic(), np.zeros((1, 3))),
        lambda: sknn_sigmoid.onnx.register(),
        lambda: sknn_sigmoid.onnx.convert_sigmoid_network(None, None, None),
    ],
    ids=["to_onnx", "register", "convert_sigmoid_network"],
)
@pytest.mark.parametrize("missing", ["skl2onnx", "onnx"])
def test_missing_extra_raises_an_import_error_naming_it(monkeypatch, call, missing):
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(ImportError, match=r"sknn_sigmoid\[onnx\]"):
        call()


def test_package_imports_without_the_optional_packages():
    code = (
        "import sys\n"
        "for name in ('onnx', 'skl2onnx', 'onnxruntime', 'skops'):\n"
        "    sys.modules[name] = None\n"
        "import sknn_sigmoid, sknn_sigmoid.onnx\n"
        "try:\n"
        "    sknn_sigmoid.onnx.to_onnx(None, None)\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "onnx extra" in result.stdout
