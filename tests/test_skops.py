"""Secure persistence with skops: exact round trips, and only trusted types load."""

import copy
import io
import json
import pickle
import zipfile

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier
from sknn_sigmoid._optimizers import Adam, GradientDescent
from sknn_sigmoid._persistence import object_state, plain_state
from sknn_sigmoid._training import Progress

sio = pytest.importorskip(
    "skops.io", reason="skops (the [skops] extra) is not installed"
)
from skops.io.exceptions import UntrustedTypesFoundException  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

MLP = "sknn_sigmoid._mlp.SigmoidMLPClassifier"
LOGISTIC = "sknn_sigmoid._logistic.OneVsRestLogistic"
DESKEWER = "sknn_sigmoid.preprocessing.Deskewer"
# The types of this package a saved model may hold: the estimators and the training
# state they keep to continue training, and the deskewing step.
OWN_TYPES = {MLP, LOGISTIC, DESKEWER}

ESTIMATORS = {
    "mlp-adam": lambda: SigmoidMLPClassifier(
        hidden_layer_sizes=(12,), max_iter=4, random_state=0
    ),
    "mlp-sgd": lambda: SigmoidMLPClassifier(
        hidden_layer_sizes=(12, 6),
        solver="sgd",
        learning_rate="adaptive",
        max_iter=4,
        random_state=0,
    ),
    "mlp-early-stopping": lambda: SigmoidMLPClassifier(
        hidden_layer_sizes=(12,),
        early_stopping=True,
        max_iter=6,
        random_state=np.random.RandomState(0),
    ),
    "mlp-lbfgs": lambda: SigmoidMLPClassifier(
        hidden_layer_sizes=(12,), solver="lbfgs", max_iter=8, random_state=0
    ),
    "logistic-gd": lambda: OneVsRestLogistic(
        max_iter=4, class_weight={"dog": 2.0}, random_state=0
    ),
    "logistic-adam": lambda: OneVsRestLogistic(
        solver="adam", learning_rate_init=0.01, max_iter=4, random_state=0
    ),
}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    labels = np.array(["cat", "dog", "emu"])[y % 3]
    return X[:300], labels[:300]


def fitted(name, dtype, digits, pipeline):
    X, y = digits
    est = ESTIMATORS[name]()
    if pipeline:
        return make_pipeline(MinMaxScaler(), est).fit(X.astype(dtype), y)
    return est.fit((X / 16).astype(dtype), y)


def inputs(model, digits, dtype):
    X = digits[0].astype(dtype)
    return X if isinstance(model, Pipeline) else X / dtype(16)


def final(model):
    return model[-1] if isinstance(model, Pipeline) else model


def assert_same_state(a, b, path="estimator"):
    """Equal attribute by attribute: same types, dtypes, shapes and values."""
    assert type(a) is type(b), path
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_state(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same_state(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, np.random.RandomState):
        assert_same_state(a.get_state(legacy=False), b.get_state(legacy=False), path)
    elif isinstance(a, Progress):
        assert_same_state(vars(a), vars(b), path)
    elif isinstance(a, Adam | GradientDescent):  # their scratch arrays aside
        assert_same_state(a.__getstate__(), b.__getstate__(), path)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), path
    else:
        assert a == b, path


def round_trip(model, tmp_path):
    """Save to a file, check the types it names, load trusting a fixed list."""
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert set(untrusted) <= OWN_TYPES
    return sio.load(path, trusted=sorted(OWN_TYPES)), untrusted


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_deskewing_pipeline_round_trips_trusting_the_documented_names(
    digits, tmp_path, dtype
):
    from sknn_sigmoid.preprocessing import Deskewer

    X, y = digits
    X = X.astype(dtype)
    model = make_pipeline(
        Deskewer(), MinMaxScaler(), SigmoidMLPClassifier((12,), max_iter=4)
    ).fit(X, y)
    loaded, untrusted = round_trip(model, tmp_path)
    assert set(untrusted) == {MLP, DESKEWER}
    assert_same_state(vars(loaded[0]), vars(model[0]), "deskewer")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("pipeline", [False, True], ids=["alone", "pipeline"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_round_trip_is_exact(digits, tmp_path, name, dtype, pipeline):
    model = fitted(name, dtype, digits, pipeline)
    loaded, untrusted = round_trip(model, tmp_path)

    assert (MLP if name.startswith("mlp") else LOGISTIC) in untrusted
    assert_same_state(vars(final(loaded)), vars(final(model)))
    if pipeline:
        assert_same_state(vars(loaded[0]), vars(model[0]), "scaler")
    X = inputs(model, digits, dtype)
    proba = model.predict_proba(X)
    assert proba.dtype == dtype
    np.testing.assert_array_equal(loaded.predict_proba(X), proba)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "name", ["mlp-adam", "mlp-sgd", "logistic-gd", "logistic-adam"]
)
def test_partial_fit_continues_as_the_original(digits, tmp_path, name, dtype):
    model = fitted(name, dtype, digits, pipeline=False)
    loaded, _ = round_trip(model, tmp_path)
    X, y = inputs(model, digits, dtype), digits[1]
    for _ in range(2):
        model.partial_fit(X, y)
        loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.loss_curve_ == model.loss_curve_
    assert loaded.t_ == model.t_


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_warm_start_continues_as_the_original(digits, tmp_path, name, dtype):
    model = fitted(name, dtype, digits, pipeline=True)
    model.set_params(**{f"{model.steps[-1][0]}__warm_start": True})
    loaded, _ = round_trip(model, tmp_path)
    X, y = inputs(model, digits, dtype), digits[1]
    model.fit(X, y)
    loaded.fit(X, y)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert_same_state(vars(final(loaded)), vars(final(model)))


def test_trusting_only_the_listed_types_is_required(digits, tmp_path):
    model = fitted("mlp-adam", np.float64, digits, pipeline=True)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted and all(name.startswith("sknn_sigmoid.") for name in untrusted)
    with pytest.raises(UntrustedTypesFoundException):
        sio.load(path)
    with pytest.raises(UntrustedTypesFoundException):
        sio.load(path, trusted=untrusted[1:])
    loaded = sio.load(path, trusted=sorted(OWN_TYPES))  # a fixed allow-list works
    X = digits[0]
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_dumps_and_loads_in_memory(digits):
    model = fitted("logistic-gd", np.float32, digits, pipeline=True)
    data = sio.dumps(model)
    assert set(sio.get_untrusted_types(data=data)) <= OWN_TYPES
    loaded = sio.loads(data, trusted=sorted(OWN_TYPES))
    X = digits[0].astype(np.float32)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_plain_state_leaves_only_the_estimator_untrusted(digits, tmp_path, monkeypatch):
    # With __getstate__ / __setstate__ going through plain_state / object_state,
    # the training state is saved as dicts, lists, floats and arrays.
    for cls in (SigmoidMLPClassifier, OneVsRestLogistic):
        base_get, base_set = cls.__getstate__, cls.__setstate__
        monkeypatch.setattr(
            cls,
            "__getstate__",
            lambda self, base_get=base_get: plain_state(base_get(self)),
        )
        monkeypatch.setattr(
            cls,
            "__setstate__",
            lambda self, state, base_set=base_set: base_set(self, object_state(state)),
        )
    for name, expected in [("mlp-early-stopping", MLP), ("logistic-adam", LOGISTIC)]:
        model = fitted(name, np.float32, digits, pipeline=True)
        loaded, untrusted = round_trip(model, tmp_path)
        assert untrusted == [expected]
        assert_same_state(vars(final(loaded)), vars(final(model)))
        X = inputs(model, digits, np.float32)
        final(model).partial_fit(model[0].transform(X), digits[1])
        final(loaded).partial_fit(loaded[0].transform(X), digits[1])
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("name", ["mlp-sgd", "mlp-early-stopping", "mlp-lbfgs"])
def test_plain_state_round_trip(digits, name):
    est = fitted(name, np.float64, digits, pipeline=False)
    state = est.__getstate__()  # what pickle and skops save: plain values
    assert state.keys() == plain_state(vars(est)).keys()
    assert isinstance(state["_progress"], dict)
    assert state["_optimizer"] is None or isinstance(state["_optimizer"], dict)
    assert "_work_arrays" not in (state["_optimizer"] or {})
    rebuilt = object_state(state)
    assert_same_state(rebuilt, vars(est))
    assert isinstance(est._progress, Progress)  # the estimator itself is untouched
    # A state that still holds the objects (an older pickle) is taken as it is.
    assert_same_state(object_state(dict(vars(est))), vars(est))
    # And pickle still round-trips.
    assert_same_state(vars(pickle.loads(pickle.dumps(est))), vars(est))


def test_unknown_optimizer_in_plain_state_is_refused():
    with pytest.raises(ValueError, match="Unknown optimizer"):
        object_state({"_optimizer": {"kind": "os.system"}})


# Tampering: an attacker edits schema.json inside the zip file.


def tampered(path, edit):
    """A copy of the skops file at ``path`` whose schema ``edit`` changed."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    schema = json.loads(members["schema.json"])
    edit(schema)
    members["schema.json"] = json.dumps(schema).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    return out.getvalue()


def estimator_attributes(schema):
    """The dict node of the (final) estimator's attributes in a schema."""
    node = schema
    if node["__class__"] == "Pipeline":
        steps = node["content"]["content"]["steps"]["content"]
        node = steps[-1]["content"][1]
    return node["content"]["content"]


def inject_eval(schema):
    estimator_attributes(schema)["loss_"] = {
        "__class__": "eval",
        "__module__": "builtins",
        "__loader__": "FunctionNode",
        "__id__": 1,
    }


def inject_os_system(schema):
    estimator_attributes(schema)["n_iter_"] = {
        "__class__": "system",
        "__module__": "os",
        "__loader__": "ObjectNode",
        "__id__": 2,
    }


def inject_package_function_call(schema):
    # Trusting every name that starts with "sknn_sigmoid." would let a file call a
    # function of the package with arguments of its choice: trust a fixed list.
    estimator_attributes(schema)["t_"] = {
        "__class__": "main",
        "__module__": "sknn_sigmoid.cli",
        "__loader__": "ConstructorFromReduceNode",
        "content": {
            "__class__": "tuple",
            "__module__": "builtins",
            "__loader__": "TupleNode",
            "content": [],
            "__id__": 4,
        },
        "__id__": 3,
    }


@pytest.mark.parametrize(
    "edit, injected",
    [
        (inject_eval, "builtins.eval"),
        (inject_os_system, "os.system"),
        (inject_package_function_call, "sknn_sigmoid.cli.main"),
    ],
)
@pytest.mark.parametrize("pipeline", [False, True], ids=["alone", "pipeline"])
def test_tampered_file_is_refused(digits, tmp_path, edit, injected, pipeline):
    model = fitted("mlp-adam", np.float64, digits, pipeline)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    honest = sio.get_untrusted_types(file=path)
    data = tampered(path, edit)

    untrusted = sio.get_untrusted_types(data=data)
    assert injected in untrusted
    assert set(untrusted) - set(honest) == {injected}
    with pytest.raises(UntrustedTypesFoundException, match=injected):
        sio.loads(data, trusted=honest)
    with pytest.raises(UntrustedTypesFoundException):
        sio.loads(data, trusted=sorted(OWN_TYPES))
    with pytest.raises(UntrustedTypesFoundException):
        sio.loads(data)


def test_tampered_type_loads_only_when_trusted(digits, tmp_path):
    # What the file names is what loading builds: trusting builtins.eval hands the
    # function itself to the estimator (it is not called while loading).
    model = fitted("logistic-gd", np.float64, digits, pipeline=False)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    data = tampered(path, inject_eval)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert loaded.loss_ is eval
    clean = copy.copy(vars(loaded))
    clean["loss_"] = model.loss_
    assert_same_state(clean, vars(model))
