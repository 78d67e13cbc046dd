"""scikit-learn's callbacks: one task per epoch."""

import signal
import threading
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier

callback = pytest.importorskip(
    "sklearn.callback", reason="scikit-learn < 1.9 has no sklearn.callback"
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return MinMaxScaler().fit_transform(X), y


class StopAfter:
    """A callback that records every task and stops after ``n`` epochs."""

    def __init__(self, n):
        self.n = n
        self.ended = []

    def setup(self, estimator, context):
        self.setup_called = True

    def teardown(self, estimator, context):
        self.teardown_called = True

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.ended.append((context.task_name, fitted_estimator))
        epochs = [name for name, _ in self.ended if name == "epoch"]
        return context.task_name == "epoch" and len(epochs) >= self.n


ESTIMATORS = [
    SigmoidMLPClassifier(hidden_layer_sizes=(20,), max_iter=50, random_state=0),
    SigmoidMLPClassifier(solver="lbfgs", max_iter=50, random_state=0),
    # Stopped by a callback on its flat start: no "barely moved" warning either.
    SigmoidMLPClassifier(batch_size=None, max_iter=50, random_state=0),
    OneVsRestLogistic(max_iter=50, random_state=0),
    OneVsRestLogistic(solver="lbfgs", max_iter=50),
]


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_callback_returning_true_stops_after_that_epoch(digits, estimator):
    X, y = digits
    stopper = StopAfter(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        estimator.set_callbacks(stopper).fit(X, y)
    assert estimator.n_iter_ == 3 == len(estimator.loss_curve_)
    assert stopper.setup_called and stopper.teardown_called
    names = [name for name, _ in stopper.ended]
    assert names == ["epoch", "epoch", "epoch", "fit"]


def test_fitted_estimator_is_the_model_after_each_epoch(digits):
    # The model handed to the callback after epoch k predicts as a model trained
    # for k epochs; later epochs do not change it.
    X, y = digits
    params = dict(solver="adam", hidden_layer_sizes=(20,), random_state=0, tol=0.0)
    recorder = StopAfter(4)
    SigmoidMLPClassifier(max_iter=4, **params).set_callbacks(recorder).fit(X, y)
    for k, (_, snapshot) in enumerate(recorder.ended[:4], start=1):
        assert snapshot.n_iter_ == k
        reference = SigmoidMLPClassifier(max_iter=k, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reference.fit(X, y)
        assert_allclose(snapshot.predict_proba(X), reference.predict_proba(X))


def test_callbacks_see_the_data_as_given_when_repeated_rows_are_merged(digits):
    # L-BFGS trains on the rows merged into weights; a monitor scores the data given.
    X, y = digits
    X, y = np.vstack([X, X[:50]]), np.concatenate([y, y[:50]])
    monitor = callback.ScoringMonitor(scoring="accuracy")
    est = SigmoidMLPClassifier(
        solver="lbfgs", hidden_layer_sizes=(20,), max_iter=4, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_callbacks(monitor).fit(X, y, sample_weight=np.full(len(y), 2.0))
    scores = [
        row["accuracy"]
        for row in monitor.get_logs().data
        if row["task_name"] == "epoch"
    ]
    assert len(scores) == est.n_iter_ == 4
    assert scores[-1] == pytest.approx(est.score(X, y))


def test_scoring_monitor_records_a_score_per_epoch(digits):
    X, y = digits
    monitor = callback.ScoringMonitor(scoring="accuracy")
    est = SigmoidMLPClassifier(
        solver="adam", hidden_layer_sizes=(20,), max_iter=6, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert len(epochs) == est.n_iter_ == 6
    scores = [row["accuracy"] for row in epochs]
    assert scores[-1] == pytest.approx(est.score(X, y))
    assert scores[-1] > scores[0]


def test_progress_bar_runs(digits, capsys):
    pytest.importorskip("rich", reason="rich (needed by ProgressBar) is not installed")
    X, y = digits
    est = OneVsRestLogistic(max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_callbacks(callback.ProgressBar()).fit(X, y)
    assert est.n_iter_ == 5
    assert est.score(X, y) > 0.9
    # The bar names the estimator's fit and shows it complete.
    out = capsys.readouterr().out
    assert "OneVsRestLogistic - fit" in out and "100%" in out


def test_partial_fit_is_one_task(digits):
    X, y = digits
    recorder = StopAfter(10)
    est = SigmoidMLPClassifier(random_state=0).set_callbacks(recorder)
    est.partial_fit(X, y, classes=np.unique(y))
    est.partial_fit(X, y)
    assert [name for name, _ in recorder.ended] == ["epoch", "fit"] * 2
    assert est.n_iter_ == 2


class Pairs:
    """A callback that records the begin and end of every task, in order."""

    def __init__(self):
        self.events = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("end", context.task_name, context.task_id))
        self.last_fitted = fitted_estimator
        return False


def assert_paired(events):
    begun = [event[1:] for event in events if event[0] == "begin"]
    ended = [event[1:] for event in events if event[0] == "end"]
    assert sorted(begun) == sorted(ended), events


@pytest.mark.parametrize("Estimator", [SigmoidMLPClassifier, OneVsRestLogistic])
def test_lbfgs_opens_each_iteration_before_scipy_runs_it(digits, Estimator):
    # As scikit-learn's LogisticRegression: the task of iteration k begins before
    # it runs, so the one opened after the last iteration ends empty.
    X, y = digits
    pairs = Pairs()
    est = Estimator(solver="lbfgs", max_iter=4).set_callbacks(pairs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert_paired(pairs.events)
    epochs = [event for event in pairs.events if event[1] == "epoch"]
    assert epochs[0][0] == "begin"
    assert [kind for kind, _, _ in epochs] == ["begin", "end"] * (est.n_iter_ + 1)


def test_a_diverged_epoch_closes_its_task(digits):
    X, y = digits
    pairs = Pairs()
    est = SigmoidMLPClassifier(solver="sgd", max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        est.set_params(warm_start=True, learning_rate_init=1e100).set_callbacks(pairs)
        with pytest.warns(ConvergenceWarning, match="diverged"):
            est.fit(X * 1e3, y)
    assert_paired(pairs.events)
    assert ("end", "epoch", 0) in pairs.events


def test_a_callback_stop_keeps_the_best_epoch_with_early_stopping(digits):
    # Epoch 2 scores better than epoch 1; a callback stops training there. The model
    # kept is the best epoch's, and best_validation_score_ is its score.
    X, y = digits
    stopper = StopAfter(2)
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(16,), early_stopping=True, random_state=0
    ).set_callbacks(stopper)
    est.fit(X, y)
    scores = est.validation_scores_
    assert len(scores) == 2 and scores[1] > scores[0]
    assert est.best_validation_score_ == max(scores)
    at_stop = stopper.ended[1][1]
    assert at_stop.best_validation_score_ == max(scores)
    assert_allclose(est.predict_proba(X), at_stop.predict_proba(X), rtol=0)


class CtrlCInEpoch(Pairs):
    """A callback that presses Ctrl-C (a real SIGINT to the main thread) as the
    ``k``-th epoch begins, recording every task."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def on_fit_task_begin(self, estimator, context):
        super().on_fit_task_begin(estimator, context)
        begun = [event for event in self.events if event[:2] == ("begin", "epoch")]
        if context.task_name == "epoch" and len(begun) == self.k:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_ctrl_c_from_a_callback_keeps_the_last_completed_epoch(digits, estimator):
    X, y = digits
    estimator = clone(estimator)
    ctrl_c = CtrlCInEpoch(4)
    with pytest.warns(UserWarning, match="interrupted after 3 (epoch|iteration)s"):
        estimator.set_callbacks(ctrl_c).fit(X, y)
    assert estimator.n_iter_ == 3 == len(estimator.loss_curve_)
    assert estimator.predict(X).shape == y.shape
    assert_paired(ctrl_c.events)  # the interrupted epoch's task is closed too
    assert ctrl_c.events[-1][:2] == ("end", "fit")
