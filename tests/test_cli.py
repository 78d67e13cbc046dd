"""The command line: ``sknn-sigmoid`` / ``python -m sknn_sigmoid``."""

import io
import subprocess
import sys

import pytest

from sknn_sigmoid.cli import demo, main


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
