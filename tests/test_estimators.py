"""What users rely on from both estimators: pipelines, search, persistence, determinism,
continued training, dtypes, sparse input, parameter checks and failed calls."""

import copy
import pickle
import re
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.base import clone
from sklearn.datasets import (
    load_digits,
    make_blobs,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.class_weight import compute_sample_weight

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier, _base

ESTIMATORS = [SigmoidMLPClassifier, OneVsRestLogistic]


def by_epochs(Estimator, **params):
    """``Estimator(**params)`` trained by gradient descent, epoch by epoch: for
    SigmoidMLPClassifier, whose solver="auto" trains small data with L-BFGS, Adam."""
    if Estimator is SigmoidMLPClassifier:
        params.setdefault("solver", "adam")
    return Estimator(**params)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def small():
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return MinMaxScaler().fit_transform(X), y


def weights(est):
    """Every fitted parameter array of an estimator."""
    if isinstance(est, SigmoidMLPClassifier):
        return est.coefs_ + est.intercepts_
    return [est.coef_, est.intercept_]


pytestmark = pytest.mark.usefixtures("quiet_convergence")


@pytest.mark.parametrize(
    "estimator, minimum", [(SigmoidMLPClassifier(), 0.95), (OneVsRestLogistic(), 0.93)]
)
def test_default_pipeline_on_digits(digits, estimator, minimum):
    X_train, X_test, y_train, y_test = digits
    model = make_pipeline(MinMaxScaler(), clone(estimator).set_params(random_state=0))
    assert model.fit(X_train, y_train).score(X_test, y_test) >= minimum


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_predict_proba_sums_to_one_and_agrees_with_predict(digits, Estimator):
    X_train, X_test, y_train, _ = digits
    model = make_pipeline(MinMaxScaler(), Estimator(random_state=0))
    model.fit(X_train, y_train)
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    assert np.all(proba >= 0) and np.all(np.isfinite(proba))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X_test))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_predict_is_the_largest_output_pre_activation_even_when_saturated(
    Estimator, dtype, n_classes
):
    # Output weights 500 times larger, and inputs off the training range, saturate
    # several output units at once: their activations (and probabilities) are equal,
    # and only z[L] tells them apart.
    X, y = make_blobs(300, n_features=4, centers=n_classes, random_state=0)
    X = MinMaxScaler().fit_transform(X).astype(dtype)
    est = Estimator(random_state=0, max_iter=20).fit(X, y)
    X = np.random.default_rng(0).uniform(-1, 2, X.shape).astype(dtype)
    if Estimator is SigmoidMLPClassifier:
        est.coefs_[-1] *= 500
        est.intercepts_[-1] *= 500
        Z = est.forward(X)[-2] @ est.coefs_[-1] + est.intercepts_[-1]
    else:
        est.coef_ *= 500
        est.intercept_ *= 500
        Z = est.decision_function(X).reshape(len(X), -1)
    expected = (Z[:, 0] > 0).astype(int) if n_classes == 2 else Z.argmax(axis=1)
    proba = est.predict_proba(X)
    if n_classes > 2:  # some rows do tie
        assert np.sum((proba == proba.max(axis=1, keepdims=True)).sum(axis=1) > 1)
    assert_array_equal(est.predict(X), est.classes_[expected])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_predict_log_proba_is_the_finite_log_of_predict_proba(
    Estimator, dtype, n_classes
):
    X, y = make_classification(
        n_samples=90, n_features=5, n_informative=3, n_classes=n_classes,
        random_state=0,
    )  # fmt: skip
    X = MinMaxScaler().fit_transform(X).astype(dtype)
    est = Estimator(random_state=0, max_iter=30).fit(X, y)
    if isinstance(est, SigmoidMLPClassifier):
        est.coefs_[-1] *= dtype(1e4)  # so that the output units saturate too
    # Huge inputs drive the output units to the ends of their range: the smallest
    # probabilities are then as small as they get, and still not 0.
    for inputs in (X, X * dtype(1e6), X * dtype(-1e6)):
        log_proba = est.predict_log_proba(inputs)
        assert log_proba.dtype == dtype and log_proba.shape == (len(X), n_classes)
        assert np.all(np.isfinite(log_proba))
        rtol = 1e-6 if dtype == np.float32 else 1e-12
        assert_allclose(np.exp(log_proba), est.predict_proba(inputs), rtol=rtol)


def test_grid_search_over_hidden_layer_sizes(digits):
    X_train, X_test, y_train, y_test = digits
    search = GridSearchCV(
        make_pipeline(MinMaxScaler(), SigmoidMLPClassifier(random_state=0)),
        {"sigmoidmlpclassifier__hidden_layer_sizes": [(5,), (50,)]},
        cv=3,
        n_jobs=2,
    )
    search.fit(X_train, y_train)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 2 and np.all(np.isfinite(scores))
    # Five hidden units are too few for ten digits: the search must see that.
    assert search.best_params_ == {"sigmoidmlpclassifier__hidden_layer_sizes": (50,)}
    assert search.score(X_test, y_test) >= 0.93


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_joblib_and_pickle_round_trip(tmp_path, small, Estimator):
    X, y = small
    est = Estimator(random_state=0).fit(X, y)
    joblib.dump(est, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_same_random_state_gives_bit_identical_weights(small, Estimator):
    X, y = small
    first = weights(Estimator(random_state=3, max_iter=20).fit(X, y))
    second = weights(Estimator(random_state=3, max_iter=20).fit(X, y))
    for a, b in zip(first, second):
        assert_array_equal(a, b)


def test_different_random_states_give_different_weights(small):
    X, y = small
    a = SigmoidMLPClassifier(random_state=1, max_iter=5).fit(X, y).coefs_[0]
    b = SigmoidMLPClassifier(random_state=2, max_iter=5).fit(X, y).coefs_[0]
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_continues_training(small, Estimator):
    X, y = small
    est = Estimator(random_state=0)
    est.partial_fit(X, y, classes=np.unique(y))
    assert est.n_iter_ == 1 and est.t_ == len(X)
    before = [p.copy() for p in weights(est)]
    for _ in range(30):
        est.partial_fit(X, y)
    assert est.n_iter_ == 31 and est.t_ == 31 * len(X)
    assert len(est.loss_curve_) == 31
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    assert any(not np.array_equal(a, b) for a, b in zip(before, weights(est)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_equals_fit_epoch_by_epoch(small, Estimator):
    # Without shuffling, k calls of partial_fit are k epochs of fit (same optimizer
    # state carried over), so they end at the same weights.
    X, y = small
    fitted = by_epochs(Estimator, random_state=0, shuffle=False, max_iter=5, tol=0).fit(
        X, y
    )
    streamed = by_epochs(Estimator, random_state=0, shuffle=False)
    for _ in range(5):
        streamed.partial_fit(X, y, classes=np.unique(y))
    for a, b in zip(weights(fitted), weights(streamed)):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_needs_classes_first_and_rejects_unseen_labels(small, Estimator):
    X, y = small
    est = Estimator()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        est.partial_fit(X, y)
    est.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])  # a chunk missing a class
    assert_array_equal(est.classes_, [0, 1, 2])
    est.partial_fit(X, y, classes=[0, 1, 2])  # classes again on a later call
    with pytest.raises(ValueError, match="differs from the classes"):
        est.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"labels not in classes.*\[7\]"):
        est.partial_fit(X, np.where(y == 0, 7, y))
    with pytest.raises(ValueError, match=r"labels not in classes.*: \[3, 9, 10\]\."):
        est.partial_fit(X, np.array([10, 3, 9])[y])  # named in order


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_continues_from_fitted_weights(small, Estimator):
    X, y = small
    est = by_epochs(Estimator, random_state=0, max_iter=5, warm_start=True).fit(X, y)
    first_loss = est.loss_curve_[-1]
    est.fit(X, y)
    assert est.n_iter_ == 10 and len(est.loss_curve_) == 10
    assert est.loss_curve_[-1] < first_loss
    cold = by_epochs(Estimator, random_state=0, max_iter=5).fit(X, y)
    cold.fit(X, y)  # without warm_start, the second fit starts again
    assert cold.n_iter_ == 5


def test_warm_start_with_changed_architecture_is_refused(small):
    X, y = small
    est = SigmoidMLPClassifier(hidden_layer_sizes=(4,), warm_start=True, max_iter=2)
    est.fit(X, y)
    est.set_params(hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match="layer sizes.*Set warm_start=False"):
        est.fit(X, y)
    assert est.coefs_[0].shape == (6, 4)


def test_partial_fit_with_changed_architecture_says_to_call_fit(small):
    X, y = small
    est = SigmoidMLPClassifier(hidden_layer_sizes=(4,)).partial_fit(
        X, y, classes=np.unique(y)
    )
    est.set_params(hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match="layer sizes.*Call fit") as excinfo:
        est.partial_fit(X, y)
    assert "warm_start" not in str(excinfo.value)  # it has no effect on partial_fit
    assert est.coefs_[0].shape == (6, 4)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver_kw", [{}, {"solver": "lbfgs"}, {"batch_size": None}])
def test_float32_in_float32_throughout(small, Estimator, solver_kw):
    X, y = small
    est = Estimator(random_state=0, max_iter=5, **solver_kw).fit(
        X.astype(np.float32), y
    )
    assert all(p.dtype == np.float32 for p in weights(est))
    assert est.predict_proba(X.astype(np.float32)).dtype == np.float32
    # float64 data given to a float32 model is computed in float32 as well.
    assert est.predict_proba(X).dtype == np.float32


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_float32_of_either_byte_order_or_from_pandas_stays_float32(small, Estimator):
    X, y = small
    X32 = X.astype(np.float32)
    native = Estimator(random_state=0, max_iter=5).fit(X32, y)
    swapped = Estimator(random_state=0, max_iter=5).fit(X32.astype(">f4"), y)
    for a, b in zip(weights(native), weights(swapped)):
        assert a.dtype == b.dtype == np.float32
        assert_array_equal(a, b)
    assert native.predict_proba(X32.astype(">f4")).dtype == np.float32
    pd = pytest.importorskip("pandas", reason="pandas (the [test] extra) is missing")
    frame = pd.DataFrame(X32).astype("Float32")
    from_pandas = Estimator(random_state=0, max_iter=5).fit(frame, y)
    for a, b in zip(weights(native), weights(from_pandas)):
        assert_array_equal(a, b)


def _scrambled_csr(X):
    """X in CSR with each row's indices reversed and its first entry split in two
    halves (a duplicate): the same matrix, not in canonical format."""
    csr = sp.csr_matrix(X)
    rows, indices, data = [], [], []
    for i in range(csr.shape[0]):
        cols = csr.indices[csr.indptr[i] : csr.indptr[i + 1]][::-1]
        values = csr.data[csr.indptr[i] : csr.indptr[i + 1]][::-1]
        cols, values = (
            np.r_[cols[:1], cols],
            np.r_[values[:1] / 2, values[:1] / 2, values[1:]],
        )
        rows += [i] * len(cols)
        indices.append(cols)
        data.append(values)
    scrambled = sp.csr_matrix(
        (
            np.concatenate(data),
            np.concatenate(indices),
            np.r_[0, np.cumsum(np.bincount(rows, minlength=csr.shape[0]))],
        ),
        shape=csr.shape,
    )
    assert not scrambled.has_canonical_format
    return scrambled


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("params", [{"batch_size": None}, {"solver": "lbfgs"}])
@pytest.mark.parametrize("n_features", [6, 64])
def test_the_layout_of_X_does_not_change_a_bit(small, Estimator, params, n_features):
    # Full batches, L-BFGS and prediction read X as it is (mini-batches are copied
    # row by row): F order and unsorted sparse indices changed the order of the
    # sums, and the last bits of the results (which sums, depends on the shapes).
    if n_features == 6:
        X, y = small
        X, y = np.repeat(X, 30, axis=0), np.repeat(y, 30)
    else:
        X, y = load_digits(return_X_y=True)
        X, y = X[:300] / 16, y[:300]
    kw = dict(random_state=0, max_iter=10, **params)
    if Estimator is SigmoidMLPClassifier:
        kw["hidden_layer_sizes"] = (10,)
    reference = Estimator(**kw).fit(X, y)
    f_ordered = Estimator(**kw).fit(np.asfortranarray(X), y)
    for a, b in zip(weights(reference), weights(f_ordered)):
        assert_array_equal(a, b)
    P = reference.predict_proba(X)
    assert_array_equal(reference.predict_proba(np.asfortranarray(X)), P)
    if Estimator is SigmoidMLPClassifier:
        for a, b in zip(reference.forward(X), reference.forward(np.asfortranarray(X))):
            assert_array_equal(a, b)
    sparse = Estimator(**kw).fit(sp.csr_matrix(X), y)
    scrambled = _scrambled_csr(X)
    for a, b in zip(weights(sparse), weights(Estimator(**kw).fit(scrambled, y))):
        assert_array_equal(a, b)
    assert_array_equal(
        sparse.predict_proba(scrambled), sparse.predict_proba(sp.csr_matrix(X))
    )
    if Estimator is SigmoidMLPClassifier:
        canonical, given = sparse.forward(sp.csr_matrix(X)), sparse.forward(scrambled)
        for a, b in zip(canonical[1:], given[1:]):
            assert_array_equal(a, b)
    assert not scrambled.has_canonical_format  # the caller's matrix, as given


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_float64_stays_float64(small, Estimator):
    X, y = small
    est = Estimator(random_state=0, max_iter=5).fit(X, y)
    assert all(p.dtype == np.float64 for p in weights(est))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_input_matches_dense(small, Estimator, container):
    X, y = small
    dense = by_epochs(Estimator, random_state=0, max_iter=10).fit(X, y)
    sparse = by_epochs(Estimator, random_state=0, max_iter=10).fit(container(X), y)
    for a, b in zip(weights(dense), weights(sparse)):
        assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert_allclose(sparse.predict_proba(container(X)), dense.predict_proba(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_any_labels(small, Estimator):
    X, y = small
    names = np.array(["cat", "dog", "emu"])[y]
    est = Estimator(random_state=0).fit(X, names)
    assert_array_equal(est.classes_, ["cat", "dog", "emu"])
    # The same model as with labels 0, 1, 2 (sorted alike), under its names.
    by_number = Estimator(random_state=0).fit(X, y)
    assert_array_equal(est.predict(X), est.classes_[by_number.predict(X)])
    assert_array_equal(est.predict_proba(X), by_number.predict_proba(X))
    gappy = np.array([-5, 10, 1000])[y]
    est = Estimator(random_state=0).fit(X, gappy)
    assert_array_equal(est.classes_, [-5, 10, 1000])
    assert np.mean(est.predict(X) == gappy) > 0.6


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_two_classes_use_one_output(Estimator):
    X, y = make_blobs(n_samples=100, centers=2, cluster_std=1.0, random_state=0)
    X = MinMaxScaler().fit_transform(X)
    binary = np.where(y == 1, "yes", "no")
    est = Estimator(random_state=0).fit(X, binary)
    assert est.predict_proba(X).shape == (len(X), 2)
    assert (est.coefs_[-1] if hasattr(est, "coefs_") else est.coef_.T).shape[1] == 1
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.mean(est.predict(X) == binary) > 0.9


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sample_weight_zero_equals_dropping_samples(small, Estimator):
    # Full batch: a weight of zero removes a sample from J and from m exactly.
    X, y = small
    w = np.ones(len(X))
    w[::3] = 0
    kw = dict(batch_size=None, max_iter=30, random_state=0)
    weighted = Estimator(**kw).fit(X, y, sample_weight=w)
    dropped = Estimator(**kw).fit(X[w > 0], y[w > 0])
    for a, b in zip(weights(weighted), weights(dropped)):
        assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sample_weight_scale_does_not_matter(small, Estimator):
    # The data term of J is normalised by m = sum of the weights, so scaling all
    # weights changes nothing in it. (The penalty alpha/(2m) ||W||^2 does change with
    # m, as in scikit-learn, hence alpha=0 here.)
    X, y = small
    kw = dict(batch_size=None, max_iter=10, random_state=0, alpha=0.0)
    a = by_epochs(Estimator, **kw).fit(X, y, sample_weight=np.full(len(X), 3.0))
    b = by_epochs(Estimator, **kw).fit(X, y)
    for p, q in zip(weights(a), weights(b)):
        assert_allclose(p, q, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_unfitted_estimator_raises_not_fitted(small, Estimator):
    X, _ = small
    with pytest.raises(NotFittedError):
        Estimator().predict(X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_convergence_warning_names_the_remedy(small, Estimator):
    X, y = small
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="max_iter"):
            Estimator(max_iter=1, random_state=0).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_loss_that_rose_asks_for_a_smaller_learning_rate(small, Estimator):
    # Weights blown up but finite: no divergence to report, yet raising the rate,
    # the advice for a loss still falling, would be the wrong remedy.
    X, y = small
    est = Estimator(
        solver="sgd" if Estimator is SigmoidMLPClassifier else "gd",
        learning_rate_init=1e8, alpha=1e-2, max_iter=3, random_state=0,
    )  # fmt: skip
    with pytest.warns(ConvergenceWarning, match=r"The loss rose.*lower learning_rate"):
        est.fit(X, y)
    assert est.loss_curve_[-1] > est.loss_curve_[0]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_verbose_prints_the_loss(small, Estimator, capsys):
    X, y = small
    est = by_epochs(Estimator, max_iter=3, verbose=True, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "epoch 1/3",
        "epoch 2/3",
        "epoch 3/3",
    ]
    for line, loss in zip(lines, est.loss_curve_):
        assert re.fullmatch(
            r"epoch \d/3: loss (\d\.\d{8}), elapsed \d+\.\ds, left at most \S+", line
        )
        assert float(line.split()[3][:-1]) == pytest.approx(loss, abs=5e-9)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_has_no_partial_fit_and_records_losses(small, Estimator):
    X, y = small
    est = Estimator(solver="lbfgs", max_iter=50)
    assert not hasattr(est, "partial_fit")
    est.fit(X, y)
    assert len(est.loss_curve_) == est.n_iter_ <= 50
    # A line search accepts only steps that lower the loss: one value per iteration,
    # never rising.
    assert np.all(np.diff(est.loss_curve_) <= 0)
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    assert est.loss_ == est.loss_curve_[-1]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_says_which_budget_ran_out(small, Estimator):
    X, y = small
    est = Estimator(solver="lbfgs", max_iter=3)
    with pytest.warns(ConvergenceWarning, match=r"after 3 iterations .*max_iter \(it"):
        est.fit(X, y)
    est.set_params(warm_start=True)  # counted from this call, not from the first
    with pytest.warns(ConvergenceWarning, match=r"after 3 iterations .*max_iter \(it"):
        est.fit(X, y)
    if Estimator is SigmoidMLPClassifier:
        est = Estimator(solver="lbfgs", max_iter=200, max_fun=5)
        with pytest.warns(ConvergenceWarning, match=r"Increase max_fun \(it is 5\)"):
            est.fit(X, y)


def test_lbfgs_budget_of_one_vs_rest_is_a_convergence_warning(small, monkeypatch):
    # OneVsRestLogistic has no max_fun parameter: the warning must not ask for it.
    X, y = small
    monkeypatch.setattr(_base, "LBFGS_MAX_FUN", 5)
    est = OneVsRestLogistic(solver="lbfgs", max_iter=200)
    with pytest.warns(ConvergenceWarning, match="budget of 5 evaluations") as record:
        est.fit(X, y)
    assert not any("max_fun" in str(w.message) for w in record)
    assert est.n_iter_ < 200


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_verbose_prints_every_lbfgs_iteration(small, Estimator, capsys):
    X, y = small
    est = Estimator(solver="lbfgs", max_iter=3, verbose=True)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "iteration 1/3",
        "iteration 2/3",
        "iteration 3/3",
    ]
    assert float(lines[-1].split()[3][:-1]) == pytest.approx(est.loss_, abs=5e-9)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_failed_line_search_is_a_convergence_warning(small, Estimator):
    X, y = small
    with pytest.warns(ConvergenceWarning, match="ABNORMAL.*Scale the inputs"):
        Estimator(solver="lbfgs").fit(X * 1e30, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_without_a_finite_loss_raises_as_divergence_does(small, Estimator):
    # Inputs so large that the loss is NaN from the start: gradient descent raises
    # that training diverged in its first epoch; L-BFGS must not keep a model with
    # loss_ = nan either, nor spoil the one fitted before.
    X, y = small
    est = Estimator(solver="lbfgs", max_iter=5, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    before = pickle.dumps(est)
    with pytest.raises(ValueError, match="no finite loss.*Scale the inputs"):
        est.fit(X * 1e200, y)
    assert pickle.dumps(est) == before
    with pytest.raises(ValueError, match="no finite loss"):
        Estimator(solver="lbfgs").fit(X * 1e200, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_starts_an_optimizer_of_the_solver_it_is_given(small, Estimator):
    # After L-BFGS there is no optimizer state to continue; after a change of
    # solver, the old state belongs to another method.
    X, y = small
    gd = "sgd" if Estimator is SigmoidMLPClassifier else "gd"
    est = Estimator(solver="lbfgs", max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    est.set_params(solver=gd).partial_fit(X, y)
    assert type(est._optimizer).__name__ == "GradientDescent"
    assert est.n_iter_ == 6
    est.set_params(solver="adam", learning_rate_init=0.05).partial_fit(X, y)
    assert type(est._optimizer).__name__ == "Adam"
    assert est._optimizer.learning_rate_init == 0.05
    est.set_params(learning_rate_init=0.5).partial_fit(X, y)  # continued, as it was
    assert est._optimizer.learning_rate_init == 0.05
    assert est._optimizer.t > 1


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_class_weight_dict_equals_sample_weight(small, Estimator):
    X, y = small
    kw = dict(batch_size=None, max_iter=10, random_state=0)
    by_class = Estimator(class_weight={0: 3.0, 2: 0.5}, **kw).fit(X, y)
    by_sample = Estimator(**kw).fit(X, y, sample_weight=np.choose(y, [3.0, 1.0, 0.5]))
    for a, b in zip(weights(by_class), weights(by_sample)):
        assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_class_weight_balanced(small, Estimator):
    X, y = small
    X, y = X[y != 1][10:], y[y != 1][10:]  # unequal class counts
    kw = dict(batch_size=None, max_iter=10, random_state=0)
    balanced = Estimator(class_weight="balanced", **kw).fit(X, y)
    expected = compute_sample_weight("balanced", y)
    by_sample = Estimator(**kw).fit(X, y, sample_weight=expected)
    for a, b in zip(weights(balanced), weights(by_sample)):
        assert_allclose(a, b, rtol=1e-12)
    with pytest.raises(ValueError, match="not supported by partial_fit"):
        Estimator(class_weight="balanced").partial_fit(X, y, classes=[0, 2])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_class_weight_balanced_on_a_warm_fit_with_some_classes(small, Estimator):
    # As a fresh fit would: balanced over the classes this fit sees.
    X, y = small
    kw = dict(batch_size=None, max_iter=3, random_state=0)
    first = Estimator(**kw).fit(X, y)
    rows = (y != 1) & (np.arange(len(y)) >= 10)
    X2, y2 = X[rows], y[rows]
    balanced = copy.deepcopy(first).set_params(class_weight="balanced", warm_start=True)
    balanced.fit(X2, y2)
    by_sample = copy.deepcopy(first).set_params(warm_start=True)
    by_sample.fit(X2, y2, sample_weight=compute_sample_weight("balanced", y2))
    assert_array_equal(balanced.classes_, np.unique(y))
    for a, b in zip(weights(balanced), weights(by_sample)):
        assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_class_weight_with_unknown_label_is_refused(small, Estimator):
    X, y = small
    with pytest.raises(ValueError, match=r"not classes: \[7\]"):
        Estimator(class_weight={7: 2.0}).fit(X, y)
    with pytest.raises(TypeError, match="class_weight values must be numbers"):
        Estimator(class_weight={0: "heavy"}).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "classes, error, message",
    [
        (np.array([0, "a", 2], dtype=object), TypeError, "numbers or all strings"),
        ([0, None, 2], ValueError, "classes contains missing labels"),
        # numpy makes a list of numbers and strings all strings ("0", "1", "a").
        ([0, 1, "a"], TypeError, "all strings; got both, 0 and 'a'"),
        ([0.0, np.nan, 2.0], ValueError, "NaN"),
    ],
)
def test_partial_fit_refuses_classes_that_are_no_labels(
    small, Estimator, classes, error, message
):
    X, y = small
    est = Estimator()
    with pytest.raises(error, match=message):
        est.partial_fit(X, y, classes=classes)
    assert not hasattr(est, "classes_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_missing_labels_are_named(small, Estimator):
    # They failed deep in numpy's or pandas' sorting (as in scikit-learn), with
    # "'<' not supported between 'NoneType' and 'str'" or "boolean value of NA is
    # ambiguous".
    X, y = small
    names = np.array(["cat", "dog", "emu"], dtype=object)[y]
    names[4] = None
    as_float = y.astype(object)
    as_float[4] = np.nan
    givens = [names, list(names), as_float]
    pd = pytest.importorskip("pandas", reason="pandas (the [test] extra) is missing")
    with_na = pd.Series(np.array(["cat", "dog", "emu"])[y], dtype="string")
    with_na[4] = pd.NA
    givens += [with_na, with_na.astype("category")]
    for labels in givens:
        est = Estimator()
        with pytest.raises(ValueError, match="y contains missing labels"):
            est.fit(X, labels)
        assert not hasattr(est, "classes_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_labels_mixing_numbers_and_strings_are_refused(small, Estimator):
    X, y = small
    labels = [int(label) if label else "zero" for label in y]
    est = Estimator()
    with pytest.raises(TypeError, match="y must be all numbers or all strings"):
        est.fit(X, labels)
    assert not hasattr(est, "classes_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_heavy_class_weight_dominates_predictions(Estimator):
    # The weighted class wins nearly everywhere, also with small random batches.
    X, y = make_blobs(n_samples=300, centers=3, cluster_std=8.0, random_state=0)
    X = MinMaxScaler().fit_transform(X)
    est = Estimator(class_weight={0: 1000, 1: 1e-4, 2: 1e-4}, batch_size=8)
    est.set_params(random_state=0, max_iter=100).fit(X, y)
    assert np.mean(est.predict(X) == 0) > 0.87


# Multilabel targets: an indicator matrix, one column of 0s and 1s per label, each
# output unit answering for its label alone (as scikit-learn's MLPClassifier).


@pytest.fixture(scope="module")
def multilabel():
    X, Y = make_multilabel_classification(600, 12, n_classes=5, random_state=0)
    return MinMaxScaler().fit_transform(X), Y


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_multilabel_predictions_are_the_output_units_above_one_half(
    Estimator, multilabel
):
    X, Y = multilabel
    est = Estimator(max_iter=300, random_state=0).fit(X, Y)
    assert_array_equal(est.classes_, np.arange(5))
    assert est.n_outputs_ == 5
    P = est.predict_proba(X)
    if Estimator is SigmoidMLPClassifier:
        assert_allclose(P, est.forward(X)[-1])  # not normalised
    else:
        assert_allclose(P, expit(est.decision_function(X)))
    assert_allclose(est.predict_log_proba(X), np.log(P))
    predicted = est.predict(X)
    assert predicted.dtype == Y.dtype
    assert_array_equal(predicted, (P > 0.5).astype(int))
    assert est.score(X, Y) == np.mean(np.all(predicted == Y, axis=1))
    # Each label better predicted than by its most frequent value.
    majority = np.maximum(Y.mean(axis=0), 1 - Y.mean(axis=0))
    assert np.all((predicted == Y).mean(axis=0) > majority + 0.03)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_multilabel_target_representations_give_the_same_model(Estimator, multilabel):
    X, Y = multilabel
    est = Estimator(max_iter=20, random_state=0)
    reference = weights(clone(est).fit(X, Y))
    for same in (Y.astype(bool), Y.astype(float), sp.csr_matrix(Y), Y.tolist()):
        for a, b in zip(reference, weights(clone(est).fit(X, same))):
            assert_array_equal(a, b)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_multilabel_partial_fit_needs_no_classes(Estimator, multilabel):
    X, Y = multilabel
    est = Estimator(random_state=0)
    for _ in range(3):
        est.partial_fit(X, Y)
    assert est.n_iter_ == 3 and est.loss_curve_[-1] < est.loss_curve_[0]
    assert_array_equal(est.classes_, np.arange(5))
    Estimator(random_state=0).partial_fit(X, Y, classes=range(5))  # its columns
