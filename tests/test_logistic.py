"""OneVsRestLogistic: K logistic regressions trained as one matrix."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=4, return_X_y=True)
    return MinMaxScaler().fit_transform(X), y


pytestmark = pytest.mark.usefixtures("quiet_convergence")


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "gd", "batch_size": 32},
        {"solver": "adam", "batch_size": None},
        {"solver": "gd", "batch_size": None, "momentum": 0.0},
    ],
)
def test_joint_training_equals_separate_binary_models(digits, params):
    # The K losses share no parameter, and every optimizer works entry by entry,
    # so training the K models together is training each alone.
    X, y = digits
    kw = dict(max_iter=15, tol=0.0, alpha=0.01, random_state=0, **params)
    joint = OneVsRestLogistic(**kw).fit(X, y)
    for k, label in enumerate(joint.classes_):
        alone = OneVsRestLogistic(**kw).fit(X, y == label)
        assert_array_equal(alone.classes_, [False, True])
        assert_allclose(joint.coef_[k], alone.coef_[0], rtol=1e-9, atol=1e-12)
        assert_allclose(joint.intercept_[k], alone.intercept_[0], rtol=1e-9)


@pytest.mark.parametrize(
    "params", [{"batch_size": 32}, {"solver": "adam", "batch_size": None}]
)
def test_a_multilabel_target_trains_one_model_per_label(params):
    # Each label's model is the binary model of that column alone.
    X, Y = make_multilabel_classification(300, 10, n_classes=4, random_state=0)
    X = MinMaxScaler().fit_transform(X)
    kw = dict(max_iter=15, tol=0.0, alpha=0.01, random_state=0, **params)
    joint = OneVsRestLogistic(**kw).fit(X, Y)
    assert joint.coef_.shape == (4, 10)
    for k in range(4):
        alone = OneVsRestLogistic(**kw).fit(X, Y[:, k])
        assert_allclose(joint.coef_[k], alone.coef_[0], rtol=1e-9, atol=1e-12)
        assert_allclose(joint.intercept_[k], alone.intercept_[0], rtol=1e-9)
        assert_array_equal(joint.predict(X)[:, k], alone.predict(X))


def test_lbfgs_matches_scikit_learn_logistic_regression(digits):
    # Multiplying J_k by m gives sum of log-losses + alpha/2 ||w_k||^2, which is
    # LogisticRegression's objective with C = 1 / alpha.
    X, y = digits
    alpha = 0.5
    est = OneVsRestLogistic(solver="lbfgs", alpha=alpha, tol=1e-10, max_iter=1000)
    est.fit(X, y)
    for k, label in enumerate(est.classes_):
        ref = LogisticRegression(C=1 / alpha, tol=1e-10, max_iter=10000)
        ref.fit(X, y == label)
        assert_allclose(est.coef_[k], ref.coef_[0], rtol=1e-4, atol=1e-4)
        assert_allclose(est.intercept_[k], ref.intercept_[0], rtol=1e-4, atol=1e-4)


def test_gradient_descent_reaches_the_lbfgs_optimum(digits):
    # The problem is convex: full-batch gradient descent's loss tends to the minimum
    # that L-BFGS finds (the weights themselves converge slowly along flat directions).
    X, y = digits
    exact = OneVsRestLogistic(solver="lbfgs", alpha=1.0, tol=1e-10, max_iter=1000)
    exact.fit(X, y)
    gd = OneVsRestLogistic(
        batch_size=None, alpha=1.0, learning_rate_init=0.5, max_iter=2000, tol=0.0
    ).fit(X, y)
    assert exact.loss_ <= gd.loss_ <= exact.loss_ * (1 + 1e-4)
    assert gd.loss_curve_[0] > 1.1 * exact.loss_  # it started far from there


def test_decision_function_and_predictions(digits):
    X, y = digits
    est = OneVsRestLogistic(random_state=0).fit(X, y)
    scores = est.decision_function(X)
    assert scores.shape == (len(X), 4)
    assert_allclose(scores, X @ est.coef_.T + est.intercept_)
    assert_array_equal(est.classes_[scores.argmax(axis=1)], est.predict(X))
    a = 1 / (1 + np.exp(-scores))
    assert_allclose(est.predict_proba(X), a / a.sum(axis=1, keepdims=True))
    assert est.score(X, y) > 0.95


def test_two_classes_train_one_model(digits):
    X, y = digits
    est = OneVsRestLogistic(random_state=0).fit(X, np.where(y == 3, "three", "other"))
    assert est.coef_.shape == (1, X.shape[1]) and est.intercept_.shape == (1,)
    scores = est.decision_function(X)
    assert scores.shape == (len(X),)
    # The single model answers for classes_[1]; positive means that class.
    assert_array_equal(est.predict(X), est.classes_[(scores > 0).astype(int)])
    assert_allclose(est.predict_proba(X)[:, 1], 1 / (1 + np.exp(-scores)))


def test_weights_start_at_zero(digits):
    # With zero initial weights the random state only orders the batches, so full
    # batch training does not depend on it.
    X, y = digits
    a = OneVsRestLogistic(batch_size=None, max_iter=5, random_state=1).fit(X, y)
    b = OneVsRestLogistic(batch_size=None, max_iter=5, random_state=2).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)


def test_the_random_state_orders_mini_batches_only_when_shuffling(digits):
    # From zero weights the random state can only change the order of the batches.
    X, y = digits

    def fit(random_state, shuffle):
        return (
            OneVsRestLogistic(
                batch_size=16, max_iter=3, shuffle=shuffle, random_state=random_state
            )
            .fit(X, y)
            .coef_
        )

    assert not np.array_equal(fit(1, True), fit(2, True))
    assert_array_equal(fit(1, False), fit(2, False))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_decision_function_is_what_predict_decides_on_even_at_huge_inputs(n_classes):
    # Inputs at the largest float of both signs overflow z to inf - inf = NaN: the
    # answer is -inf (the unit is off), without NumPy warnings, as predict takes it.
    rng = np.random.default_rng(0)
    X = rng.random((60, 4))
    y = np.arange(60) % n_classes
    est = OneVsRestLogistic(max_iter=20, random_state=0).fit(X, y)
    big = np.finfo(np.float64).max
    X_huge = np.vstack([X, rng.choice([-big, 0.0, big], size=(40, 4))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D = est.decision_function(X_huge)
        predicted = est.predict(X_huge)
    assert not np.isnan(D).any()
    expected = (D > 0).astype(int) if n_classes == 2 else D.argmax(axis=1)
    assert_array_equal(predicted, est.classes_[expected])
    assert_allclose(D[:60].reshape(60, -1), X @ est.coef_.T + est.intercept_)
