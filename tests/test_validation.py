"""Bad parameters and bad data give clear errors, and a failed call changes nothing."""

import pickle
import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import check_array

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier
from sknn_sigmoid._training import PREDICT_CHUNK_ROWS

# The fits here run a few epochs to test what input they take and refuse, not how
# far they converge: their ConvergenceWarnings are expected.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SHARED_BAD_PARAMS = [
    ("alpha", -1.0, ValueError),
    ("alpha", "big", TypeError),
    ("alpha", float("inf"), ValueError),
    # A Fraction would make the arithmetic of training object arrays.
    ("alpha", Fraction(1, 1000), TypeError),
    ("tol", 10**400, ValueError),  # no float holds it
    ("batch_size", 0, ValueError),
    ("batch_size", 2.5, ValueError),
    ("batch_size", "all", ValueError),
    ("learning_rate_init", 0.0, ValueError),
    ("learning_rate_init", -0.1, ValueError),
    ("learning_rate_init", None, TypeError),
    ("learning_rate_init", float("inf"), ValueError),
    ("momentum", 1.5, ValueError),
    ("nesterovs_momentum", "yes", TypeError),
    ("beta_1", 1.0, ValueError),
    ("beta_2", -0.1, ValueError),
    ("epsilon", 0.0, ValueError),
    ("max_iter", 0, ValueError),
    ("max_iter", 10.5, TypeError),
    ("max_iter", True, TypeError),
    ("tol", -1e-3, ValueError),
    ("tol", float("nan"), ValueError),
    ("n_iter_no_change", 0, ValueError),
    ("shuffle", 1, TypeError),
    ("warm_start", "no", TypeError),
    ("random_state", -1, ValueError),
    ("random_state", "seed", TypeError),
    ("verbose", -1, ValueError),
]
MLP_BAD_PARAMS = [
    ("hidden_layer_sizes", (10, 0), ValueError),
    ("hidden_layer_sizes", -3, ValueError),
    ("hidden_layer_sizes", "100", TypeError),
    ("hidden_layer_sizes", (10.5,), TypeError),
    ("hidden_layer_sizes", np.array(7), TypeError),
    ("hidden_layer_sizes", {5, 3}, TypeError),
    ("hidden_layer_sizes", {5: 1}, TypeError),
    ("hidden_layer_sizes", np.array([[5, 3]]), TypeError),
    ("loss", "hinge", ValueError),
    ("solver", "newton", ValueError),
    ("solver", "gd", ValueError),
    ("learning_rate", "cyclic", ValueError),
    ("power_t", -0.5, ValueError),
    ("max_fun", 0, ValueError),
    ("early_stopping", None, TypeError),
    ("validation_fraction", 1.0, ValueError),
    ("validation_fraction", 0.0, ValueError),
    ("augment", 3, TypeError),
    ("augment", "elastic", TypeError),
]
LOGISTIC_BAD_PARAMS = [("solver", "sgd", ValueError), ("solver", None, ValueError)]

CASES = [
    (SigmoidMLPClassifier, *case) for case in SHARED_BAD_PARAMS + MLP_BAD_PARAMS
] + [(OneVsRestLogistic, *case) for case in SHARED_BAD_PARAMS + LOGISTIC_BAD_PARAMS]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=90, n_features=5, n_informative=3, n_classes=3, random_state=1
    )
    return MinMaxScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return {
        Estimator: Estimator(random_state=0, max_iter=20).fit(X, y)
        for Estimator in (SigmoidMLPClassifier, OneVsRestLogistic)
    }


def snapshot(est):
    """Deep copy of every fitted attribute (the ones ending in an underscore)."""
    return {
        k: [np.copy(a) for a in v] if isinstance(v, list) else np.copy(v)
        for k, v in vars(est).items()
        if k.endswith("_") and not k.startswith("_")
    }


def assert_unchanged(est, before, X, proba_before):
    after = snapshot(est)
    assert after.keys() == before.keys()
    for key, value in before.items():
        if isinstance(value, list):
            assert len(after[key]) == len(value), key
            for a, b in zip(after[key], value):
                assert_array_equal(a, b, err_msg=key)
        else:
            assert_array_equal(after[key], value, err_msg=key)
    assert_array_equal(est.predict_proba(X), proba_before)


@pytest.mark.parametrize("Estimator, name, value, error", CASES)
def test_bad_parameter_is_named_at_fit(data, fitted, Estimator, name, value, error):
    X, y = data
    est = clone(fitted[Estimator])
    est.set_params(**{name: value})  # __init__ and set_params only store
    with pytest.raises(error, match=rf"'{name}' parameter of {Estimator.__name__}"):
        est.fit(X, y)


@pytest.mark.parametrize("Estimator, name, value, error", CASES)
def test_failed_fit_with_bad_parameter_keeps_fitted_model(
    data, fitted, Estimator, name, value, error
):
    X, y = data
    est = fitted[Estimator]
    good = est.get_params()[name]
    before, proba = snapshot(est), est.predict_proba(X)
    est.set_params(**{name: value})
    try:
        with pytest.raises(error):
            est.fit(X, y)
        if hasattr(est, "partial_fit"):
            with pytest.raises(error):
                est.partial_fit(X, y)
    finally:
        est.set_params(**{name: good})
    assert_unchanged(est, before, X, proba)


def bad_data(X, y):
    """Inputs scikit-learn users get wrong, with the error each must raise."""
    X_wide = np.hstack([X, X[:, :1]])
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    X_inf = X.copy()
    X_inf[1, 1] = np.inf
    return {
        "nan": ((X_nan, y), {}, ValueError, "NaN"),
        "inf": ((X_inf, y), {}, ValueError, "infinity"),
        "empty": ((X[:0], y[:0]), {}, ValueError, "0 sample"),
        "three_d": ((X[:, :, None], y), {}, ValueError, "dim"),
        "strings": (
            (X.astype(str).astype(object) + "x", y),
            {},
            ValueError,
            "could not convert string to float",
        ),
        "complex": ((X + 1j, y), {}, ValueError, "omplex"),
        # A chunk of one class is fine for partial_fit of a fitted model.
        "one_class": ((X, np.zeros_like(y)), {"fit_only": True}, ValueError, "class"),
        "continuous_y": ((X, y + 0.5), {}, ValueError, "Unknown label type"),
        # Object labels that do not compare with the int classes (a TypeError from
        # np.searchsorted before).
        "labels_of_another_type": (
            (X, np.array(["a", "b", "c"], dtype=object)[y]),
            {"warm": True},
            ValueError,
            r"labels not in classes \[0, 1, 2\]: \['a', 'b', 'c'\]",
        ),
        "multi_output_y": ((X, np.c_[y, y]), {}, ValueError, "multilabel indicator"),
        "length_mismatch": ((X, y[:-1]), {}, ValueError, "inconsistent"),
        "wrong_n_features": ((X_wide, y), {"warm": True}, ValueError, "features"),
        "negative_weight": ((X, y), {"sw": -np.ones(len(y))}, ValueError, "Negative"),
        "zero_weights": ((X, y), {"sw": np.zeros(len(y))}, ValueError, "zero"),
        "nan_weight": ((X, y), {"sw": np.full(len(y), np.nan)}, ValueError, "finite"),
        "huge_weights": ((X, y), {"sw": np.full(len(y), 1e308)}, ValueError, "sum to"),
        "short_weights": ((X, y), {"sw": np.ones(3)}, ValueError, "sample_weight"),
        "unseen_label": ((X, np.where(y == 0, 9, y)), {"warm": True}, ValueError, "9"),
    }


BAD_DATA_NAMES = list(bad_data(np.zeros((3, 2)), np.arange(3)))


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
@pytest.mark.parametrize("case", BAD_DATA_NAMES)
def test_bad_data_raises_and_keeps_fitted_model(data, fitted, Estimator, case):
    X, y = data
    (X_bad, y_bad), options, error, message = bad_data(X, y)[case]
    est = fitted[Estimator]
    before, proba = snapshot(est), est.predict_proba(X)
    calls = ["partial_fit"] if options.get("warm") else ["fit", "partial_fit"]
    if options.get("fit_only"):
        calls = ["fit"]
    for method in calls:
        with pytest.raises(error, match=message):
            getattr(est, method)(X_bad, y_bad, sample_weight=options.get("sw"))
        assert_unchanged(est, before, X, proba)


def test_early_stopping_needs_weight_on_both_sides_of_the_split(data, fitted):
    # One sample weighs anything: whichever part of the split goes without it would
    # have a total weight of zero (a division by zero in scoring it, or no training).
    X, y = data
    w = np.zeros(len(y))
    w[0] = 1.0
    est = fitted[SigmoidMLPClassifier]
    before, proba = snapshot(est), est.predict_proba(X)
    parts = set()
    try:
        for seed in range(30):  # the split, and so the empty part, follows the seed
            est.set_params(early_stopping=True, random_state=seed)
            with pytest.raises(ValueError, match="early_stopping") as error:
                est.fit(X, y, sample_weight=w)
            assert "weight zero" in str(error.value)
            parts.add(str(error.value).split(" part ")[0].split()[-1])
            assert_unchanged(est, before, X, proba)
    finally:
        est.set_params(early_stopping=False, random_state=0)
    assert parts == {"training", "validation"}


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
def test_weights_too_small_for_float32_inputs_are_named(data, Estimator):
    # Positive, but 0 in float32: they were said to be "all zero".
    X, y = data
    w = np.full(len(y), 1e-50)
    with pytest.raises(ValueError, match="too small for float32.*Scale the weights up"):
        Estimator(max_iter=2).fit(X.astype(np.float32), y, sample_weight=w)
    Estimator(max_iter=2).fit(X, y, sample_weight=w)  # float64 holds them
    with pytest.raises(ValueError, match="too small for float32"):
        Estimator(max_iter=2).fit(X.astype(np.float32), y, sample_weight=1e-50)
    with pytest.raises(ValueError, match="sample_weight is all zero"):
        Estimator(max_iter=2).fit(X.astype(np.float32), y, sample_weight=0 * w)


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
def test_weights_too_large_for_float32_inputs_are_named(data, Estimator):
    X, y = data
    est = Estimator(max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy cast warning either
        with pytest.raises(ValueError, match="too large for float32"):
            est.fit(X.astype(np.float32), y, sample_weight=np.full(len(y), 1e300))
        with pytest.raises(ValueError, match="sum to more than the largest float"):
            est.set_params(class_weight={y[0]: 1e308}).fit(X, y)
        with pytest.raises(ValueError, match="sum to more than the largest float"):
            # each weight fits float32, their sum (as training takes it) does not
            est.set_params(class_weight=None).fit(
                X.astype(np.float32), y, sample_weight=np.full(len(y), 1e37)
            )
    assert not hasattr(est, "classes_")


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
def test_predict_with_wrong_number_of_features(data, fitted, Estimator):
    X, _ = data
    with pytest.raises(ValueError, match="X has 4 features"):
        fitted[Estimator].predict(X[:, :4])


def data_with_bad_value_in_last_chunk(n_features, bad, sparse):
    """Rows enough for three prediction chunks, with ``bad`` in the last one."""
    X = np.random.default_rng(0).random((2 * PREDICT_CHUNK_ROWS + 3, n_features))
    X[-2, 1] = bad
    return (sp.csr_matrix(X) if sparse else X), X


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("sparse", [False, True])
def test_predict_rejects_nan_or_infinity_in_any_chunk_as_validate_data_does(
    fitted, Estimator, bad, sparse
):
    est = fitted[Estimator]
    X, _ = data_with_bad_value_in_last_chunk(est.n_features_in_, bad, sparse)
    with pytest.raises(ValueError) as expected:
        check_array(X, accept_sparse="csr", estimator=est, input_name="X")
    assert "NaN" in str(expected.value) or "infinity" in str(expected.value)
    for method in ("predict", "predict_proba", "predict_log_proba"):
        with pytest.raises(ValueError) as raised:
            getattr(est, method)(X)
        assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
def test_predict_skips_the_finite_check_when_told_to_assume_finite(fitted, Estimator):
    # As validate_data does under assume_finite=True: no check, no error.
    est = fitted[Estimator]
    X, dense = data_with_bad_value_in_last_chunk(est.n_features_in_, np.inf, False)
    with config_context(assume_finite=True):
        P = est.predict_proba(X)
    clean = np.delete(np.arange(len(dense)), -2)
    assert_array_equal(P[clean], est.predict_proba(dense[clean]))


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
def test_interrupted_fit_keeps_fitted_model(data, fitted, Estimator, monkeypatch):
    # Whatever stops a call half-way (here an error in the middle of an epoch), the
    # fitted attributes of before are restored.
    X, y = data
    est = fitted[Estimator]
    before, proba = snapshot(est), est.predict_proba(X)

    import sknn_sigmoid._training as training

    calls = {"n": 0}
    original = training.backward

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("stop")
        return original(*args, **kwargs)

    monkeypatch.setattr(training, "backward", failing)
    # Mini-batches, so that the error comes in the middle of an epoch.
    gradient_descent = {"solver": "adam"} if Estimator is SigmoidMLPClassifier else {}
    est.set_params(warm_start=True, batch_size=10, **gradient_descent)
    try:
        with pytest.raises(RuntimeError, match="stop"):
            est.fit(X, y)
    finally:
        est.set_params(warm_start=False, batch_size="auto")
    assert calls["n"] == 3
    assert_unchanged(est, before, X, proba)


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
def test_divergence_from_scratch_is_a_clear_error(data, Estimator):
    X, y = data
    est = Estimator(learning_rate_init=1e30, max_iter=5, random_state=0)
    if Estimator is SigmoidMLPClassifier:
        est.set_params(solver="sgd")
    huge = X.astype(np.float32) * np.float32(1e30)  # steps of 1e60 overflow float32
    with pytest.raises(ValueError, match="diverged.*Lower learning_rate_init"):
        est.fit(huge, y)
    assert not hasattr(est, "classes_")


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
def test_divergence_keeps_last_finite_weights(data, Estimator):
    X, y = data
    est = Estimator(max_iter=3, warm_start=True, random_state=0)
    if Estimator is SigmoidMLPClassifier:
        est.set_params(solver="sgd", learning_rate_init=0.1)
    X = X.astype(np.float32)
    est.fit(X, y)
    before, proba = snapshot(est), est.predict_proba(X)
    est.set_params(learning_rate_init=1e30)
    with pytest.warns(ConvergenceWarning, match="diverged in epoch 4.*last finite"):
        est.fit(X * np.float32(1e30), y)
    assert_unchanged(est, before, X, proba)  # the diverged epoch left no trace
    assert np.all(np.isfinite(est.predict_proba(X * np.float32(1e30))))


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
@pytest.mark.parametrize("solver", ["gd", "adam"])
def test_diverged_partial_fit_is_as_if_it_never_happened(data, Estimator, solver):
    # The optimizer's state (momentum, Adam's moments) is rolled back with the
    # weights, so training goes on from where it was before the bad chunk.
    X, y = data
    X = X.astype(np.float32)
    if Estimator is SigmoidMLPClassifier and solver == "gd":
        solver = "sgd"
    est = Estimator(solver=solver, batch_size=10, random_state=0)
    est.partial_fit(X, y, classes=np.unique(y)).partial_fit(X, y)
    twin = pickle.loads(pickle.dumps(est))
    with pytest.warns(ConvergenceWarning, match="diverged in epoch 3"):
        est.partial_fit(X * np.float32(1e30), y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for model in (est, twin):
            model.partial_fit(X, y).partial_fit(X, y)
    assert est.n_iter_ == twin.n_iter_ == 4
    for a, b in zip(est._get_network()[0], twin._get_network()[0]):
        assert_array_equal(a, b)


def test_adam_state_overflow_counts_as_divergence(data):
    # Gradients of 1e30 square to infinity in float32: Adam's second moments would
    # silently freeze the first layer. It is reported as a diverged epoch instead.
    X, y = data
    huge = X.astype(np.float32) * np.float32(1e30)
    est = SigmoidMLPClassifier(solver="adam", max_iter=5, random_state=0)
    with pytest.raises(ValueError, match="diverged in epoch 1"):
        est.fit(huge, y)
    assert not hasattr(est, "classes_")


MULTILABEL_MISUSE = {
    "class_weight": (
        lambda est, X, Y: est.set_params(class_weight="balanced").fit(X, Y),
        "class_weight is not supported for multilabel",
    ),
    "not_0_and_1": (lambda est, X, Y: est.fit(X, 2 * Y), "0s and 1s per label"),
    "classes_not_its_columns": (
        lambda est, X, Y: est.partial_fit(X, Y, classes=[1, 2, 3, 4]),
        "its columns",
    ),
    "fewer_columns": (lambda est, X, Y: est.partial_fit(X, Y[:, :3]), "3 columns"),
    "labels_after_multilabel": (
        lambda est, X, Y: est.partial_fit(X, Y.argmax(axis=1)),
        "multilabel indicator matrix; y must be one too",
    ),
    "warm_labels_after_multilabel": (
        lambda est, X, Y: est.set_params(warm_start=True).fit(X, Y.argmax(axis=1)),
        "multilabel indicator matrix; y must be one too",
    ),
}


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
@pytest.mark.parametrize("case", MULTILABEL_MISUSE)
def test_multilabel_misuse_is_refused_and_keeps_the_model(Estimator, case):
    X, Y = make_multilabel_classification(100, 6, n_classes=4, random_state=0)
    call, message = MULTILABEL_MISUSE[case]
    est = Estimator(max_iter=5, random_state=0).fit(X, Y)
    before, proba = snapshot(est), est.predict_proba(X)
    with pytest.raises(ValueError, match=message):
        call(est, X, Y)
    assert_unchanged(est, before, X, proba)


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
def test_numpy_ints_of_few_bits_are_counted_as_ints(data, Estimator):
    # max_iter + 1 in int8 went round to -128 (the callbacks' epoch count), and
    # batch offsets in int8 past 127.
    X, y = data
    X = np.repeat(X, 3, axis=0)
    y = np.repeat(y, 3)
    for params in (
        {"solver": "lbfgs", "max_iter": np.int8(127)},
        {"batch_size": np.int8(100), "max_iter": np.int8(3), "tol": 0.0},
    ):
        est = Estimator(random_state=0, **params)
        reference = Estimator(
            random_state=0,
            **{
                k: v.item() if isinstance(v, np.generic) else v
                for k, v in params.items()
            },
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
            reference.fit(X, y)
        assert est.n_iter_ == reference.n_iter_
        assert_array_equal(est.predict_proba(X), reference.predict_proba(X))


def test_class_weight_too_large_for_a_float_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="class_weight values must be finite"):
        SigmoidMLPClassifier(class_weight={1: 10**400}).fit(X, y)


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
def test_multilabel_after_labels_is_refused_and_keeps_the_model(Estimator, data):
    X, y = data
    est = Estimator(max_iter=5, random_state=0).fit(X, y)
    before, proba = snapshot(est), est.predict_proba(X)
    Y = np.eye(3, dtype=int)[y % 3]
    for call in (est.partial_fit, est.set_params(warm_start=True).fit):
        with pytest.raises(ValueError, match="labels too, not a multilabel"):
            call(X, Y)
        assert_unchanged(est, before, X, proba)
