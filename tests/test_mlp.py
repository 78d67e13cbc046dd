"""SigmoidMLPClassifier: its loss, forward propagation, solvers and early stopping."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import (
    load_digits,
    make_blobs,
    make_circles,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils import check_random_state

from sknn_sigmoid import SigmoidMLPClassifier, _base
from sknn_sigmoid._network import (
    frequency_logits,
    frequency_loss,
    init_parameters,
    loss_and_gradients,
)
from sknn_sigmoid._training import Validation


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=80, n_features=5, n_informative=3, n_classes=3, random_state=2
    )
    return MinMaxScaler().fit_transform(X), y


pytestmark = pytest.mark.usefixtures("quiet_convergence")


def explicit_loss(X, Y, w, coefs, intercepts, alpha, loss):
    """J written out sample by sample, straight from the docstring's formula."""
    m = w.sum()
    total = 0.0
    for x, y, wi in zip(X, Y, w):
        a = x
        for W, b in zip(coefs, intercepts):
            a = 1 / (1 + np.exp(-(a @ W + b)))
        if loss == "squared_error":
            total += wi * np.sum((a - y) ** 2) / 2
        else:
            total -= wi * np.sum(y * np.log(a) + (1 - y) * np.log(1 - a))
    return total / m + alpha / (2 * m) * sum(np.sum(W**2) for W in coefs)


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
def test_reported_loss_is_the_documented_loss(data, loss):
    # One full-batch epoch reports J at the initial weights, which are drawn first
    # from the random state; compare it with the formula written out.
    X, y = data
    w = np.linspace(0.5, 2.0, len(y))
    est = SigmoidMLPClassifier(
        solver="adam",
        hidden_layer_sizes=(4, 3),
        loss=loss,
        alpha=0.3,
        batch_size=None,
        max_iter=1,
        random_state=7,
    ).fit(X, y, sample_weight=w)
    Y = np.eye(3)[y]  # one-hot targets
    coefs, intercepts = init_parameters(
        [5, 4, 3, 3], check_random_state(7), output_bias=frequency_logits(Y, w)
    )
    expected = explicit_loss(X, Y, w, coefs, intercepts, 0.3, loss)
    assert est.loss_curve_[0] == pytest.approx(expected, rel=1e-12)


def test_one_full_batch_step_of_plain_gradient_descent(data):
    # solver="sgd", momentum=0, full batch: one epoch is W <- W - eta dJ/dW.
    X, y = data
    eta = 0.7
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(4,),
        solver="sgd",
        momentum=0.0,
        learning_rate_init=eta,
        batch_size=None,
        max_iter=1,
        alpha=0.01,
        random_state=3,
    ).fit(X, y)
    Y, w = np.eye(3)[y], np.ones(len(y))
    coefs, intercepts = init_parameters(
        [5, 4, 3], check_random_state(3), output_bias=frequency_logits(Y, w)
    )
    _, coef_grads, intercept_grads = loss_and_gradients(
        X, Y, w, coefs, intercepts, 0.01, "squared_error"
    )
    for fitted, W, g in zip(est.coefs_, coefs, coef_grads):
        assert_allclose(fitted, W - eta * g, rtol=1e-12)
    for fitted, b, g in zip(est.intercepts_, intercepts, intercept_grads):
        assert_allclose(fitted, b - eta * g, rtol=1e-12)


def test_forward_returns_every_layer(data):
    X, y = data
    est = SigmoidMLPClassifier(hidden_layer_sizes=(6, 4), max_iter=5).fit(X, y)
    activations = est.forward(X)
    assert est.n_layers_ == 4 == len(activations)
    assert [a.shape for a in activations] == [(80, 5), (80, 6), (80, 4), (80, 3)]
    assert_array_equal(activations[0], X)
    for a in activations[1:]:
        assert np.all((a > 0) & (a < 1))
    output = activations[-1]
    assert_allclose(est.predict_proba(X), output / output.sum(axis=1, keepdims=True))
    # a[1] is sigmoid(a[0] W[1]^T + b[1]) with coefs_[0] = W[1]^T.
    z1 = X @ est.coefs_[0] + est.intercepts_[0]
    assert_allclose(activations[1], 1 / (1 + np.exp(-z1)))


def test_fitted_attributes_follow_mlpclassifier(data):
    X, y = data
    est = SigmoidMLPClassifier(solver="adam", hidden_layer_sizes=7, max_iter=15).fit(
        X, y
    )
    assert [W.shape for W in est.coefs_] == [(5, 7), (7, 3)]
    assert [b.shape for b in est.intercepts_] == [(7,), (3,)]
    assert est.n_outputs_ == 3 and est.n_features_in_ == 5
    assert est.n_iter_ == 15 == len(est.loss_curve_)
    assert est.loss_ == est.loss_curve_[-1]
    assert est.best_loss_ == min(est.loss_curve_)
    assert est.validation_scores_ is None and est.best_validation_score_ is None


@pytest.fixture
def held_out(monkeypatch):
    """The held-out parts (Validation) that fits draw for early stopping."""
    parts = []
    split = _base._split_validation

    def recording_split(*args):
        train_rows, validation = split(*args)
        parts.append(validation)
        return train_rows, validation

    monkeypatch.setattr(_base, "_split_validation", recording_split)
    return parts


def test_early_stopping_keeps_the_best_epoch(held_out):
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(20,),
        early_stopping=True,
        n_iter_no_change=3,
        tol=0.0,
        random_state=0,
    ).fit(X, y)
    scores = est.validation_scores_
    assert len(scores) == est.n_iter_ == len(est.validation_loss_curve_)
    assert est.best_validation_score_ == max(scores)
    assert est.best_loss_ is None
    # The best epoch is neither the first nor the last ...
    assert 0 < int(np.argmax(scores)) < len(scores) - 1
    # ... and the weights kept score exactly that on the held-out samples.
    (validation,) = held_out
    y_val = est.classes_[validation.Y.argmax(axis=1)]
    assert est.score(validation.X, y_val) == est.best_validation_score_


def test_one_epoch_is_one_step_per_batch_the_last_partial_one_included():
    # 80 samples in batches of 32: steps on rows 0:32, 32:64 and 64:80, each down
    # the gradient of its own batch's mean loss, theta <- theta - eta dJ_b/dtheta.
    X, y = make_classification(
        n_samples=80, n_features=5, n_informative=3, n_classes=3, random_state=2
    )
    X = MinMaxScaler().fit_transform(X)
    eta, alpha, b = 0.5, 0.01, 32
    est = SigmoidMLPClassifier(
        (4,), solver="sgd", momentum=0.0, learning_rate_init=eta, batch_size=b,
        shuffle=False, max_iter=1, alpha=alpha, random_state=3,
    ).fit(X, y)  # fmt: skip
    Y, w = np.eye(3)[y], np.ones(len(y))
    coefs, intercepts = init_parameters(
        [5, 4, 3], check_random_state(3), output_bias=frequency_logits(Y, w)
    )
    for start in range(0, len(y), b):
        rows = slice(start, start + b)
        _, coef_grads, intercept_grads = loss_and_gradients(
            X[rows], Y[rows], w[rows], coefs, intercepts, alpha, "squared_error"
        )
        for p, g in zip(coefs + intercepts, coef_grads + intercept_grads):
            p -= eta * g
    for fitted, expected in zip(est.coefs_ + est.intercepts_, coefs + intercepts):
        assert_allclose(fitted, expected, rtol=1e-12, atol=1e-15)


def test_early_stopping_needs_two_validation_samples():
    X, y = make_classification(9, 4, n_informative=3, n_redundant=0, random_state=0)
    est = SigmoidMLPClassifier(early_stopping=True, max_iter=3, random_state=0)
    with pytest.raises(ValueError, match=r"validation set is too small \(1 sample"):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")
    # Two samples (validation_fraction=0.2 of 9 rounds up to 2) are enough.
    est.set_params(validation_fraction=0.2).fit(X, y)
    assert len(est.validation_scores_) == est.n_iter_


def test_validation_attributes_describe_the_last_fit_under_warm_start():
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    est = SigmoidMLPClassifier(
        solver="adam",
        hidden_layer_sizes=(10,),
        early_stopping=True,
        max_iter=4,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        assert len(est.validation_scores_) == est.n_iter_ == 4
        assert est.best_loss_ is None
        # A warm fit without early stopping: no held-out data, so no scores, and
        # the smallest training loss of all epochs.
        est.set_params(warm_start=True, early_stopping=False, max_iter=3).fit(X, y)
        assert est.n_iter_ == 7
        assert est.validation_scores_ is None
        assert est.validation_loss_curve_ is None
        assert est.best_validation_score_ is None
        assert est.best_loss_ == min(est.loss_curve_)
        # Early stopping again: every epoch that held out data is listed.
        est.set_params(early_stopping=True, max_iter=2).fit(X, y)
        assert est.n_iter_ == 9
        assert len(est.validation_scores_) == len(est.validation_loss_curve_) == 6
        assert est._progress.validation_epochs == [1, 2, 3, 4, 8, 9]
        assert est.best_loss_ is None
        # The best of this call's two epochs, even if an earlier call scored higher.
        assert est.best_validation_score_ == max(est.validation_scores_[-2:])
        # partial_fit holds out nothing.
        est.partial_fit(X, y)
        assert est.validation_scores_ is None
        assert est.best_loss_ == min(est.loss_curve_)


def test_stops_when_the_loss_stops_falling(data):
    X, y = data
    est = SigmoidMLPClassifier(
        solver="adam",
        loss="log_loss",  # no flat start to wait for (see the next test)
        learning_rate="constant",
        tol=10.0,
        n_iter_no_change=2,
        random_state=0,
    ).fit(X, y)
    # The first epoch improves on an infinite best loss; no later epoch can improve
    # it by 10, and training stops once more than n_iter_no_change epochs have not.
    assert est.n_iter_ == 1 + 3


def test_stalls_are_not_counted_on_the_flat_start(data):
    # With the squared error an epoch whose loss is still 98% to 105% of that of
    # outputs answering the class frequencies is no stall (in its first 20 epochs,
    # and later while the loss falls by tol over 20). With tol=10 every other epoch
    # after the first is one, and training stops at the third in a row.
    X, y = data
    est = SigmoidMLPClassifier(
        solver="adam",
        learning_rate="constant",
        tol=10.0,
        n_iter_no_change=2,
        random_state=0,
    ).fit(X, y)
    floor = frequency_loss(np.eye(3)[y], np.ones(len(y)), "squared_error")
    stall = [  # in the band, and (tol=10 cannot be fallen by) in the first 20
        not (0.98 * floor <= loss <= 1.05 * floor and epoch <= 20)
        for epoch, loss in enumerate(est.loss_curve_, start=1)
    ]
    assert not all(stall[1:4])  # the flat start lasted beyond epoch 2 ...
    assert all(stall[-3:])  # ... and training stopped at three stalls in a row,
    in_a_row = 0
    for epoch_stalled in stall[1:-1]:
        in_a_row = in_a_row + 1 if epoch_stalled else 0
        assert in_a_row <= 2  # not before


# The warning of a fit that stopped with its outputs at the classes' frequencies.
BARELY_MOVED = "barely moved from those frequencies"


@pytest.fixture(scope="module")
def ten_classes():
    """A ten-class problem whose squared error starts flat for many steps."""
    X, y = make_classification(1000, 30, n_informative=20, n_classes=10, random_state=0)
    return MinMaxScaler().fit_transform(X), y


def test_full_batch_training_gets_past_the_flat_start(ten_classes):
    # One step an epoch falls by less than tol on the flat start: counted as stalls,
    # those epochs stopped training after 27 epochs at 15% (chance is 10%).
    X, y = ten_classes
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = SigmoidMLPClassifier(solver="adam", batch_size=None, random_state=0).fit(
            X, y
        )
    assert [str(w.message) for w in caught] == []
    assert 27 < est.n_iter_ < est.max_iter
    assert est.score(X, y) > 0.4


def test_nothing_to_learn_stops_and_says_so():
    # Random labels: the loss stays on the flat start without falling, so its
    # epochs count as stalls again after 20 (it ran to max_iter when they did not).
    rng = np.random.RandomState(0)
    X, y = rng.rand(2000, 10), rng.randint(0, 10, 2000)
    est = SigmoidMLPClassifier(solver="adam", random_state=0)
    with pytest.warns(ConvergenceWarning, match=BARELY_MOVED) as caught:
        est.fit(X, y)
    assert est.n_iter_ < est.max_iter
    (message,) = [str(w.message) for w in caught]
    assert "training stopped" in message and "little to learn" in message
    assert "raise n_iter_no_change" in message


def test_early_stopping_on_the_flat_start_is_told_to_wait(ten_classes):
    X, y = ten_classes
    est = SigmoidMLPClassifier(batch_size=None, early_stopping=True, random_state=0)
    with pytest.warns(ConvergenceWarning, match=BARELY_MOVED) as caught:
        est.fit(X, y)
    (message,) = [str(w.message) for w in caught]
    assert "raise n_iter_no_change (early stopping's too)" in message


def test_max_iter_on_the_flat_start_says_so(ten_classes):
    X, y = ten_classes
    est = SigmoidMLPClassifier(
        solver="adam", batch_size=None, max_iter=20, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="max_iter") as caught:
        est.fit(X, y)
    (message,) = [str(w.message) for w in caught]
    assert "maximum number of iterations (20)" in message
    assert BARELY_MOVED in message and "raise max_iter" in message


def test_a_rate_too_large_that_stalls_is_told_to_fall(data):
    # Saturated units keep the loss finite: no divergence, the loss rises until the
    # stopping rule ends training, and the advice is a smaller rate.
    X, y = data
    est = SigmoidMLPClassifier(solver="sgd", learning_rate_init=1e3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="The loss rose.*lower learning_rate"):
        est.fit(X, y)
    assert est.loss_curve_[-1] > est.loss_curve_[0]
    assert est.n_iter_ < est.max_iter  # far above the flat start, stalls count


def test_a_rate_too_large_with_mini_batches_is_told_to_fall():
    # The first mini-batch epoch averages the loss while the weights blow up, so the
    # curve falls from there; its best is still far above the frequencies' loss.
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    est = SigmoidMLPClassifier(solver="adam", learning_rate_init=1000, random_state=0)
    with pytest.warns(ConvergenceWarning, match="too large do: lower learning_rate"):
        est.fit(X, y)
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    assert est.n_iter_ < est.max_iter  # far above the flat start, stalls count
    assert est.score(X, y) < 0.2


def test_one_weighted_class_is_not_said_to_have_learned_nothing():
    # With one class carrying all the weight the frequencies' loss is 0.
    X, y = make_classification(60, 4, n_informative=3, n_redundant=0, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SigmoidMLPClassifier(random_state=0).fit(X, y, sample_weight=(y == 0))
    assert not [w for w in caught if BARELY_MOVED in str(w.message)]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_one_class_weighing_nearly_everything_is_not_said_to_have_learned_nothing(
    n_classes,
):
    # scikit-learn's check_class_weight_classifiers: with class weights of 1000 and
    # 1e-4 the frequencies' loss is about 1e-7, far below tol. Every prediction is
    # the heavy class, rightly; the loss ends about 1e-7 above the frequencies'. It
    # was said to have learned nothing, with the advice to lower the rate.
    X, y = make_blobs(300, centers=n_classes, cluster_std=20, random_state=0)
    X = StandardScaler().fit_transform(X)
    weights = {label: 1e-4 for label in range(n_classes)} | {0: 1000}
    est = SigmoidMLPClassifier(
        class_weight=weights, max_iter=1000, n_iter_no_change=20, random_state=0
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    Y = (y[:, None] == 1) if n_classes == 2 else np.eye(n_classes)[y]
    w = np.array([weights[label] for label in y])
    floor = frequency_loss(Y.astype(float), w, "squared_error")
    assert floor < 1e-6 and min(est.loss_curve_) > floor  # as the warning found
    assert np.all(est.predict(X) == 0)
    assert not [w for w in caught if BARELY_MOVED in str(w.message)]


def test_a_tol_above_the_frequencies_loss_still_gets_the_warning():
    # 90% of one class: the frequencies' loss is 0.047; tol=0.05 stops training on
    # the flat start, predicting the majority class for every sample. The warning
    # (whose advice includes "lower tol") must come all the same.
    X, y = make_classification(2000, 20, n_informative=5, weights=[0.9], random_state=0)
    X = MinMaxScaler().fit_transform(X)
    est = SigmoidMLPClassifier(
        tol=0.05, solver="sgd", learning_rate_init=0.1, batch_size=None, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match=BARELY_MOVED) as caught:
        est.fit(X, y)
    assert np.all(est.predict(X) == 0)
    assert "lower tol" in str(caught[0].message)


def test_lbfgs_that_learned_nothing_is_told_what_lbfgs_can_change():
    X = np.ones((200, 5))
    y = np.random.RandomState(0).randint(0, 3, 200)
    with pytest.warns(ConvergenceWarning, match=BARELY_MOVED) as caught:
        SigmoidMLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
    (message,) = [str(w.message) for w in caught if BARELY_MOVED in str(w.message)]
    assert "L-BFGS stopped on a flat part" in message
    assert "n_iter_no_change" not in message and "learning_rate_init" not in message


def test_an_overconfident_log_loss_model_is_not_said_to_have_learned_nothing():
    # Right but overconfident outputs put the log-loss above that of the class
    # frequencies: that is not a model that learned nothing.
    from sknn_sigmoid import OneVsRestLogistic

    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = OneVsRestLogistic(learning_rate_init=1e3, random_state=0).fit(X, y)
    assert est.loss_ > 5 * frequency_loss(np.eye(10)[y], np.ones(len(y)), "log_loss")
    assert est.score(X, y) > 0.9
    assert not [w for w in caught if BARELY_MOVED in str(w.message)]


def test_two_hidden_layers_get_past_the_flat_start_on_wine():
    # Two hidden layers start slowly: with the epochs of the flat start counted as
    # stalls they stopped after 29 epochs, every prediction the most frequent class.
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    est = SigmoidMLPClassifier(hidden_layer_sizes=(50, 50), random_state=0)
    est.fit(X, y)
    assert est.score(X, y) > 0.95


def test_a_model_that_learned_does_not_warn(data):
    X, y = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = SigmoidMLPClassifier(solver="adam", random_state=0).fit(X, y)
    assert est.n_iter_ < est.max_iter
    assert [str(w.message) for w in caught] == []


def test_lbfgs_does_not_stop_on_the_flat_start_of_the_squared_error(ten_classes):
    # Its gradient there is below any usual tolerance (about 2e-4 after 4
    # iterations); a gradient tolerance of 5e-4 stopped it at chance accuracy.
    X, y = ten_classes
    est = SigmoidMLPClassifier(solver="lbfgs", max_iter=60, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        est.fit(X, y)
    assert est.n_iter_ == 60
    assert est.score(X, y) > 0.3


def test_lbfgs_with_log_loss_stops_on_the_gradient_tolerance(data):
    X, y = data
    loose = SigmoidMLPClassifier(solver="lbfgs", loss="log_loss", tol=1e-2)
    tight = SigmoidMLPClassifier(solver="lbfgs", loss="log_loss", tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        n_loose = loose.set_params(random_state=0).fit(X, y).n_iter_
        n_tight = tight.set_params(random_state=0).fit(X, y).n_iter_
    assert n_loose < n_tight


def _weighted_and_repeated(est, layout=np.asarray):
    """``est`` fitted with integer weights (0 included) on shuffled rows, and on
    the rows repeated that many times in their order: sklearn's equivalence check."""
    rng = np.random.RandomState(42)
    X, y, sw = rng.rand(15, 30), rng.randint(0, 3, 15), rng.randint(0, 5, 15)
    order = rng.permutation(15)
    weighted = clone(est).fit(layout(X[order]), y[order], sample_weight=sw[order])
    repeated = clone(est).fit(layout(X.repeat(sw, axis=0)), y.repeat(sw))
    return X, weighted, repeated


@pytest.mark.parametrize("layout", [np.asarray, sp.csr_matrix])
@pytest.mark.parametrize(
    "params",
    [
        {"solver": "lbfgs", "max_iter": 1},
        {"solver": "lbfgs", "max_iter": 7},
        {"solver": "lbfgs", "max_iter": 60},
        {"solver": "lbfgs"},
        {"solver": "lbfgs", "max_iter": 2000},
        {"solver": "lbfgs", "loss": "log_loss"},
        {},  # "auto": L-BFGS here
        {"solver": "adam", "batch_size": None, "max_iter": 40},
        {"solver": "sgd", "batch_size": None, "max_iter": 40},
        {"solver": "adam", "max_iter": 40},  # batch_size="auto": all 15 rows
    ],
)
def test_full_batch_weights_equal_repeats_to_the_last_bit(params, layout):
    # Repeated rows are merged into one row of their total weight, and rows put in
    # an order of their contents, before a full batch trains: both fits then sum the
    # same terms in the same order, whatever the number of iterations.
    est = SigmoidMLPClassifier(random_state=0, **params)
    X, weighted, repeated = _weighted_and_repeated(est, layout)
    assert weighted.n_iter_ == repeated.n_iter_
    assert weighted.loss_curve_ == repeated.loss_curve_
    for a, b in zip(
        weighted.coefs_ + weighted.intercepts_, repeated.coefs_ + repeated.intercepts_
    ):
        assert_array_equal(a, b)
    assert_array_equal(weighted.predict_proba(X), repeated.predict_proba(X))


def test_weights_equal_repeats_in_float32():
    X, weighted, repeated = _weighted_and_repeated(
        SigmoidMLPClassifier(solver="lbfgs", max_iter=50, random_state=0),
        lambda X: X.astype(np.float32),
    )
    assert weighted.coefs_[0].dtype == np.float32
    for a, b in zip(weighted.coefs_, repeated.coefs_):
        assert_array_equal(a, b)


def test_weight_zero_is_leaving_the_row_out_to_the_last_bit(data):
    X, y = data
    w = np.ones(len(y))
    w[::7] = 0
    est = SigmoidMLPClassifier(solver="lbfgs", max_iter=100, random_state=0)
    weighted = clone(est).fit(X, y, sample_weight=w)
    removed = clone(est).fit(X[w > 0], y[w > 0])
    for a, b in zip(weighted.coefs_, removed.coefs_):
        assert_array_equal(a, b)


def test_without_weights_or_repeats_full_batch_trains_on_the_data_as_given(
    data, monkeypatch
):
    # No copy, no reordering: the results of such fits stay what they were.
    X, y = data
    seen = []
    train = _base.train_lbfgs

    def spy(coefs, intercepts, X, *args, **kwargs):
        seen.append(X)
        return train(coefs, intercepts, X, *args, **kwargs)

    monkeypatch.setattr(_base, "train_lbfgs", spy)
    SigmoidMLPClassifier(solver="lbfgs", max_iter=5, random_state=0).fit(X, y)
    assert_array_equal(seen[0], X)


def test_mini_batches_train_on_every_row_as_given(data, monkeypatch):
    # Merging is for full batches only: mini-batches draw rows, repeats included.
    X, y = data
    Xr, yr = np.vstack([X, X[:5]]), np.concatenate([y, y[:5]])
    seen = []
    train = _base.train_stochastic

    def spy(coefs, intercepts, optimizer, progress, X, *args, **kwargs):
        seen.append(X.shape[0])
        return train(coefs, intercepts, optimizer, progress, X, *args, **kwargs)

    monkeypatch.setattr(_base, "train_stochastic", spy)
    SigmoidMLPClassifier(solver="adam", batch_size=16, max_iter=2).fit(Xr, yr)
    SigmoidMLPClassifier(solver="adam", batch_size=None, max_iter=2).fit(Xr, yr)
    assert seen == [len(yr), len(y)]


def test_a_loss_that_stays_put_improves_on_itself_with_tol_0(data):
    # As scikit-learn's rule: an epoch improves when loss <= best_loss - tol. A step
    # of 1e-300 leaves the loss exactly where it was, which tol=0 counts as improving.
    X, y = data
    est = SigmoidMLPClassifier(
        solver="sgd",
        batch_size=None,
        learning_rate_init=1e-300,
        tol=0.0,
        n_iter_no_change=2,
        max_iter=10,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="maximum number of iterations"):
        est.fit(X, y)
    assert len(set(est.loss_curve_)) == 1
    assert est.n_iter_ == 10


def test_adaptive_learning_rate_divides_by_five(data):
    X, y = data
    est = SigmoidMLPClassifier(
        loss="log_loss",  # no flat start to wait for
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.5,
        tol=10.0,
        n_iter_no_change=1,
        max_iter=30,
        random_state=0,
    ).fit(X, y)
    # Each stall divides eta by 5 until it is at most 1e-6, when training stops:
    # 0.5 / 5**8 = 1.28e-6 goes on, 0.5 / 5**9 = 2.56e-7 stops.
    assert est._optimizer.learning_rate == pytest.approx(0.5 / 5**9)
    assert est.n_iter_ < 30


def test_invscaling_learning_rate(data):
    X, y = data
    est = SigmoidMLPClassifier(
        solver="sgd", learning_rate="invscaling", power_t=0.5, max_iter=3
    ).fit(X, y)
    assert est._optimizer.learning_rate == pytest.approx(0.01 / (est.t_ + 1) ** 0.5)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
def test_every_solver_and_loss_learns_digits(solver, loss):
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    rate = {"sgd": 0.5, "adam": 0.01, "lbfgs": 0.01}[solver]
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(30,),
        solver=solver,
        loss=loss,
        learning_rate_init=rate,
        max_iter=60,
        tol=1e-6,
        random_state=0,
    ).fit(X[::2], y[::2])
    assert est.score(X[1::2], y[1::2]) > 0.9


@pytest.mark.parametrize(
    "init, expected_std",
    [
        # glorot_uniform: U(-r, r) has standard deviation r / sqrt(3).
        ("glorot_uniform", np.sqrt(2 / (64 + 50)) / np.sqrt(3)),
        ("normal", 1.0),
        ("scaled_normal", 1 / np.sqrt(64)),
    ],
)
def test_initialisation_schemes(init, expected_std):
    # One step with a negligible learning rate leaves the initial weights visible.
    X, y = load_digits(return_X_y=True)
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(50,),
        init=init,
        solver="sgd",
        learning_rate_init=1e-12,
        batch_size=None,
        max_iter=1,
        random_state=0,
    ).fit(MinMaxScaler().fit_transform(X), y)
    W1 = est.coefs_[0]
    assert W1.std() == pytest.approx(expected_std, rel=0.05)
    assert abs(W1.mean()) < 0.1 * expected_std


@pytest.mark.parametrize(
    "init, starts_at_frequencies",
    [("glorot_uniform", True), ("scaled_normal", True), ("normal", False)],
)
def test_output_biases_start_at_the_class_frequencies(init, starts_at_frequencies):
    # Unbalanced classes (and sample weights): sigmoid(b[L]) starts at each class's
    # weighted frequency, the best constant answer, except in the lecture's plain
    # random start.
    X, y = load_digits(return_X_y=True)
    keep = (y < 3) & ((y != 2) | (np.arange(len(y)) % 4 == 0))
    X, y = MinMaxScaler().fit_transform(X[keep]), y[keep]
    w = np.where(y == 0, 2.0, 1.0)
    est = SigmoidMLPClassifier(
        init=init, solver="sgd", learning_rate_init=1e-12, max_iter=1,
        batch_size=None, random_state=0,
    ).fit(X, y, sample_weight=w)  # fmt: skip
    frequencies = np.array([np.sum(w * (y == k)) for k in range(3)]) / w.sum()
    assert frequencies.min() < 0.2 < frequencies.max()
    started = 1 / (1 + np.exp(-est.intercepts_[-1]))
    assert np.allclose(started, frequencies, rtol=1e-6) == starts_at_frequencies


def test_plain_normal_initialisation_saturates_wide_layers():
    # The lecture's N(0, 1) start gives z of size sqrt(n[0]): most hidden units start
    # saturated, which glorot_uniform avoids.
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    saturated = {}
    for init in ("normal", "glorot_uniform"):
        est = SigmoidMLPClassifier(
            init=init, solver="sgd", learning_rate_init=1e-12, max_iter=1,
            batch_size=None, random_state=0,
        ).fit(X, y)  # fmt: skip
        hidden = est.forward(X)[1]
        saturated[init] = np.mean((hidden < 0.01) | (hidden > 0.99))
    assert saturated["normal"] > 0.2 > 0.01 > saturated["glorot_uniform"]


@pytest.mark.parametrize("batch_size", ["auto", None])
def test_defaults_learn_digits_in_mini_batches_and_full_batch(batch_size):
    # With sigmoid outputs and squared error, outputs started at sigmoid(0) = 0.5
    # first fall together to the frequencies and overshoot: full-batch Adam then
    # stalled at chance (10%) before the output biases started at the frequencies.
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    est = SigmoidMLPClassifier(batch_size=batch_size, random_state=0)
    assert est.fit(X[::2], y[::2]).score(X[1::2], y[1::2]) > 0.94


def test_adaptive_learning_rate_applies_to_adam(data):
    X, y = data
    est = SigmoidMLPClassifier(
        solver="adam", learning_rate="adaptive", tol=10.0, n_iter_no_change=1,
        max_iter=30, random_state=0,
    ).fit(X, y)  # fmt: skip
    # 0.01 / 5**5 = 6.4e-6 goes on; 0.01 / 5**6 = 6.4e-7 stops.
    assert est._optimizer.learning_rate == pytest.approx(0.01 / 5**6)
    assert est.n_iter_ < 30


def test_held_out_accuracy_is_that_of_predict_when_outputs_saturate():
    # Early stopping scores the held-out part as predict does (the largest z[L]),
    # also where several saturated outputs share one activation.
    X, y = load_digits(return_X_y=True)
    X = X / 16
    est = SigmoidMLPClassifier((16,), max_iter=20, random_state=0).fit(X, y)
    est.coefs_[-1] *= 500
    est.intercepts_[-1] *= 500
    X_eval = np.random.default_rng(0).uniform(-1, 2, X[:300].shape)
    y_eval = y[:300]
    P = est.predict_proba(X_eval)
    assert np.sum((P == P.max(axis=1, keepdims=True)).sum(axis=1) > 1) > 0  # ties
    Y = (y_eval[:, None] == est.classes_).astype(float)
    validation = Validation(X_eval, Y, np.ones(len(y_eval)))
    accuracy, _ = validation.evaluate(est.coefs_, est.intercepts_, 0.0, "squared_error")
    assert accuracy == np.mean(est.predict(X_eval) == y_eval)


def test_held_out_accuracy_of_a_multilabel_target_needs_every_label_right():
    # One layer whose z[L] is the input itself: the labels predicted are the
    # positive inputs. The first sample is right, the second has one label too
    # many (right by the largest z[L], wrong as a set), the third has none, rightly.
    X = np.array([[1.0, -1.0], [1.0, 1.0], [-1.0, -1.0]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    coefs, intercepts = [np.eye(2)], [np.zeros(2)]
    for multilabel, expected in ((True, 2 / 3), (False, 1.0)):
        validation = Validation(X, Y, np.ones(3), multilabel)
        accuracy, _ = validation.evaluate(coefs, intercepts, 0.0, "squared_error")
        assert accuracy == pytest.approx(expected)


def test_early_stopping_on_a_multilabel_target_scores_its_predictions(held_out):
    X, Y = make_multilabel_classification(400, 10, n_classes=4, random_state=0)
    X = MinMaxScaler().fit_transform(X)
    est = SigmoidMLPClassifier(early_stopping=True, max_iter=30, random_state=0)
    est.fit(X, Y)
    # The weights kept score the best validation score on the held-out samples,
    # as score does: the share of samples with every label right.
    (validation,) = held_out
    assert validation.multilabel
    score = est.score(validation.X, validation.Y.astype(int))
    assert score == est.best_validation_score_ == max(est.validation_scores_)


@pytest.mark.parametrize(
    "sizes, expected",
    [
        (5, [5]),
        (np.int64(5), [5]),
        ((4, 3), [4, 3]),
        ([np.int32(4), 3], [4, 3]),
        (range(3, 5), [3, 4]),
        (np.array([4, 3], dtype=np.uint8), [4, 3]),
        ((), []),
    ],
)
def test_hidden_layer_sizes_takes_ints_and_sequences_of_them(data, sizes, expected):
    X, y = data
    est = SigmoidMLPClassifier(hidden_layer_sizes=sizes, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert [W.shape[1] for W in est.coefs_[:-1]] == expected


def test_hidden_layer_sizes_takes_a_pandas_series(data):
    pd = pytest.importorskip("pandas", reason="pandas (the [test] extra) is missing")
    X, y = data
    est = SigmoidMLPClassifier(hidden_layer_sizes=pd.Series([4, 3]), max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert [W.shape[1] for W in est.coefs_[:-1]] == [4, 3]


def _fit_quietly(est, X, y, **kwargs):
    """fit, with any warning an error (the test module silences ConvergenceWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return est.fit(X, y, **kwargs)


@pytest.mark.parametrize("layout", [np.asarray, sp.csr_matrix])
def test_auto_chooses_lbfgs_up_to_the_threshold_of_values_and_adam_above(
    data, monkeypatch, layout
):
    X, y = data
    X = layout(X)
    values = X.nnz if sp.issparse(X) else X.size  # 80 x 5 (less MinMaxScaler's 0s)
    monkeypatch.setattr(_base, "AUTO_LBFGS_MAX_VALUES", values)
    est = SigmoidMLPClassifier(max_iter=5, random_state=0)
    assert est.solver == "auto"
    assert est.fit(X, y).solver_ == "lbfgs"
    monkeypatch.setattr(_base, "AUTO_LBFGS_MAX_VALUES", values - 1)
    assert est.fit(X, y).solver_ == "adam"
    assert est.n_iter_ <= 5  # epochs of Adam, with max_iter as given


def test_auto_counts_the_stored_values_of_a_sparse_x(data, monkeypatch):
    X, y = data
    X = X.copy()
    X[X < 0.5] = 0
    S = sp.csr_matrix(X)
    monkeypatch.setattr(_base, "AUTO_LBFGS_MAX_VALUES", S.nnz)
    est = SigmoidMLPClassifier(max_iter=5, random_state=0)
    assert S.nnz < X.size
    assert est.fit(S, y).solver_ == "lbfgs"
    assert est.fit(X, y).solver_ == "adam"


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_solver_given_is_the_solver_used(data, solver):
    X, y = data
    est = SigmoidMLPClassifier(solver=solver, max_iter=5, random_state=0).fit(X, y)
    assert est.solver_ == solver


def test_auto_on_small_data_is_lbfgs_with_ten_times_alpha(data):
    # Within 5 * max_iter = 10 iterations the stall rule (over 10 iterations)
    # cannot end it: the same fit as solver="lbfgs" with alpha * 10.
    X, y = data
    auto = SigmoidMLPClassifier(max_iter=2, alpha=3e-3, random_state=0).fit(X, y)
    lbfgs = SigmoidMLPClassifier(
        solver="lbfgs", max_iter=10, alpha=3e-2, random_state=0
    ).fit(X, y)
    assert auto.solver_ == "lbfgs" and auto.n_iter_ == 10
    for a, b in zip(auto.coefs_ + auto.intercepts_, lbfgs.coefs_ + lbfgs.intercepts_):
        assert_array_equal(a, b)


@pytest.mark.parametrize(
    "dataset, max_iter",
    [
        (lambda: make_classification(300, 8, n_informative=4, random_state=0), 30),
        (lambda: load_digits(return_X_y=True), 50),
    ],
)
def test_auto_lbfgs_goes_on_after_max_iter_until_the_loss_stalls(dataset, max_iter):
    X, y = dataset()
    X = MinMaxScaler().fit_transform(X)
    est = SigmoidMLPClassifier(max_iter=max_iter, random_state=0)
    est = _fit_quietly(est, X, y)
    curve = est.loss_curve_
    assert est.solver_ == "lbfgs"
    assert max_iter < est.n_iter_ < 5 * max_iter
    # It ended on the rule: less than 1% over the last 10 iterations, not before.
    assert curve[-11] - curve[-1] < 0.01 * curve[-1]
    assert curve[-12] - curve[-2] >= 0.01 * curve[-2]


def test_auto_on_the_digits_learns_them_without_a_warning():
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    est = _fit_quietly(SigmoidMLPClassifier(random_state=0), X, y)
    assert est.solver_ == "lbfgs"
    assert est.score(X, y) > 0.99


@pytest.fixture(scope="module")
def circles():
    """Where Adam's mini-batches of the old defaults stopped below chance."""
    X, y = make_circles(500, noise=0.1, factor=0.5, random_state=0)
    return MinMaxScaler().fit_transform(X), y


def test_auto_does_not_stop_on_the_flat_start(circles):
    X, y = circles
    est = _fit_quietly(SigmoidMLPClassifier(random_state=0), X, y)
    assert est.solver_ == "lbfgs"
    assert est.score(X, y) > 0.9


def test_auto_with_partial_fit_is_adam(data):
    X, y = data
    est = SigmoidMLPClassifier(random_state=0)
    assert hasattr(est, "partial_fit")
    est.partial_fit(X, y, classes=np.unique(y))
    assert est.solver_ == "adam" and est.n_iter_ == 1
    assert isinstance(est._optimizer, _base.Adam)


def test_partial_fit_after_an_auto_fit_with_lbfgs_continues_with_adam(data):
    X, y = data
    est = SigmoidMLPClassifier(random_state=0).fit(X, y)
    assert est.solver_ == "lbfgs" and est._optimizer is None
    coefs, n_iter = [W.copy() for W in est.coefs_], est.n_iter_
    est.partial_fit(X, y)
    assert est.solver_ == "adam" and est.n_iter_ == n_iter + 1
    assert isinstance(est._optimizer, _base.Adam)
    # It continued from the fitted weights: one small step away from them.
    assert 0 < np.abs(est.coefs_[0] - coefs[0]).max() < 0.1


def test_auto_with_early_stopping_is_adam_with_its_validation(data):
    X, y = data
    est = SigmoidMLPClassifier(early_stopping=True, max_iter=30, random_state=0)
    est.fit(X, y)
    assert est.solver_ == "adam"
    assert len(est.validation_scores_) == est.n_iter_


def test_lbfgs_ignores_early_stopping(data):
    X, y = data
    est = SigmoidMLPClassifier(
        solver="lbfgs", early_stopping=True, max_iter=20, random_state=0
    ).fit(X, y)
    assert est.solver_ == "lbfgs" and est.validation_scores_ is None


def test_auto_warm_start_continues_lbfgs_from_the_fitted_weights(data):
    X, y = data
    est = SigmoidMLPClassifier(warm_start=True, max_iter=4, random_state=0)
    est.fit(X, y)
    first = list(est.loss_curve_)
    est.fit(X, y)
    assert est.solver_ == "lbfgs"
    assert est.loss_curve_[: len(first)] == first
    assert est.n_iter_ == len(est.loss_curve_) > len(first)
    # From where the first fit ended, not from a new start.
    assert est.loss_curve_[len(first)] <= first[-1]
