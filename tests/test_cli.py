"""The command line: ``sknn-sigmoid`` / ``python -m sknn_sigmoid``."""

import ast
import importlib.util
import io
import os
import re
import signal
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier, _callbacks, cli
from sknn_sigmoid.cli import CommandError, demo, main

# The MNIST IDX files sit in the ``shared`` folder beside the repository.
MNIST_DIR = Path(
    os.environ.get("SKNN_SIGMOID_MNIST")
    or Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
)
needs_mnist = pytest.mark.skipif(
    not MNIST_DIR.is_dir(),
    reason=f"the MNIST files are not available: no directory {MNIST_DIR} "
    "(set SKNN_SIGMOID_MNIST to the directory of the IDX files)",
)
needs_matplotlib = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None,
    reason="matplotlib (the [plot] extra) is not installed",
)

EPOCH_LINE = re.compile(
    r"^epoch (\d+)/(\d+): loss \d+\.\d+, validation accuracy (\d\.\d+), "
    r"elapsed \S+, left at most \S+$"
)


def run(capsys, *argv):
    """Run the command line in this process; return (status, stdout, stderr)."""
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def digits_test_split():
    """The test part of the digits split that the command line documents."""
    X, y = load_digits(return_X_y=True)
    _, X_test, _, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    return X_test, y_test


def printed_accuracy(out):
    return float(re.search(r"^test accuracy: (\d\.\d{4})$", out, re.M).group(1))


def assert_one_line_error(status, err):
    assert status != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sknn-sigmoid: error: ")
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def saved_mlp(tmp_path_factory):
    """A small MLP trained and saved by ``train``, with what ``train`` printed."""
    path = tmp_path_factory.mktemp("model") / "mlp.joblib"
    out, err = io.StringIO(), io.StringIO()
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        status = main(
            [
                "train",
                "--hidden-layer-sizes",
                "30",
                "--max-iter",
                "40",
                "--early-stopping",
                "--save",
                str(path),
            ]
        )
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    assert status == 0, err.getvalue()
    return path, out.getvalue(), err.getvalue()


def test_demo_trains_both_estimators_and_prints_a_table():
    out = io.StringIO()
    rows = demo(random_state=0, out=out)
    assert [row["name"] for row in rows] == [
        "SigmoidMLPClassifier",
        "OneVsRestLogistic",
    ]
    assert rows[0]["accuracy"] >= 0.95 and rows[1]["accuracy"] >= 0.93
    assert all(row["fit_time"] > 0 for row in rows)
    text = out.getvalue()
    assert "test accuracy" in text and "fit time" in text
    assert f"{rows[0]['accuracy']:.4f}" in text


def test_module_entry_point_runs_the_demo():
    result = subprocess.run(
        [sys.executable, "-m", "sknn_sigmoid", "demo"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "SigmoidMLPClassifier" in result.stdout
    assert "OneVsRestLogistic" in result.stdout


def test_bad_option_exits_non_zero_without_traceback(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--random-state", "many"])
    assert exit_info.value.code != 0
    err = capsys.readouterr().err
    assert "invalid int value" in err and "Traceback" not in err


def test_train_saves_a_pipeline_whose_score_is_the_printed_accuracy(saved_mlp):
    path, out, _ = saved_mlp
    model = joblib.load(path)
    assert isinstance(model, Pipeline)
    assert [name for name, _ in model.steps] == [
        "minmaxscaler",
        "sigmoidmlpclassifier",
    ]
    network = model[-1]
    assert network.hidden_layer_sizes == (30,)
    assert network.max_iter == 40
    X_test, y_test = digits_test_split()
    accuracy = model.score(X_test, y_test)
    assert printed_accuracy(out) == pytest.approx(accuracy, abs=5e-5)
    assert accuracy > 0.85
    assert re.search(r"^fit time: \d+\.\d\d s$", out, re.M)
    assert f"saved to {path}" in out


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_train_with_deskew_saves_a_pipeline_that_deskews_first(
    capsys, tmp_path, solver
):
    from sknn_sigmoid.preprocessing import Deskewer

    path = tmp_path / "deskewed.joblib"
    status, out, err = run(
        capsys, "train", "--deskew", "--solver", solver, "--hidden-layer-sizes",
        "30", "--max-iter", "40", "--random-state", "0", "--quiet", "--save", path,
    )  # fmt: skip
    assert status == 0, err
    assert "estimator: Deskewer + MinMaxScaler + SigmoidMLPClassifier(" in out
    model = joblib.load(path)
    assert [name for name, _ in model.steps] == [
        "deskewer",
        "minmaxscaler",
        "sigmoidmlpclassifier",
    ]
    X_test, y_test = digits_test_split()
    # The scaler was fitted on deskewed images: its minima and maxima are theirs.
    X, y = load_digits(return_X_y=True)
    X_train, _, _, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    deskewed = Deskewer().fit_transform(X_train)
    if solver == "lbfgs":
        np.testing.assert_allclose(model[1].data_max_, deskewed.max(axis=0))
    else:  # fitted on the training part left after the validation hold-out
        # Each column's maximum is a value of that column of the deskewed images.
        for j, top in enumerate(model[1].data_max_):
            assert np.isclose(deskewed[:, j], top, rtol=1e-12, atol=0).any(), j
        assert not np.allclose(model[1].data_max_, X_train.max(axis=0))
    accuracy = model.score(X_test, y_test)
    assert printed_accuracy(out) == pytest.approx(accuracy, abs=5e-5)
    assert accuracy > 0.85


def test_train_prints_progress_per_epoch_and_keeps_the_best_epoch(saved_mlp):
    path, out, err = saved_mlp
    matches = [EPOCH_LINE.match(line) for line in err.splitlines()]
    assert matches and all(matches), err
    epochs = [int(m.group(1)) for m in matches]
    n_epochs = int(re.search(r"^epochs: (\d+)", out, re.M).group(1))
    assert epochs == list(range(1, n_epochs + 1))
    assert {int(m.group(2)) for m in matches} == {40}
    # The saved model is the one fit(early_stopping=True) keeps, that of the epoch of
    # the best validation score (its attributes, as scikit-learn's, count every
    # epoch run).
    scores = [float(m.group(3)) for m in matches]
    model = joblib.load(path)
    network = model[-1]
    best_epoch = int(np.argmax(scores)) + 1
    if best_epoch != n_epochs:
        assert f"; keeping the model of epoch {best_epoch}," in out
    assert network.n_iter_ == n_epochs == len(network.loss_curve_)
    assert network.validation_scores_ == pytest.approx(scores, abs=5e-5)
    assert network.best_validation_score_ == pytest.approx(max(scores), abs=5e-5)
    X, y = load_digits(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    reference = make_pipeline(MinMaxScaler(), SigmoidMLPClassifier(
        hidden_layer_sizes=(30,), max_iter=40, early_stopping=True, random_state=0
    ))  # fmt: skip
    with warnings.catch_warnings():  # it says what the command line says in "epochs:"
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X_train, y_train)
    for fitted, expected in zip(network.coefs_, reference[-1].coefs_):
        np.testing.assert_array_equal(fitted, expected)


def test_evaluate_prints_the_accuracy_of_the_saved_model(saved_mlp, capsys):
    path, train_out, _ = saved_mlp
    status, out, err = run(capsys, "evaluate", path)
    assert status == 0, err
    X_test, y_test = digits_test_split()
    accuracy = joblib.load(path).score(X_test, y_test)
    assert printed_accuracy(out) == pytest.approx(accuracy, abs=5e-5)
    assert printed_accuracy(out) == printed_accuracy(train_out)
    assert "precision" not in out

    status, out, _ = run(capsys, "evaluate", path, "--report", "--digits")
    assert status == 0
    assert "precision" in out and "recall" in out
    assert all(re.search(rf"^\s+{digit}\s+\d\.\d{{4}}", out, re.M) for digit in "09")


@needs_matplotlib
def test_plot_writes_three_png_files(saved_mlp, capsys, tmp_path):
    path, _, _ = saved_mlp
    out_dir = tmp_path / "pictures"
    status, out, err = run(capsys, "plot", path, "--out", out_dir, "--index", 3)
    assert status == 0, err
    files = [Path(line) for line in out.splitlines()]
    assert [f.name for f in files] == [
        "mlp_weights.png",
        "mlp_loss_curve.png",
        "mlp_activations.png",
    ]
    for file in files:
        assert file.parent == out_dir
        assert file.read_bytes().startswith(b"\x89PNG") and file.stat().st_size > 1000


@needs_matplotlib
def test_plot_draws_every_unit_unless_told(capsys, tmp_path, monkeypatch):
    from sknn_sigmoid import inspection

    X, y = load_digits(return_X_y=True)
    path = tmp_path / "wide.joblib"
    model = make_pipeline(MinMaxScaler(), SigmoidMLPClassifier((120,), max_iter=2))
    with pytest.warns(ConvergenceWarning):
        joblib.dump(model.fit(X, y), path)
    drawn = []
    original = inspection.WeightImagesDisplay.plot

    def plot(self, *args, **kwargs):
        drawn.append(len(self.weights))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(inspection.WeightImagesDisplay, "plot", plot)
    for more in ([], ["--max-images", "100"]):
        status, _, err = run(capsys, "plot", path, "--out", tmp_path, *more)
        assert status == 0, err
    assert drawn == [120, 100]


def test_plot_without_matplotlib_says_how_to_install_it(
    saved_mlp, capsys, monkeypatch, tmp_path
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    status, _, err = run(capsys, "plot", saved_mlp[0], "--out", tmp_path)
    assert_one_line_error(status, err)
    assert 'pip install "sknn_sigmoid[plot]"' in err
    assert not list(tmp_path.iterdir())


def test_quiet_prints_no_progress(capsys):
    status, out, err = run(
        capsys, "train", "--solver", "adam", "--max-iter", "3", "--quiet"
    )
    assert status == 0
    assert err == ""
    assert "epochs: 3 (stopped by --max-iter 3)" in out


def test_logistic_with_sgd_full_batch_and_no_validation(capsys, tmp_path):
    path = tmp_path / "logistic.joblib"
    status, out, err = run(
        capsys,
        "train",
        "--estimator", "logistic",
        "--solver", "sgd",
        "--batch-size", "full",
        "--validation-fraction", "0",
        "--max-iter", "5",
        "--save", path,
    )  # fmt: skip
    assert status == 0, err
    network = joblib.load(path)[-1]
    assert isinstance(network, OneVsRestLogistic)
    assert network.solver == "gd" and network.batch_size is None
    assert network.n_iter_ == 5 and network.validation_scores_ is None
    lines = err.splitlines()
    assert len(lines) == 5
    assert all(re.match(r"epoch \d/5: loss \d+\.\d+, elapsed", line) for line in lines)


def test_lbfgs_calls_fit_and_says_there_is_no_progress(capsys):
    status, out, err = run(
        capsys, "train", "--solver", "lbfgs", "--max-iter", "20",
        "--hidden-layer-sizes", "20",
    )  # fmt: skip
    assert status == 0, err
    assert "no per-epoch progress" in err
    assert "epoch 1/" not in err
    assert re.search(r"^iterations: \d+$", out, re.M)
    assert "test accuracy: " in out


def interrupt_in_epoch(monkeypatch, k):
    """Press Ctrl-C as fit begins its k-th epoch: a real SIGINT sent to the main
    thread, which raises KeyboardInterrupt there within that epoch, before its first
    step. Return the list of epochs begun."""
    original = _callbacks.EpochCallbacks.epoch_begins
    begun = []

    def epoch_begins(self):
        begun.append(len(begun) + 1)
        if len(begun) == k:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        return original(self)

    monkeypatch.setattr(_callbacks.EpochCallbacks, "epoch_begins", epoch_begins)
    return begun


def test_ctrl_c_keeps_the_model_of_the_last_completed_epoch(
    capsys, monkeypatch, tmp_path
):
    begun = interrupt_in_epoch(monkeypatch, 3)
    path = tmp_path / "interrupted.joblib"
    status, out, err = run(capsys, "train", "--solver", "adam", "--save", path)
    assert status == 0, err
    assert begun == [1, 2, 3]
    assert "training interrupted after 2 epochs" in err
    assert "Traceback" not in err
    assert "epochs: 2 (interrupted)" in out
    model = joblib.load(path)
    assert model[-1].n_iter_ == 2
    assert len(model[-1].loss_curve_) == 2
    X_test, y_test = digits_test_split()
    assert model.predict(X_test).shape == y_test.shape
    assert printed_accuracy(out) == pytest.approx(model.score(X_test, y_test), abs=5e-5)


def test_ctrl_c_with_early_stopping_keeps_the_best_completed_epoch(
    capsys, monkeypatch, tmp_path
):
    interrupt_in_epoch(monkeypatch, 6)
    path = tmp_path / "interrupted.joblib"
    status, out, err = run(capsys, "train", "--early-stopping", "--save", path)
    assert status == 0, err
    scores = [float(m.group(3)) for m in map(EPOCH_LINE.match, err.splitlines()) if m]
    assert len(scores) == 5
    best = int(np.argmax(scores)) + 1
    assert f"interrupted after 5 epochs; keeping the model of epoch {best}" in err
    model = joblib.load(path)
    assert model[-1].n_iter_ == 5
    assert model[-1].validation_scores_ == pytest.approx(scores, abs=5e-5)


def test_ctrl_c_while_scoring_drops_the_epoch_not_yet_scored(
    capsys, monkeypatch, tmp_path
):
    # Interrupted after epoch 3's steps, while its validation accuracy is computed:
    # the epoch is not complete, so the model of epoch 2 is kept, with its scores.
    from sknn_sigmoid import _training

    original = _training.Validation.evaluate
    calls = []

    def evaluate(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(_training.Validation, "evaluate", evaluate)
    path = tmp_path / "interrupted.joblib"
    status, out, err = run(capsys, "train", "--early-stopping", "--save", path, "-q")
    assert status == 0, err
    assert "interrupted after 2 epochs; keeping the model of epoch" in err
    network = joblib.load(path)[-1]
    assert network.n_iter_ == 2 and len(network.validation_scores_) == 2


def test_a_diverged_epoch_ends_training_and_is_not_counted(capsys, tmp_path):
    path = tmp_path / "diverged.joblib"
    status, out, err = run(
        capsys, "train", "--solver", "sgd", "--learning-rate-init", "1e8",
        "--max-iter", "20", "--save", path, "-q",
    )  # fmt: skip
    assert status == 0, err
    epochs = int(re.search(r"^epochs: (\d+) \(stopped by divergence in epoch", out,
                           re.M).group(1))  # fmt: skip
    assert f"Training diverged in epoch {epochs + 1}" in err
    assert joblib.load(path)[-1].n_iter_ == epochs


def test_ctrl_c_before_the_first_epoch_exits_130(capsys, monkeypatch, tmp_path):
    interrupt_in_epoch(monkeypatch, 1)
    path = tmp_path / "never.joblib"
    status, _, err = run(capsys, "train", "--save", path, "--quiet")
    assert status == 130
    assert err.strip() == "sknn-sigmoid: interrupted"
    assert not path.exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["evaluate", "{tmp}/missing.joblib"], "model file not found"),
        pytest.param(
            ["plot", "{tmp}/missing.joblib"],
            "model file not found",
            marks=needs_matplotlib,
        ),
        (["evaluate", "{tmp}/garbage.joblib"], "cannot read model"),
        (["train", "--mnist", "{tmp}/no-mnist-here"], "MNIST directory not found"),
        (["train", "--learning-rate-init", "-0.1"], "learning_rate_init"),
        (["train", "--batch-size", "0"], "batch_size"),
        (["train", "--estimator", "logistic", "--loss", "log_loss"], "--loss"),
        (["train", "--validation-fraction", "1"], "--validation-fraction"),
        (["train", "--max-iter", "0"], "--max-iter"),
        (["train", "--save", "{tmp}/no/such/dir/m.joblib"], "cannot save"),
        (["train", "--max-samples", "0"], "--max-samples"),
    ],
)
def test_errors_print_one_line_and_exit_non_zero(capsys, tmp_path, argv, message):
    (tmp_path / "garbage.joblib").write_text("not a model")
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    if argv[0] == "train":
        argv.append("--quiet")
    status, _, err = run(capsys, *argv)
    assert status == 1
    assert_one_line_error(status, err)
    assert message in err


@pytest.fixture
def data_reads(monkeypatch):
    """Record the command line's reads of data, and make each one fail."""
    reads = []

    def load_data(*args, **kwargs):
        reads.append((args, kwargs))
        raise CommandError("this test reads no data")

    monkeypatch.setattr(cli, "load_data", load_data)
    return reads


def _with_matplotlib(*values):
    return pytest.param(*values, marks=needs_matplotlib)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--save", "{tmp}"], "it is a directory; --save takes the path"),
        (["train", "--save", "{tmp}/file/m.joblib"], "no directory {tmp}/file."),
        (["train", "--save", "{tmp}/no/such/dir/m.joblib"], "no directory"),
        (["demo", "--max-iter", "0"], "--max-iter must be at least 1; got 0."),
        (
            ["train", "--early-stopping", "--validation-fraction", "0"],
            "--early-stopping needs a validation set",
        ),
        (
            ["train", "--early-stopping", "--solver", "lbfgs"],
            "--early-stopping does not apply to --solver lbfgs",
        ),
        (["demo", "--mnist", "{tmp}", "--max-iter", "0"], "--max-iter must be at"),
        _with_matplotlib(
            ["plot", "{model}", "--out", "{tmp}/file"],
            "--out must be a directory (created if missing); got {tmp}/file, which "
            "is a file.",
        ),
        _with_matplotlib(
            ["plot", "{model}", "--out", "{tmp}/file/pictures"],
            "got {tmp}/file/pictures, inside {tmp}/file, a file.",
        ),
        _with_matplotlib(
            ["plot", "{model}", "--index", "-1"], "--index must be at least 0; got -1."
        ),
    ],
)
def test_bad_options_are_reported_before_any_data_are_read(
    saved_mlp, capsys, tmp_path, data_reads, argv, message
):
    (tmp_path / "file").write_text("not a directory")
    names = {"tmp": tmp_path, "model": saved_mlp[0]}
    argv = [arg.format(**names) for arg in argv]
    status, out, err = run(capsys, *argv)
    assert status == 1
    assert_one_line_error(status, err)
    assert message.format(**names) in err
    assert out == ""
    assert data_reads == []


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--alpha", "-1"], "The 'alpha' parameter of SigmoidMLPClassifier"),
        (["--learning-rate-init", "0"], "'learning_rate_init' parameter"),
        (["--batch-size", "0"], "'batch_size' parameter"),
        (["--hidden-layer-sizes", "0"], "'hidden_layer_sizes' parameter"),
        (["--tol", "-1"], "'tol' parameter"),
        (
            ["--estimator", "logistic", "--momentum", "1.5"],
            "The 'momentum' parameter of OneVsRestLogistic",
        ),
    ],
)
def test_bad_estimator_parameters_are_reported_by_fit_in_one_line(
    capsys, tmp_path, argv, message
):
    # The estimator checks its parameters when fit is called, before it trains:
    # its message, in one line, and nothing saved.
    path = tmp_path / "never.joblib"
    status, out, err = run(capsys, "train", *argv, "--save", path, "--quiet")
    assert status == 1
    assert_one_line_error(status, err)
    assert message in err
    assert "test accuracy" not in out and not path.exists()


def private(name):
    return name.startswith("_") and not name.endswith("__")


def test_cli_is_a_client_of_the_public_api():
    # One training loop, the estimators': the command line calls fit, reads no
    # private attribute (of an estimator or anything else) and imports no private
    # module or name of the package.
    source = Path(cli.__file__).read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            assert not private(node.attr), f"line {node.lineno}: .{node.attr}"
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            assert not any(map(private, module.split("."))), f"line {node.lineno}"
            assert not any(private(alias.name) for alias in node.names), node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                assert not any(map(private, alias.name.split("."))), node.lineno
    assert not re.search(r"\._[a-z]", source)  # not even in a string or comment
    for name in ("_progress", "_parameter_constraints", "_flat_start_message",
                 "partial_fit", "train_epochs"):  # fmt: skip
        assert name not in source, name
    # No loop over epochs: fit runs them.
    assert not re.search(r"^\s*(for|while)\b.*(epoch|max_iter)", source, re.M)


def test_train_says_when_the_outputs_barely_moved(capsys):
    status, out, err = run(capsys, "train", "--solver", "adam", "--alpha", "10", "-q")
    assert status == 0, err
    assert "training ended at a loss of" in err
    assert "barely moved from those frequencies" in err
    status, out, err = run(capsys, "train", "-q")
    assert "barely moved" not in err


def test_early_stopping_needs_two_held_out_samples(capsys):
    # As early_stopping=True in fit: 10% of 9 samples is 1.
    status, out, err = run(capsys, "train", "--early-stopping", "--max-samples", "9")
    assert_one_line_error(status, err)
    assert "--early-stopping: the validation set is too small (1 sample of 9)" in err
    status, out, err = run(
        capsys, "train", "--early-stopping", "--max-samples", "9",
        "--validation-fraction", "0.2", "--max-iter", "2",
    )  # fmt: skip
    assert status == 0, err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--save", "{tmp}/m.joblib"], "cannot save to {tmp}/m.joblib: "),
        _with_matplotlib(
            ["plot", "{model}", "--out", "{tmp}/new/pictures"],
            "--out cannot be written to: {tmp}/new/pictures: ",
        ),
    ],
)
def test_unwritable_places_are_reported_before_any_data_are_read(
    saved_mlp, capsys, tmp_path, data_reads, monkeypatch, argv, message
):
    # What a read-only directory or file system gives (root may write anywhere
    # else, so the refusal is simulated where the command line asks for it).
    def refuse(**kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli.tempfile, "mkstemp", refuse)
    names = {"tmp": tmp_path, "model": saved_mlp[0]}
    status, out, err = run(capsys, *[arg.format(**names) for arg in argv])
    assert_one_line_error(status, err)
    assert message.format(**names) + "Permission denied" in err
    assert data_reads == [] and out == ""
    assert not (tmp_path / "new").exists()


@needs_matplotlib
def test_a_model_the_displays_cannot_draw_leaves_no_out_directory(capsys, tmp_path):
    X, y = load_digits(return_X_y=True)
    path = tmp_path / "lr.joblib"
    joblib.dump(make_pipeline(MinMaxScaler(), LogisticRegression()).fit(X, y), path)
    status, _, err = run(capsys, "plot", path, "--out", tmp_path / "pictures")
    assert_one_line_error(status, err)
    assert "cannot plot" in err and "got LogisticRegression" in err
    assert not (tmp_path / "pictures").exists()


def test_broken_pipe_ends_quietly(saved_mlp):
    # `sknn-sigmoid evaluate m.joblib --report | head -1`: the reader has gone, so
    # writing fails; no message about it, and status 1.
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "sknn_sigmoid", "evaluate", str(saved_mlp[0]),
             "--report"],
            stdout=write, stderr=subprocess.PIPE, text=True, timeout=120,
        )  # fmt: skip
    finally:
        os.close(write)
    assert result.returncode == 1
    assert result.stderr == ""


# A five-epoch model is enough to be refused; it has not converged, and says so.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_evaluate_refuses_a_multilabel_model(capsys, tmp_path):
    X, y = load_digits(return_X_y=True)
    Y = np.c_[y % 2, y % 3 == 0, y > 4].astype(int)
    path = tmp_path / "multilabel.joblib"
    joblib.dump(SigmoidMLPClassifier(max_iter=5).fit(X / 16, Y), path)
    status, _, err = run(capsys, "evaluate", path)
    assert_one_line_error(status, err)
    assert "trained on a multilabel indicator matrix" in err


@needs_matplotlib
def test_plot_out_must_be_a_directory(saved_mlp, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("o.txt").write_text("")
    status, _, err = run(capsys, "plot", saved_mlp[0], "--out", "o.txt")
    assert_one_line_error(status, err)
    assert "--out must be a directory" in err and "o.txt, which is a file" in err
    assert Path("o.txt").read_text() == ""


@pytest.mark.parametrize("rate", ["constant", "adaptive"])
def test_n_iter_no_change_counts_as_the_estimators_do(capsys, rate):
    # Only the first epoch improves by tol. With a constant rate the estimator stops
    # once more than n_iter_no_change=2 epochs brought no improvement, after epoch 4;
    # an adaptive rate is divided by 5 instead, every 3 epochs, and training stops
    # when it is down to 1e-6: after 1 + 3 * 6 = 19 epochs (0.01 / 5**6 < 1e-6).
    X, y = load_digits(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    estimator = SigmoidMLPClassifier(
        solver="adam", learning_rate=rate, tol=100, n_iter_no_change=2, random_state=0
    ).fit(X_train / 16, y_train)
    assert estimator.n_iter_ == {"constant": 4, "adaptive": 19}[rate]
    for tol in (
        ["--tol", "100", "--validation-fraction", "0"],
        ["--tol", "2", "--early-stopping"],
    ):
        status, out, err = run(
            capsys, "train", *tol, "--n-iter-no-change", "2", "--max-iter", "30",
            "--learning-rate", rate, "--solver", "adam", "-q",
        )  # fmt: skip
        assert status == 0, err
        assert f"epochs: {estimator.n_iter_} (stopped by no improvement)" in out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "more than N epochs in a row without an improvement of --tol" in help_text


def _help(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_digits_help_names_the_seed_of_the_split(capsys, data_reads):
    assert "stratify=y, random_state=N), N being --random-state" in _help(
        capsys, "demo"
    )
    for command in ("train", "evaluate", "plot"):
        assert "stratify=y, random_state=0)" in _help(capsys, command)
    # What the help says: demo splits the digits with its --random-state.
    run(capsys, "demo", "--random-state", "7")
    assert data_reads[0][1]["random_state"] == 7


def test_model_and_data_that_do_not_fit_together(saved_mlp, capsys, tmp_path):
    # A digits model (64 pixels) cannot score 28x28 images.
    mnist = tmp_path / "mnist"
    mnist.mkdir()
    _write_tiny_mnist(mnist)
    status, _, err = run(capsys, "evaluate", saved_mlp[0], "--mnist", mnist)
    assert_one_line_error(status, err)
    assert "does not fit the data" in err and "784 features" in err


def test_a_model_of_other_labels_is_refused(capsys, tmp_path):
    # A model trained on names of digits scores 0 on digits: a mistake, not a score.
    X_train, _, y_train, _ = train_test_split(
        *load_digits(return_X_y=True), test_size=0.25, random_state=0
    )
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven",
                      "eight", "nine"])  # fmt: skip
    path = tmp_path / "names.joblib"
    model = make_pipeline(MinMaxScaler(), OneVsRestLogistic(max_iter=5))
    with pytest.warns(ConvergenceWarning):
        joblib.dump(model.fit(X_train, names[y_train]), path)
    status, out, err = run(capsys, "evaluate", path)
    assert_one_line_error(status, err)
    assert "none of which is a label of the test data ([0, 1, 2," in err
    assert "test accuracy" not in out


def _write_tiny_mnist(directory, n=20):
    """Write tiny IDX files: n random images of 28x28 pixels for each split."""
    rng = np.random.default_rng(0)
    for images, labels in [
        ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    ]:
        pixels = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        (directory / images).write_bytes(
            bytes([0, 0, 8, 3]) + np.array([n, 28, 28], ">u4").tobytes()
            + pixels.tobytes()
        )  # fmt: skip
        digits = (np.arange(n) % 10).astype(np.uint8)
        (directory / labels).write_bytes(
            bytes([0, 0, 8, 1]) + np.array([n], ">u4").tobytes() + digits.tobytes()
        )


def test_python_m_train_saves_a_model(tmp_path):
    path = tmp_path / "sub.joblib"
    result = subprocess.run(
        [sys.executable, "-m", "sknn_sigmoid", "train", "--estimator", "logistic",
         "--max-iter", "10", "--save", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    model = joblib.load(path)
    X_test, y_test = digits_test_split()
    assert printed_accuracy(result.stdout) == pytest.approx(
        model.score(X_test, y_test), abs=5e-5
    )
    assert model.score(X_test, y_test) > 0.85


@needs_mnist
def test_train_on_a_subset_of_mnist(capsys, tmp_path):
    path = tmp_path / "mnist.joblib"
    status, out, err = run(
        capsys,
        "train", "--mnist", MNIST_DIR, "--max-samples", "1000",
        "--hidden-layer-sizes", "30", "--batch-size", "50", "--max-iter", "20",
        "--save", path,
    )  # fmt: skip
    assert status == 0, err
    assert "1000 training and 1000 test images of 784 pixels" in out
    model = joblib.load(path)
    assert model[-1].n_features_in_ == 784
    status, out, err = run(
        capsys, "evaluate", path, "--mnist", MNIST_DIR, "--max-samples", "1000"
    )
    assert status == 0, err
    assert printed_accuracy(out) > 0.6


@needs_mnist
def test_demo_on_a_subset_of_mnist(capsys):
    status, out, err = run(
        capsys, "demo", "--mnist", MNIST_DIR, "--max-samples", "500", "--max-iter", "2"
    )
    assert status == 0, err
    assert "500 training and 500 test images of 784 pixels" in out
    assert "at most 2 epochs" in out
    # 500 images of 784 pixels: solver="auto" chooses L-BFGS, 5 * 2 iterations.
    rows = re.findall(r"^(\w+)\s+(\d\.\d{4})\s+(\d+\.\d\d)$", out, re.M)
    assert [row[0] for row in rows] == ["SigmoidMLPClassifier", "OneVsRestLogistic"]
    assert all(float(row[1]) > 0.3 for row in rows)
    assert "SigmoidMLPClassifier: iteration 10/10: loss" in err
