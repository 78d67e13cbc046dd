"""Ctrl-C during fit: training ends, the last completed epoch is kept, a warning.

The interruptions are real: SIGINT sent to the main thread, which Python turns into
KeyboardInterrupt there. Each is sent from inside fit at a chosen point (as an epoch
begins, or at a chosen step of an epoch), so the epoch it lands in does not depend on
timing.
"""

import math
import signal
import threading
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier, _callbacks
from sknn_sigmoid._optimizers import Adam, GradientDescent


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return MinMaxScaler().fit_transform(X), y


def ctrl_c():
    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)


def interrupt_in_epoch(monkeypatch, k):
    """Press Ctrl-C as fit begins its k-th epoch (L-BFGS: iteration)."""
    original = _callbacks.EpochCallbacks.epoch_begins
    begun = []

    def epoch_begins(self):
        begun.append(1)
        if len(begun) == k:
            ctrl_c()
        return original(self)

    monkeypatch.setattr(_callbacks.EpochCallbacks, "epoch_begins", epoch_begins)


def trained_for(estimator, n, X, y):
    """The same estimator trained for n epochs (it says it has not converged)."""
    reference = estimator.__class__(**{**estimator.get_params(), "max_iter": n})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return reference.fit(X, y)


def assert_same_model(fitted, expected, X):
    """Same weights: the same probabilities, to the last bit."""
    assert_array_equal(fitted.predict_proba(X), expected.predict_proba(X))
    assert_array_equal(fitted.predict(X), expected.predict(X))


ESTIMATORS = [
    SigmoidMLPClassifier((20,), solver="sgd", random_state=0),
    SigmoidMLPClassifier((20,), solver="adam", random_state=0),
    SigmoidMLPClassifier((20,), solver="lbfgs", random_state=0),
    OneVsRestLogistic(solver="gd", random_state=0),
    OneVsRestLogistic(solver="adam", random_state=0),
    OneVsRestLogistic(solver="lbfgs", random_state=0),
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_ctrl_c_keeps_the_last_completed_epoch(digits, estimator, monkeypatch):
    X, y = digits
    estimator = clone(estimator)
    interrupt_in_epoch(monkeypatch, 3)
    unit = "iteration" if estimator.solver == "lbfgs" else "epoch"
    with pytest.warns(UserWarning, match=f"interrupted after 2 {unit}s") as caught:
        estimator.fit(X, y)
    assert [w.category for w in caught] == [UserWarning]  # no ConvergenceWarning
    assert f"keeping the model of {unit} 2." in str(caught[0].message)
    assert estimator.n_iter_ == 2 == len(estimator.loss_curve_)
    assert estimator.t_ == 2 * len(y)
    assert estimator.loss_ == estimator.loss_curve_[-1]
    assert_same_model(estimator, trained_for(estimator, 2, X, y), X)
    assert estimator.predict(X).shape == y.shape


@pytest.mark.parametrize("Optimizer", [GradientDescent, Adam])
def test_ctrl_c_in_the_middle_of_an_epoch_undoes_its_steps(
    digits, Optimizer, monkeypatch
):
    # Ctrl-C at the 4th step of epoch 3 (36 steps of 50 samples an epoch): its
    # first 3 steps have changed the weights; the model of epoch 2 is kept.
    X, y = digits
    steps_per_epoch = math.ceil(len(y) / 50)
    original = Optimizer.update_params
    steps = []

    def update_params(self, params, grads):
        steps.append(1)
        if len(steps) == 2 * steps_per_epoch + 4:
            ctrl_c()
        return original(self, params, grads)

    monkeypatch.setattr(Optimizer, "update_params", update_params)
    solver = "adam" if Optimizer is Adam else "sgd"
    est = SigmoidMLPClassifier((20,), solver=solver, batch_size=50, random_state=0)
    with pytest.warns(UserWarning, match="interrupted after 2 epochs"):
        est.fit(X, y)
    assert len(steps) == 2 * steps_per_epoch + 4
    monkeypatch.setattr(Optimizer, "update_params", original)
    reference = trained_for(est, 2, X, y)
    assert_same_model(est, reference, X)
    assert est.n_iter_ == 2 and est.t_ == reference.t_
    # The optimizer's state is epoch 2's too: one more epoch continues as from there.
    est.partial_fit(X, y)
    reference.partial_fit(X, y)
    assert_same_model(est, reference, X)


def test_ctrl_c_with_early_stopping_keeps_the_best_epoch_so_far(digits, monkeypatch):
    X, y = digits
    interrupt_in_epoch(monkeypatch, 7)
    est = SigmoidMLPClassifier((20,), early_stopping=True, random_state=0)
    with pytest.warns(UserWarning, match="interrupted after 6 epochs") as caught:
        est.fit(X, y)
    scores = est.validation_scores_
    assert est.n_iter_ == 6 == len(scores) == len(est.validation_loss_curve_)
    best = int(np.argmax(scores)) + 1
    assert f"keeping the model of epoch {best}." in str(caught[0].message)
    assert est.best_validation_score_ == max(scores)
    # What a fit of 6 epochs keeps: the model of its best epoch.
    assert_same_model(est, trained_for(est, 6, X, y), X)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_ctrl_c_before_the_first_epoch_ends_raises(digits, estimator, monkeypatch):
    X, y = digits
    estimator = clone(estimator)
    interrupt_in_epoch(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(X, y)
    assert not hasattr(estimator, "coefs_")


def test_ctrl_c_in_the_first_epoch_of_a_warm_fit_keeps_the_fitted_model(
    digits, monkeypatch
):
    X, y = digits
    est = trained_for(
        SigmoidMLPClassifier((20,), solver="adam", random_state=0), 3, X, y
    )
    coefs = [W.copy() for W in est.coefs_]
    interrupt_in_epoch(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        est.set_params(warm_start=True).fit(X, y)
    assert est.n_iter_ == 3
    for a, b in zip(est.coefs_, coefs):
        assert_array_equal(a, b)
