"""Reliability: bad command lines, failed calls, divergence, determinism, properties.

* The command line answers bad options, data and model files with a non-zero exit
  status and one error line, never a traceback (the cases tests/test_cli.py does not
  cover already).
* ``set_params`` with an invalid value followed by a failed ``fit`` or
  ``partial_fit`` names the parameter and leaves the fitted estimator as it was, to
  the bit (hypothesis draws the invalid values).
* Learning rates far too large and inputs far too large end in a clear error or a
  warning, never in NaN or infinite weights or probabilities.
* The same data and ``random_state`` give the same bits in one process with the
  same BLAS settings; on another number of BLAS threads, in joblib workers, in
  ``GridSearchCV(n_jobs=...)`` or beside concurrent callers, results agree to
  rounding and choose the same models.
* The BLAS thread limits are the caller's during and after every fit,
  ``partial_fit`` and prediction, whether it returns, raises or is interrupted,
  and whatever other threads do with them; a process forked from a fitting
  thread works.
* Properties of the fitted model on small random data sets (hypothesis):
  probabilities form distributions that agree with ``predict``; full-batch gradient
  descent does not depend on the order of the rows; float32 follows float64.
"""

import copy
import os
import pickle
import signal
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import event, given, settings
from hypothesis import strategies as st
from joblib import Parallel, delayed
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from threadpoolctl import threadpool_info, threadpool_limits

import sknn_sigmoid._training as training
from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier
from sknn_sigmoid.cli import main

ESTIMATORS = [SigmoidMLPClassifier, OneVsRestLogistic]
GRADIENT_DESCENT = {SigmoidMLPClassifier: "sgd", OneVsRestLogistic: "gd"}
SOLVERS = {
    SigmoidMLPClassifier: ["sgd", "adam", "lbfgs"],
    OneVsRestLogistic: ["gd", "adam", "lbfgs"],
}
# Hypothesis: no example database (nothing written to the working tree) and no
# deadline (a fit's duration varies with the load of the machine).
FAST = settings(max_examples=25, deadline=None, database=None)


def parameters(est):
    """The fitted weights and biases of either estimator, as a list of arrays."""
    if hasattr(est, "coefs_"):
        return est.coefs_ + est.intercepts_
    return [est.coef_, est.intercept_]


def assert_same_parameters(a, b):
    pa, pb = parameters(a), parameters(b)
    assert len(pa) == len(pb)
    for x, y in zip(pa, pb):
        assert x.dtype == y.dtype
        assert_array_equal(x, y)


def small_estimator(Estimator, **params):
    """An estimator small enough to fit in milliseconds."""
    if Estimator is SigmoidMLPClassifier:
        params.setdefault("hidden_layer_sizes", (6,))
    return Estimator(**params)


def random_data(seed, n_samples=40, n_features=4, n_classes=3):
    """Features uniform in [0, 1] and labels covering every class."""
    rng = np.random.default_rng(seed)
    X = rng.random((n_samples, n_features))
    y = rng.permutation(np.arange(n_samples) % n_classes)
    return X, y


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return MinMaxScaler().fit_transform(X), y


# ---------------------------------------------------------------------------------
# The command line


def run_cli(capsys, *argv):
    """Run the command line in this process; return (status, stdout, stderr).

    A wrong command line ends in argparse's ``SystemExit``, whose code is the status.
    """
    try:
        status = main([str(arg) for arg in argv])
    except SystemExit as exc:
        status = exc.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def error_line(status, err, expected_status=1):
    """Check that ``err`` is one error line without traceback; return that line."""
    assert status == expected_status, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sknn-sigmoid: error: "), err
    return lines[0]


def write_tiny_mnist(directory, n=12):
    """Valid IDX files of n random 28x28 images and labels for both splits."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for split in ("train", "t10k"):
        pixels = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        (directory / f"{split}-images-idx3-ubyte").write_bytes(
            bytes([0, 0, 8, 3]) + np.array([n, 28, 28], ">u4").tobytes()
            + pixels.tobytes()
        )  # fmt: skip
        labels = (np.arange(n) % 10).astype(np.uint8)
        (directory / f"{split}-labels-idx1-ubyte").write_bytes(
            bytes([0, 0, 8, 1]) + np.array([n], ">u4").tobytes() + labels.tobytes()
        )
    return directory


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """A small fitted pipeline saved with joblib, as ``train --save`` writes it."""
    X, y = load_digits(return_X_y=True)
    model = make_pipeline(MinMaxScaler(), OneVsRestLogistic(max_iter=5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    path = tmp_path_factory.mktemp("models") / "model.joblib"
    joblib.dump(model, path)
    return path


try:
    import matplotlib  # noqa: F401

    HAVE_MATPLOTLIB = True
except ImportError:  # pragma: no cover - the [plot] extra is not installed
    HAVE_MATPLOTLIB = False
needs_matplotlib = pytest.mark.skipif(
    not HAVE_MATPLOTLIB, reason="matplotlib (the [plot] extra) is not installed"
)


@pytest.mark.parametrize(
    "argv, option",
    [
        (["train", "--hidden-layer-sizes", "a,b"], "--hidden-layer-sizes"),
        (["train", "--hidden-layer-sizes", "10,,5"], "--hidden-layer-sizes"),
        (["train", "--hidden-layer-sizes", ""], "--hidden-layer-sizes"),
        (["train", "--batch-size", "many"], "--batch-size"),
        (["train", "--batch-size", "1.5"], "--batch-size"),
        (["train", "--learning-rate-init", "fast"], "--learning-rate-init"),
        (["train", "--solver", "newton"], "--solver"),
        (["train", "--estimator", "forest"], "--estimator"),
        (["plot", "model.joblib", "--index", "first"], "--index"),
        (["evaluate"], "PATH"),
        (["fit"], "command"),
        (["train", "--random-state", "-1"], "--random-state"),
        (["plot", "model.joblib", "--max-images", "0"], "--max-images"),
        (["plot", "model.joblib", "--max-images", "-2"], "--max-images"),
    ],
)
def test_malformed_command_line_exits_2_with_one_error_line(capsys, argv, option):
    # argparse prints its usage, then one line saying what is wrong.
    status, out, err = run_cli(capsys, *argv)
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1, err
    assert err.strip().splitlines()[-1] == errors[0]
    assert errors[0].startswith("sknn-sigmoid")
    assert option in errors[0]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--hidden-layer-sizes", "0"], "'hidden_layer_sizes' parameter"),
        (["--hidden-layer-sizes", "10,-5"], "'hidden_layer_sizes' parameter"),
        (["--learning-rate-init", "0"], "'learning_rate_init' parameter"),
        (["--learning-rate-init", "nan"], "'learning_rate_init' parameter"),
        (
            ["--learning-rate-init", "-1", "--estimator", "logistic"],
            "'learning_rate_init' parameter of OneVsRestLogistic",
        ),
        (["--batch-size", "-5"], "'batch_size' parameter"),
        (["--batch-size", "0", "--estimator", "logistic"], "'batch_size' parameter"),
        (["--momentum", "2"], "'momentum' parameter"),
        (["--alpha", "-1"], "'alpha' parameter"),
        (["--tol", "-1"], "'tol' parameter"),
        (["--n-iter-no-change", "0"], "--n-iter-no-change"),
        (["--max-iter", "-3"], "--max-iter"),
        (["--validation-fraction", "nan"], "--validation-fraction"),
        (["--validation-fraction", "-0.5"], "--validation-fraction"),
        (["--estimator", "logistic", "--hidden-layer-sizes", "10"], "--hidden-layer"),
        (["--estimator", "logistic", "--learning-rate", "adaptive"], "--learning-rate"),
        (["--max-samples", "-1"], "--max-samples"),
    ],
)
def test_bad_training_options_exit_1_with_one_line(capsys, tmp_path, argv, message):
    # Checked before the data are read or anything is trained: nothing is saved.
    path = tmp_path / "never.joblib"
    status, _, err = run_cli(capsys, "train", *argv, "--quiet", "--save", path)
    assert message in error_line(status, err)
    assert not path.exists()


def test_learning_rate_infinity_is_refused_before_training(capsys, tmp_path):
    path = tmp_path / "never.joblib"
    status, _, err = run_cli(
        capsys, "train", "--learning-rate-init", "inf", "--max-iter", "2",
        "--quiet", "--save", path,
    )  # fmt: skip
    line = error_line(status, err)
    assert "'learning_rate_init' parameter" in line and "finite" in line
    assert not path.exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--max-iter", "0"], "--max-iter must be at least 1"),
        (["demo", "--max-samples", "0"], "--max-samples"),
        (["demo", "--mnist", "{tmp}/nowhere"], "MNIST directory not found"),
        (["demo", "--mnist", "{tmp}/a-file"], "MNIST directory not found"),
        (["evaluate", "{model}", "--mnist", "{tmp}/nowhere"], "MNIST directory"),
        (["train", "--mnist", "{tmp}/a-file", "--quiet"], "MNIST directory"),
        (["evaluate", "{model}", "--mnist", "{tmp}/partial"], "t10k-labels-idx1"),
        (["train", "--mnist", "{tmp}/partial", "--quiet"], "t10k-labels-idx1-ubyte"),
        (["train", "--mnist", "{tmp}/truncated", "--quiet"], "train-images-idx3"),
        (["evaluate", "{model}", "--mnist", "{tmp}/bad-labels"], "t10k-labels"),
        (["evaluate", "{model}", "--mnist", "{tmp}/tiny"], "does not fit the data"),
    ],
)
def test_bad_data_exits_1_with_one_line(capsys, tmp_path, saved_model, argv, message):
    (tmp_path / "a-file").write_text("not a directory")
    write_tiny_mnist(tmp_path / "tiny")
    (write_tiny_mnist(tmp_path / "partial") / "t10k-labels-idx1-ubyte").unlink()
    images = write_tiny_mnist(tmp_path / "truncated") / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    labels = write_tiny_mnist(tmp_path / "bad-labels") / "t10k-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:8] + bytes([3, 42]) + bytes(10))
    argv = [arg.format(tmp=tmp_path, model=saved_model) for arg in argv]
    status, _, err = run_cli(capsys, *argv)
    assert message in error_line(status, err)


def corrupt_model_files(directory, model_path):
    """Model files that are damaged or hold no usable model, with what must be said."""
    good = model_path.read_bytes()
    flipped = bytearray(good)
    for i in range(40, 80):
        flipped[i] ^= 0xFF
    files = {
        "empty": (b"", "cannot read model"),
        "truncated": (good[: len(good) // 2], "cannot read model"),
        "flipped": (bytes(flipped), "cannot read model"),
        # A pickle naming a module that does not exist.
        "missing_module": (b"cnosuchmodule\nFoo\n.", "cannot read model"),
        # A pickle whose loading raises: int("x").
        "raises": (b"cbuiltins\nint\n(Vx\ntR.", "cannot read model"),
        "dict": (pickle.dumps({"coef_": [1, 2]}), "does not hold a model"),
        "unfitted": (pickle.dumps(OneVsRestLogistic()), "does not fit the data"),
    }
    paths = {}
    for name, (content, message) in files.items():
        path = directory / f"{name}.joblib"
        path.write_bytes(content)
        paths[name] = (path, message)
    (directory / "folder.joblib").mkdir()
    paths["folder"] = (directory / "folder.joblib", "model file not found")
    return paths


CORRUPT = ["empty", "truncated", "flipped", "missing_module", "raises", "dict",
           "unfitted", "folder"]  # fmt: skip


@pytest.mark.parametrize("name", CORRUPT)
def test_evaluate_corrupt_model_file(capsys, tmp_path, saved_model, name):
    path, message = corrupt_model_files(tmp_path, saved_model)[name]
    status, out, err = run_cli(capsys, "evaluate", path)
    line = error_line(status, err)
    assert message in line and str(path) in line
    assert "test accuracy" not in out


@needs_matplotlib
@pytest.mark.parametrize("name", CORRUPT)
def test_plot_corrupt_model_file_draws_nothing(capsys, tmp_path, saved_model, name):
    path, message = corrupt_model_files(tmp_path, saved_model)[name]
    out_dir = tmp_path / "pictures"
    status, _, err = run_cli(capsys, "plot", path, "--out", out_dir)
    assert message in error_line(status, err)
    assert not out_dir.exists() or not list(out_dir.iterdir())


@needs_matplotlib
@pytest.mark.parametrize(
    "argv, message",
    [
        (["--index", "450"], "--index"),
        (["--index", "-1"], "--index"),
        (["--out", "{model}"], "model.joblib"),  # a file where a directory belongs
    ],
)
def test_plot_bad_options(capsys, saved_model, argv, message):
    argv = [arg.format(model=saved_model) for arg in argv]
    status, _, err = run_cli(capsys, "plot", saved_model, *argv)
    assert message in error_line(status, err)


@needs_matplotlib
def test_save_onto_a_directory_keeps_it(capsys, tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    status, out, err = run_cli(
        capsys, "train", "--estimator", "logistic", "--max-iter", "1",
        "--quiet", "--save", target,
    )  # fmt: skip
    assert "cannot save" in error_line(status, err)
    assert (target / "keep.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # no leftovers


# ---------------------------------------------------------------------------------
# set_params and a failed fit change nothing


def _invalid(name, values, error):
    return st.tuples(st.just(name), values, st.just(error))


def _not_one_of(*allowed):
    return st.text(max_size=12).filter(lambda s: s not in allowed)


NEGATIVE = st.floats(max_value=0.0, exclude_max=True)
NOT_POSITIVE = st.floats(max_value=0.0)  # 0.0, -0.0, ..., -inf
NAN = st.just(float("nan"))
WORDS = st.text(max_size=8)
SHARED_INVALID = [
    _invalid("alpha", NEGATIVE | NAN, ValueError),
    _invalid("alpha", WORDS, TypeError),
    _invalid("learning_rate_init", NOT_POSITIVE | NAN, ValueError),
    _invalid("learning_rate_init", WORDS | st.none(), TypeError),
    _invalid(
        "momentum", st.floats(min_value=1.0, exclude_min=True) | NEGATIVE, ValueError
    ),  # fmt: skip
    _invalid("batch_size", st.integers(max_value=0), ValueError),
    _invalid("batch_size", WORDS.filter(lambda s: s != "auto"), ValueError),
    _invalid("beta_1", st.floats(min_value=1.0) | NEGATIVE, ValueError),
    _invalid("beta_2", st.floats(min_value=1.0) | NEGATIVE, ValueError),
    _invalid("epsilon", NOT_POSITIVE, ValueError),
    _invalid("tol", NEGATIVE | NAN, ValueError),
    _invalid("max_iter", st.integers(max_value=0), ValueError),
    _invalid("max_iter", st.floats(allow_nan=False) | st.booleans(), TypeError),
    _invalid("n_iter_no_change", st.integers(max_value=0), ValueError),
    _invalid("shuffle", st.integers() | WORDS, TypeError),
    _invalid("warm_start", st.integers() | WORDS, TypeError),
    _invalid(
        "random_state",
        st.integers(max_value=-1) | st.integers(min_value=2**32),
        ValueError,
    ),  # fmt: skip
]
INVALID = {
    SigmoidMLPClassifier: st.one_of(
        *SHARED_INVALID,
        _invalid("solver", _not_one_of("adam", "sgd", "lbfgs"), ValueError),
        _invalid(
            "hidden_layer_sizes",
            st.lists(st.integers(-3, 5), min_size=1, max_size=3)
            .filter(lambda sizes: min(sizes) < 1)
            .map(tuple),
            ValueError,
        ),
        _invalid("loss", _not_one_of("squared_error", "log_loss"), ValueError),
        _invalid(
            "learning_rate",
            _not_one_of("constant", "invscaling", "adaptive"),
            ValueError,
        ),  # fmt: skip
        _invalid("power_t", NEGATIVE, ValueError),
        _invalid(
            "validation_fraction", NOT_POSITIVE | st.floats(min_value=1.0), ValueError
        ),  # fmt: skip
    ),
    OneVsRestLogistic: st.one_of(
        *SHARED_INVALID,
        _invalid("solver", _not_one_of("gd", "adam", "lbfgs"), ValueError),
    ),
}


@pytest.fixture(scope="module")
def fitted():
    """One fitted estimator of each class, its pickle and its probabilities."""
    X, y = random_data(0, n_samples=60)
    models = {}
    for Estimator in ESTIMATORS:
        est = small_estimator(Estimator, random_state=0, max_iter=5, batch_size=16)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
        models[Estimator] = (est, pickle.dumps(est), est.predict_proba(X))
    return X, y, models


@settings(FAST, max_examples=60)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@given(data=st.data())
def test_failed_fit_after_set_params_changes_nothing(fitted, Estimator, data):
    X, y, models = fitted
    original, pickled, proba = models[Estimator]
    name, value, error = data.draw(INVALID[Estimator], label="invalid parameter")
    est = copy.deepcopy(original)
    good = est.get_params()[name]
    est.set_params(**{name: value})
    methods = ["fit"] + (["partial_fit"] if hasattr(est, "partial_fit") else [])
    for method in methods:
        with pytest.raises(error, match=rf"'{name}' parameter of {Estimator.__name__}"):
            getattr(est, method)(X, y)
    assert_array_equal(est.predict_proba(X), proba)
    # Every attribute, private optimizer state included, is as it was.
    est.set_params(**{name: good})
    assert pickle.dumps(est) == pickled


# ---------------------------------------------------------------------------------
# Divergence and huge inputs


def assert_distributions(P, dtype, n_classes):
    """Rows of finite probabilities in [0, 1] that sum to 1."""
    assert P.dtype == dtype and P.shape[1] == n_classes
    assert np.all(np.isfinite(P))
    assert np.all((P >= 0) & (P <= 1))
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    assert_allclose(P.sum(axis=1), 1, rtol=rtol)


DIVERGING = [
    (SigmoidMLPClassifier, "sgd"),
    (SigmoidMLPClassifier, "adam"),
    (OneVsRestLogistic, "gd"),
    (OneVsRestLogistic, "adam"),
]


@settings(FAST, max_examples=80)
@given(
    case=st.sampled_from(DIVERGING),
    log_rate=st.floats(2, 40),
    log_scale=st.floats(0, 30),
    dtype=st.sampled_from([np.float32, np.float64]),
    n_classes=st.integers(2, 3),
    seed=st.integers(0, 2**16),
)
def test_too_large_steps_end_in_error_or_finite_model(
    case, log_rate, log_scale, dtype, n_classes, seed
):
    Estimator, solver = case
    X, y = random_data(seed, n_classes=n_classes)
    X = (X * 10.0**log_scale).astype(dtype)
    est = small_estimator(
        Estimator, solver=solver, learning_rate_init=10.0**log_rate, max_iter=4,
        batch_size=16, random_state=seed,
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(X, y)
        except ValueError as exc:
            event("diverged in the first epoch: error")
            assert "diverged" in str(exc)
            assert "learning_rate_init" in str(exc)
            assert not hasattr(est, "classes_")  # nothing half-fitted is left
            return
    diverged = any("diverged" in str(w.message) for w in caught)
    event("diverged later: warning" if diverged else "no divergence")
    kinds = {w.category for w in caught}
    assert kinds <= {ConvergenceWarning}, kinds  # no NumPy overflow warnings
    for p in parameters(est):
        assert p.dtype == dtype and np.all(np.isfinite(p))
    P = est.predict_proba(X)
    assert_distributions(P, dtype, n_classes)
    assert_predicts_a_most_probable_class(est, est.predict(X), P)


@pytest.fixture(scope="module")
def trained():
    """Estimators fitted normally on [0, 1] data, by estimator and dtype."""
    X, y = random_data(1, n_samples=60, n_classes=3)
    models = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for Estimator in ESTIMATORS:
            for dtype in (np.float32, np.float64):
                est = small_estimator(Estimator, random_state=0, max_iter=50)
                models[Estimator, dtype] = est.fit(X.astype(dtype), y)
    return models


def assert_predicts_a_most_probable_class(est, predicted, P):
    """Each predicted class has its row's largest probability (saturated output units
    tie there; ``predict`` decides between them by z[L])."""
    index = np.searchsorted(est.classes_, predicted)
    assert_array_equal(P[np.arange(len(P)), index], P.max(axis=1))


def overflow_warnings(caught):
    return [w for w in caught if issubclass(w.category, RuntimeWarning)]


def predict_quietly(est, X):
    """``predict_proba(X)``, after checking that it and ``predict(X)`` emit no NumPy
    warning and that ``predict`` picks a most probable class."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        P = est.predict_proba(X)
        predicted = est.predict(X)
    assert not overflow_warnings(caught), [str(w.message) for w in caught]
    assert_predicts_a_most_probable_class(est, predicted, P)
    return P


@FAST
@given(
    Estimator=st.sampled_from(ESTIMATORS),
    dtype=st.sampled_from([np.float32, np.float64]),
    log_magnitude=st.floats(0, 30),
    sparse=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_huge_inputs_at_predict_give_finite_probabilities_quietly(
    trained, Estimator, dtype, log_magnitude, sparse, seed
):
    est = trained[Estimator, dtype]
    signs = np.random.default_rng(seed).choice([-1.0, 0.0, 1.0], size=(30, 4))
    X = (signs * 10.0**log_magnitude).astype(dtype)
    if sparse:
        X = sp.csr_matrix(X)
    assert_distributions(predict_quietly(est, X), dtype, 3)


def opposite_weights_model(Estimator, dtype, scale=1.0, **params):
    """A model of y = (x0 > x1): the weights of x0 and x1 have opposite signs."""
    X = np.random.default_rng(0).random((40, 2))
    y = (X[:, 0] > X[:, 1]).astype(int)
    if Estimator is SigmoidMLPClassifier:
        params = {"hidden_layer_sizes": (4,), "solver": "lbfgs", **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = Estimator(random_state=0, **params).fit((X * scale).astype(dtype), y)
    return est, X


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inputs_near_the_largest_float_give_finite_probabilities(Estimator, dtype):
    est, _ = opposite_weights_model(Estimator, dtype)
    X = sp.csr_matrix(np.full((3, 2), np.finfo(dtype).max / 2, dtype))
    P = predict_quietly(est, X)
    assert np.all(np.isfinite(P))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_inputs_at_the_largest_float_of_both_signs_predict_quietly(Estimator):
    # scikit-learn's finiteness check sums X first: max + (-max) overflows.
    est, _ = opposite_weights_model(Estimator, np.float64)
    big = np.finfo(np.float64).max
    X = np.array([[big, big], [-big, -big], [big, -big]] * 10)
    P = predict_quietly(est, X)
    assert np.all(np.isfinite(P))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_adam_on_inputs_of_1e300_warns_of_divergence_only(Estimator):
    # Adam squares gradients of 1e300: the infinite moment is divergence, reported
    # once as such, not also as a NumPy overflow.
    X, y = random_data(0, n_classes=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            small_estimator(Estimator, solver="adam", max_iter=3).fit(X * 1e300, y)
        except ValueError as exc:
            assert "diverged in epoch 1" in str(exc)
    assert not overflow_warnings(caught), [str(w.message) for w in caught]


def test_inputs_of_1e30_after_a_wild_fit_give_finite_probabilities():
    est, X = opposite_weights_model(
        OneVsRestLogistic, np.float32, scale=1e15, learning_rate_init=100.0, max_iter=5
    )
    assert np.abs(est.coef_).min() > 1e10  # finite, but huge
    X_huge = sp.csr_matrix((X * 1e30).astype(np.float32))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        P = est.predict_proba(X_huge)
    assert np.all(np.isfinite(P))
    assert not overflow_warnings(caught), [str(w.message) for w in caught]


def test_overflow_at_predict_is_not_a_flood_of_warnings():
    est, X = opposite_weights_model(OneVsRestLogistic, np.float64)
    X_huge = np.resize(X[:, :1], (5000, 2)) * 1e308
    X_huge[:, 1] = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.predict_proba(X_huge)
    assert not overflow_warnings(caught), [str(w.message) for w in caught]


# ---------------------------------------------------------------------------------
# Determinism


DETERMINISM_CASES = [
    SigmoidMLPClassifier(hidden_layer_sizes=(20,), batch_size=128, max_iter=4),
    SigmoidMLPClassifier(
        hidden_layer_sizes=(12, 8), solver="sgd", max_iter=4, early_stopping=True
    ),  # fmt: skip
    SigmoidMLPClassifier(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=10),
    OneVsRestLogistic(batch_size=100, max_iter=4),
    OneVsRestLogistic(solver="adam", batch_size=None, max_iter=4),
]


@pytest.mark.parametrize("float32", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("estimator", DETERMINISM_CASES, ids=repr)
def test_same_random_state_gives_bit_identical_fits(digits, estimator, sparse, float32):
    X, y = digits
    X = X[:400].astype(np.float32 if float32 else np.float64)
    X = sp.csr_matrix(X) if sparse else X
    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(2):
            fits.append(clone(estimator).set_params(random_state=7).fit(X, y[:400]))
    assert_same_parameters(*fits)
    assert fits[0].loss_curve_ == fits[1].loss_curve_


def parameters_close(a, b, rtol, atol):
    for x, y in zip(parameters(a), parameters(b)):
        assert x.dtype == y.dtype
        assert_allclose(x, y, rtol=rtol, atol=atol)


def test_a_fit_on_one_blas_thread_follows_the_fit_on_all(digits):
    # One BLAS thread or the machine's all: a product's sums may be cut otherwise,
    # so the weights differ by rounding, which a few steps of training carry on.
    X, y = digits
    est = SigmoidMLPClassifier(hidden_layer_sizes=(20,), batch_size=256, max_iter=3,
                               random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with threadpool_limits(1, user_api="blas"):
            one = clone(est).fit(X, y)
        every = clone(est).fit(X, y)
    parameters_close(one, every, rtol=1e-6, atol=1e-9)
    assert_array_equal(one.predict(X), every.predict(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prediction_on_one_blas_thread_is_that_on_all_to_rounding(
    digits, Estimator, dtype
):
    X, y = digits
    X = np.tile(X, (3, 1)).astype(dtype)  # products large enough for two threads
    y = np.tile(y, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Estimator(random_state=0, max_iter=5).fit(X, y)
    with threadpool_limits(1, user_api="blas"):
        one = est.predict_proba(X)
    every = est.predict_proba(X)
    eps = np.finfo(dtype).eps
    assert_allclose(one, every, rtol=0, atol=64 * eps)
    assert_array_equal(est.predict(X), est.classes_[np.argmax(every, axis=1)])


def grid_search(X, y, n_jobs):
    search = GridSearchCV(
        SigmoidMLPClassifier(solver="adam", batch_size=128, max_iter=8, random_state=0),
        {"hidden_layer_sizes": [(8,), (16,)], "learning_rate_init": [0.003, 0.03]},
        cv=3,
        n_jobs=n_jobs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return search.fit(X, y)


def test_grid_search_in_two_processes_picks_what_one_process_picks(digits):
    # The workers of n_jobs=2 run with one BLAS thread each (joblib's limit), the
    # main process with all: the scores agree to rounding, the choice is the same.
    X, y = digits[0][:600], digits[1][:600]
    serial, parallel = grid_search(X, y, 1), grid_search(X, y, 2)
    scores = serial.cv_results_["mean_test_score"]
    assert np.ptp(scores) > 0.05  # the candidates differ, so the choice means much
    assert_allclose(parallel.cv_results_["mean_test_score"], scores, atol=0.01)
    assert parallel.best_params_ == serial.best_params_
    parameters_close(
        parallel.best_estimator_, serial.best_estimator_, rtol=1e-4, atol=1e-6
    )


def test_grid_search_on_threads_scores_as_one_thread(digits):
    # joblib's "threading" backend fits in threads other than the main one, side by
    # side (log-loss scores show the last bits of the probabilities).
    X, y = digits[0][:600], digits[1][:600]

    def search(n_jobs):
        est = SigmoidMLPClassifier((400,), batch_size=400, max_iter=3, random_state=0)
        grid = GridSearchCV(
            est, {"alpha": [1e-4, 1e-3]}, cv=3, n_jobs=n_jobs, scoring="neg_log_loss"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return grid.fit(X, y)

    serial = search(1)
    with joblib.parallel_config(backend="threading"):
        threaded = search(2)
    for key in ("split0_test_score", "split1_test_score", "split2_test_score"):
        assert_allclose(threaded.cv_results_[key], serial.cv_results_[key], rtol=1e-5)


def fit_and_return_parameters(seed, X, y):
    """Fit a small network in whatever process runs this; return its parameters."""
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(16,), batch_size=128, max_iter=5, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return parameters(est.fit(X, y))


def test_fit_in_joblib_worker_follows_fit_in_main_process(digits):
    X, y = digits[0][:600], digits[1][:600]
    seeds = range(4)
    in_workers = Parallel(n_jobs=2)(
        delayed(fit_and_return_parameters)(seed, X, y) for seed in seeds
    )
    for seed, worker_parameters in zip(seeds, in_workers):
        here = fit_and_return_parameters(seed, X, y)
        assert len(here) == len(worker_parameters)
        for a, b in zip(here, worker_parameters):
            assert_allclose(a, b, rtol=1e-5, atol=1e-8)


def blas_threads():
    return sorted(
        (info["filepath"], info["num_threads"])
        for info in threadpool_info()
        if info["user_api"] == "blas"
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_predict_proba_from_eight_threads_at_once(digits, Estimator):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Estimator(random_state=0, max_iter=5).fit(X, y)
    X_many = np.tile(X, (3, 1))  # 5391 rows: two prediction chunks
    expected = est.predict_proba(X_many)
    limits = blas_threads()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: est.predict_proba(X_many), range(32)))
    for result in results:
        assert_allclose(result, expected, rtol=0, atol=1e-12)
    assert blas_threads() == limits


def test_fits_in_four_threads_at_once_follow_sequential_fits(digits):
    X, y = digits
    estimators = [
        SigmoidMLPClassifier(
            hidden_layer_sizes=(16,), batch_size=128, max_iter=3, random_state=seed
        )  # fmt: skip
        for seed in range(4)
    ]
    limits = blas_threads()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        expected = [clone(est).fit(X, y) for est in estimators]
        with ThreadPoolExecutor(4) as pool:
            concurrent = list(pool.map(lambda est: clone(est).fit(X, y), estimators))
    for a, b in zip(expected, concurrent):
        parameters_close(a, b, rtol=1e-6, atol=1e-9)
    assert blas_threads() == limits


# ---------------------------------------------------------------------------------
# Process-wide state: the BLAS thread limits are the caller's, before, during and
# after every call, whatever ends it.


def on_step(monkeypatch, hook):
    """Call ``hook(i)`` before the i-th training step (from 1) of every fit."""
    original, calls = training.train_step, {"n": 0}

    def step(*args, **kwargs):
        calls["n"] += 1
        hook(calls["n"])
        return original(*args, **kwargs)

    monkeypatch.setattr(training, "train_step", step)


def small_fit(X, y, **params):
    est = SigmoidMLPClassifier(
        (16,), solver="adam", batch_size=64, max_iter=2, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.set_params(**params).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_partial_fit_and_predict_leave_the_blas_limits_alone(
    digits, Estimator, monkeypatch
):
    X, y = digits
    limits = blas_threads()
    seen = []
    on_step(monkeypatch, lambda i: seen.append(blas_threads()))
    est = Estimator(batch_size=64, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        est.partial_fit(X, y)
    est.predict_proba(X)
    with pytest.raises(ValueError):
        est.fit(X, y[:10])
    with pytest.raises(ValueError):
        est.predict(np.full_like(X, np.nan))
    assert seen and all(during == limits for during in seen)
    assert blas_threads() == limits


def test_a_callers_limits_set_in_another_thread_while_a_fit_runs(digits, monkeypatch):
    # Another thread takes one BLAS thread while the fit runs and ends its block
    # before the fit ends: the fit runs under the caller's limit while it holds,
    # and the limits are those of before once both have ended.
    X, y = digits
    limits = blas_threads()
    entered, leave, left = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def caller():
        with threadpool_limits(1, user_api="blas"):
            entered.set()
            leave.wait(60)
        left.set()

    def hook(i):
        if i == 2:
            threading.Thread(target=caller).start()
            assert entered.wait(60)
            seen["inside"] = {n for _, n in blas_threads()}
            leave.set()
            assert left.wait(60)

    on_step(monkeypatch, hook)
    small_fit(X, y)
    assert seen["inside"] == {1}
    assert blas_threads() == limits


@pytest.mark.parametrize("where", ["fit", "partial_fit", "predict"])
def test_ctrl_c_leaves_the_blas_limits_and_the_model(digits, where, monkeypatch):
    X, y = digits
    est = small_fit(X, y)
    before, proba = copy.deepcopy(est.coefs_), est.predict_proba(X)
    limits = blas_threads()

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    if where == "predict":
        monkeypatch.setattr(training, "forward", interrupt)
    else:
        on_step(monkeypatch, lambda i: i == 3 and interrupt())
    with pytest.raises(KeyboardInterrupt):
        if where == "predict":
            est.predict_proba(X)
        else:
            getattr(est, where)(X, y)
    assert blas_threads() == limits
    monkeypatch.undo()
    for a, b in zip(est.coefs_, before):
        assert_array_equal(a, b)
    assert_array_equal(est.predict_proba(X), proba)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_a_process_forked_from_a_fitting_thread_works(digits, monkeypatch):
    # A fit in a thread of its own forks (a callback might) at several steps: each
    # child has the limits of before and fits and predicts, within a minute.
    X, y = digits
    limits = blas_threads()
    parent, children = os.getpid(), []

    def child():
        try:
            ok = blas_threads() == limits
            P = small_fit(X, y, max_iter=1).predict_proba(X)
            ok = ok and np.allclose(P.sum(axis=1), 1) and blas_threads() == limits
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)

    def hook(i):
        if os.getpid() == parent and i % 5 == 0 and len(children) < 6:
            pid = os.fork()
            if pid == 0:
                child()
            children.append(pid)

    on_step(monkeypatch, hook)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(small_fit, X, y, max_iter=1).result()
    monkeypatch.undo()
    statuses = []
    for pid in children:
        deadline = time.monotonic() + 60
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                statuses.append(os.waitstatus_to_exitcode(status))
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                statuses.append("hung")
                break
            time.sleep(0.05)
    assert statuses == [0] * len(children) and children
    assert blas_threads() == limits


# ---------------------------------------------------------------------------------
# Properties on small random data sets


@st.composite
def data_sets(draw, max_classes=4):
    """(X, y): 10 to 60 samples, 1 to 8 features in [0, 1], 2 to 4 classes."""
    n_samples = draw(st.integers(10, 60))
    n_features = draw(st.integers(1, 8))
    n_classes = draw(st.integers(2, max_classes))
    seed = draw(st.integers(0, 2**32 - 1))
    if draw(st.booleans()):
        X, y = random_data(seed, n_samples, n_features, n_classes)
    else:  # values from hypothesis itself: repeated values, zeros, ones, subnormals
        values = st.floats(0, 1, allow_subnormal=True)
        X = np.array(draw(st.lists(values, min_size=n_samples * n_features,
                                   max_size=n_samples * n_features)))  # fmt: skip
        X = X.reshape(n_samples, n_features)
        y = np.random.default_rng(seed).permutation(np.arange(n_samples) % n_classes)
    return X, y


@FAST
@given(
    data=data_sets(),
    Estimator=st.sampled_from(ESTIMATORS),
    solver_index=st.integers(0, 2),
    dtype=st.sampled_from([np.float32, np.float64]),
    batch_size=st.sampled_from(["auto", None, 7]),
    sparse=st.booleans(),
)
def test_probabilities_are_distributions_that_agree_with_predict(
    data, Estimator, solver_index, dtype, batch_size, sparse
):
    X, y = data
    X = X.astype(dtype)
    est = small_estimator(
        Estimator, solver=SOLVERS[Estimator][solver_index], batch_size=batch_size,
        max_iter=5, random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(sp.csr_matrix(X) if sparse else X, y)
    P = est.predict_proba(X)
    assert_distributions(P, dtype, len(np.unique(y)))
    predicted = est.predict(X)
    assert_array_equal(predicted, est.classes_[np.argmax(P, axis=1)])
    assert set(predicted) <= set(y)


@FAST
@given(
    data=data_sets(),
    Estimator=st.sampled_from(ESTIMATORS),
    learning_rate=st.floats(0.01, 1.0),
    seed=st.integers(0, 2**16),
)
def test_row_order_changes_full_batch_weights_only_by_rounding(
    data, Estimator, learning_rate, seed
):
    X, y = data
    order = np.random.default_rng(seed).permutation(len(y))
    fits = []
    for rows in (slice(None), order):
        est = small_estimator(
            Estimator, solver=GRADIENT_DESCENT[Estimator], batch_size=None,
            shuffle=False, learning_rate_init=learning_rate, max_iter=5,
            random_state=0,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits.append(est.fit(X[rows], y[rows]))
    for a, b in zip(parameters(fits[0]), parameters(fits[1])):
        assert_allclose(a, b, rtol=1e-6, atol=1e-12)


@FAST
@given(
    data=data_sets(),
    Estimator=st.sampled_from(ESTIMATORS),
    learning_rate=st.floats(0.01, 1.0),
    max_iter=st.integers(1, 5),
)
def test_float32_fit_follows_float64_fit(data, Estimator, learning_rate, max_iter):
    X, y = data
    X32 = X.astype(np.float32)
    fits = []
    for X_fit in (X32, X32.astype(np.float64)):
        est = small_estimator(
            Estimator, solver=GRADIENT_DESCENT[Estimator], batch_size=None,
            shuffle=False, learning_rate_init=learning_rate, max_iter=max_iter,
            random_state=0,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits.append(est.fit(X_fit, y))
    for a, b in zip(parameters(fits[0]), parameters(fits[1])):
        assert a.dtype == np.float32 and b.dtype == np.float64
        assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    assert_allclose(
        fits[0].predict_proba(X32), fits[1].predict_proba(X32), rtol=2e-5, atol=2e-6
    )
