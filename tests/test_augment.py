"""SigmoidMLPClassifier's ``augment``: which batches it distorts, with which random
numbers, and what it refuses."""

import pickle

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import SigmoidMLPClassifier, _base
from sknn_sigmoid.preprocessing import ElasticDistortion, RandomAffine

pytestmark = pytest.mark.usefixtures("quiet_convergence")

N_SAMPLES = 100


@pytest.fixture(scope="module")
def data():
    """100 digits scaled to [0, 1]; feature 0 (blank in every digit) holds the
    sample's number, so that a batch tells which samples it holds."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:N_SAMPLES] / 16, y[:N_SAMPLES]
    assert not X[:, 0].any()
    X[:, 0] = np.arange(N_SAMPLES) / N_SAMPLES
    return X, y


def sample_ids(X_batch):
    return np.rint(X_batch[:, 0] * N_SAMPLES).astype(int)


class Recorder:
    """An ``augment`` that returns a copy of the batch and records what it saw."""

    def __init__(self):
        self.batches, self.draws, self.calls = [], [], []

    def __call__(self, X_batch, rng):
        self.calls.append((X_batch.dtype, X_batch.flags.writeable, type(rng)))
        self.batches.append(sample_ids(X_batch))
        self.draws.append(rng.random_sample())
        return X_batch.copy()

    def counts(self):
        ids = np.concatenate(self.batches) if self.batches else np.array([], int)
        return np.bincount(ids, minlength=N_SAMPLES)


def params(est):
    return est.coefs_ + est.intercepts_


def assert_same_model(a, b):
    assert len(params(a)) == len(params(b))
    for p, q in zip(params(a), params(b)):
        assert_array_equal(p, q)
    assert a.loss_curve_ == b.loss_curve_


def snapshot(est):
    return pickle.dumps(est)


@pytest.mark.parametrize("batch_size", [16, None])
def test_every_training_batch_of_every_epoch_and_nothing_held_out(data, batch_size):
    X, y = data
    recorder = Recorder()
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(8,),
        batch_size=batch_size,
        max_iter=4,
        tol=0.0,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=10,
        augment=recorder,
        random_state=0,
    ).fit(X, y)
    assert est.n_iter_ == 4
    counts = recorder.counts()
    # 80 training samples, each once per epoch; the 20 held out never.
    assert np.sum(counts == 4) == 80
    assert np.sum(counts == 0) == 20
    assert counts.sum() == est.t_ == 4 * 80
    batches_per_epoch = 1 if batch_size is None else -(-80 // batch_size)
    assert len(recorder.batches) == 4 * batches_per_epoch
    # Read-only batches of the training dtype, and a RandomState.
    assert set(recorder.calls) == {(np.dtype(np.float64), False, np.random.RandomState)}
    seen = len(recorder.batches)
    est.predict(X), est.predict_proba(X), est.score(X, y), est.forward(X)
    assert len(recorder.batches) == seen


def test_partial_fit_distorts_each_chunk_once_in_float32(data):
    X, y = data
    recorder = Recorder()
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(8,), batch_size=32, augment=recorder, random_state=0
    )
    X32 = X.astype(np.float32)
    est.partial_fit(X32[:60], y[:60], classes=np.arange(10))
    est.partial_fit(X32[60:], y[60:])
    assert_array_equal(recorder.counts(), 1)
    assert [len(b) for b in recorder.batches] == [32, 28, 32, 8]
    assert {dtype for dtype, _, _ in recorder.calls} == {np.dtype(np.float32)}
    assert est.coefs_[0].dtype == np.float32


def test_the_callable_sees_the_inputs_after_the_pipelines_earlier_steps(data):
    X, y = data
    seen = []

    def record_range(X_batch, rng):
        seen.append((X_batch.min(), X_batch.max()))
        return X_batch.copy()

    make_pipeline(
        MinMaxScaler(feature_range=(2, 3)),
        SigmoidMLPClassifier(hidden_layer_sizes=(4,), max_iter=2, augment=record_range),
    ).fit(X, y)
    assert seen and all(2 <= low and high <= 3 for low, high in seen)
    assert min(low for low, _ in seen) == 2 and max(high for _, high in seen) == 3


def copy_of_batch(X_batch, rng):
    return X_batch.copy()


CONFIGURATIONS = [
    {"solver": "sgd", "batch_size": 16},
    {"solver": "adam", "batch_size": 16, "early_stopping": True},
    {"solver": "adam", "batch_size": None},
    {"solver": "sgd", "batch_size": 16, "shuffle": False},
]


@pytest.mark.parametrize("config", CONFIGURATIONS, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_augment_none_changes_nothing_bit_for_bit(data, config, dtype, monkeypatch):
    X, y = data
    X = X.astype(dtype)
    kwargs = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 3, **config}
    with monkeypatch.context() as patch:
        # augment=None takes the path of a model without augment: no distortion is
        # made and the random numbers of the fit are drawn as they were.
        def no_distortion(*args):
            raise AssertionError("a Distortion was made with augment=None")

        patch.setattr(_base, "Distortion", no_distortion)
        plain = SigmoidMLPClassifier(**kwargs).fit(X, y)
        assert_same_model(SigmoidMLPClassifier(augment=None, **kwargs).fit(X, y), plain)
    # A distortion that changes nothing gives the model of augment=None: the initial
    # weights, the split and the shuffles do not depend on augment.
    assert_same_model(
        SigmoidMLPClassifier(augment=copy_of_batch, **kwargs).fit(X, y), plain
    )
    first = SigmoidMLPClassifier(**kwargs).partial_fit(X[:50], y[:50], np.arange(10))
    second = SigmoidMLPClassifier(augment=copy_of_batch, **kwargs)
    second.partial_fit(X[:50], y[:50], np.arange(10))
    assert_same_model(
        second.partial_fit(X[50:], y[50:]), first.partial_fit(X[50:], y[50:])
    )


@pytest.mark.parametrize(
    "augment",
    [ElasticDistortion(alpha=2.0, sigma=1.0), RandomAffine(degrees=10, shift=1)],
    ids=repr,
)
def test_reproducible_with_random_state_and_different_with_another(data, augment):
    X, y = data

    def fit(random_state, augment=augment):
        return SigmoidMLPClassifier(
            hidden_layer_sizes=(8,),
            batch_size=16,
            max_iter=3,
            augment=augment,
            random_state=random_state,
        ).fit(X, y)

    model = fit(0)
    assert_same_model(fit(0), model)
    assert_same_model(fit(np.random.RandomState(0)), model)
    # The distortions count: the same fit without them (whose weights start the
    # same), or with those of another seed, is another model.
    assert not np.array_equal(fit(0, augment=None).coefs_[0], model.coefs_[0])
    assert not np.array_equal(fit(1).coefs_[0], model.coefs_[0])


def test_successive_calls_draw_new_distortions(data):
    X, y = data

    def draws(**kwargs):
        recorder = Recorder()
        est = SigmoidMLPClassifier(
            hidden_layer_sizes=(8,),
            batch_size=50,
            augment=recorder,
            random_state=0,
            **kwargs,
        )
        est.partial_fit(X, y, classes=np.arange(10))
        est.partial_fit(X, y)
        est.partial_fit(X, y)
        return recorder.draws

    first = draws()
    assert len(first) == 6
    # An int random_state starts every call from the same state, yet each call
    # draws other distortions ...
    assert len(set(first)) == 6
    # ... which a model trained alike draws again.
    assert draws() == first
    # fit with warm_start continues as partial_fit does.
    recorder = Recorder()
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(8,),
        batch_size=None,
        max_iter=2,
        warm_start=True,
        augment=recorder,
        random_state=0,
    )
    est.fit(X, y).fit(X, y)
    assert len(recorder.draws) == 4 and len(set(recorder.draws)) == 4


def test_a_plain_parameter(data, tmp_path):
    X, y = data
    augment = ElasticDistortion(alpha=2.0, sigma=1.0)
    est = SigmoidMLPClassifier(hidden_layer_sizes=(8,), augment=augment)
    assert est.get_params()["augment"] is augment
    assert est.get_params()["augment__alpha"] == 2.0
    assert "augment=ElasticDistortion(alpha=2.0, sigma=1.0)" in repr(est)
    copy = clone(est)
    assert copy.augment is not augment
    assert copy.augment.get_params() == augment.get_params()
    est.set_params(augment__sigma=1.5)
    assert augment.sigma == 1.5
    assert est.__sklearn_tags__().input_tags.sparse is False
    assert SigmoidMLPClassifier().__sklearn_tags__().input_tags.sparse is True

    est.set_params(max_iter=3, batch_size=20, random_state=0).fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    loaded = joblib.load(path)
    assert repr(loaded.augment) == repr(est.augment)
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    # Training continues as it would have without saving.
    assert_same_model(loaded.partial_fit(X, y), est.partial_fit(X, y))


def test_grid_search_tunes_the_distortion(data):
    X, y = data
    search = GridSearchCV(
        make_pipeline(
            MinMaxScaler(),
            SigmoidMLPClassifier(
                hidden_layer_sizes=(8,), max_iter=3, augment=ElasticDistortion()
            ),
        ),
        {"sigmoidmlpclassifier__augment__alpha": [0.0, 2.0]},
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert [
        p["sigmoidmlpclassifier__augment__alpha"] for p in search.cv_results_["params"]
    ] == [0.0, 2.0]
    best = search.best_estimator_[-1]
    assert (
        best.augment.alpha
        == search.best_params_["sigmoidmlpclassifier__augment__alpha"]
    )
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_sparse_input_is_refused(data):
    X, y = data
    est = SigmoidMLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    est.fit(X, y)
    before = snapshot(est)
    est.set_params(augment=RandomAffine())
    message = "augment distorts dense images, but X is a sparse matrix"
    with pytest.raises(TypeError, match=message):
        est.fit(sp.csr_matrix(X), y)
    with pytest.raises(TypeError, match=message):
        est.partial_fit(sp.csr_matrix(X), y)
    est.set_params(augment=None)
    assert snapshot(est) == before


def test_lbfgs_is_refused(data):
    X, y = data
    est = SigmoidMLPClassifier(solver="lbfgs", augment=RandomAffine())
    with pytest.raises(ValueError, match="L-BFGS needs the same objective"):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")


def wrong_shape(X_batch, rng):
    return X_batch[:, 1:].copy()


def wrong_dtype(X_batch, rng):
    return X_batch.astype(np.float32)


def a_list(X_batch, rng):
    return X_batch.tolist()


def with_nan(X_batch, rng):
    out = X_batch.copy()
    out[0, 5] = np.nan
    return out


def in_place(X_batch, rng):
    X_batch *= 2
    return X_batch


@pytest.mark.parametrize(
    "augment, error, message",
    [
        (
            wrong_shape,
            ValueError,
            r"shape \(\d+, 63\) for a batch of shape \(\d+, 64\)",
        ),
        (wrong_dtype, TypeError, "dtype float32 for a batch of dtype float64"),
        (a_list, TypeError, "must return a numpy array .* returned list"),
        (with_nan, ValueError, "NaN or infinity"),
        (in_place, ValueError, "read-only"),
        (ElasticDistortion(image_shape=(9, 9)), ValueError, "has 81 pixels"),
    ],
)
@pytest.mark.parametrize("method", ["fit", "warm fit", "partial_fit"])
def test_a_bad_distortion_is_named_and_the_fitted_model_kept(
    data, augment, error, message, method
):
    X, y = data
    X_before = X.copy()
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=2, batch_size=20, random_state=0
    ).fit(X, y)
    before, proba = snapshot(est), est.predict_proba(X)
    est.set_params(augment=augment, warm_start=method == "warm fit")
    with pytest.raises(error, match=message):
        if method == "partial_fit":
            est.partial_fit(X, y)
        else:
            est.fit(X, y)
    assert_array_equal(X, X_before)  # the user's X is not written
    est.set_params(augment=None, warm_start=False)
    assert snapshot(est) == before
    assert_array_equal(est.predict_proba(X), proba)


@pytest.mark.parametrize("value", [3, "elastic", ElasticDistortion])
def test_augment_must_be_a_callable_instance(data, value):
    X, y = data
    with pytest.raises(TypeError, match="'augment' parameter of SigmoidMLPClassifier"):
        SigmoidMLPClassifier(augment=value).fit(X, y)


def test_auto_trains_by_adam_and_full_batches_keep_every_repeated_row(data):
    # "auto" picks L-BFGS on data this small, but not with augment: its
    # distortions change the objective at every step. Full batches are not merged
    # either: each of k copies of a row is distorted anew.
    X, y = data
    X = np.vstack([X, X[:10]])  # rows 0-9 twice
    y = np.concatenate([y, y[:10]])
    recorder = Recorder()
    est = SigmoidMLPClassifier(
        hidden_layer_sizes=(5,), batch_size=None, max_iter=3, augment=recorder,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    assert est.solver_ == "adam"
    assert [len(batch) for batch in recorder.batches] == [len(X)] * est.n_iter_
    expected = np.ones(N_SAMPLES, int)
    expected[:10] = 2
    assert_array_equal(recorder.counts(), est.n_iter_ * expected)
    plain = SigmoidMLPClassifier(hidden_layer_sizes=(5,), random_state=0).fit(X, y)
    assert plain.solver_ == "lbfgs"
