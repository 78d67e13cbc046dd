"""The README's example runs and prints what it says."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


# scikit-learn 1.6.0's GridSearchCV makes one array of the candidates' layer sizes,
# tuples of different lengths, and NumPy before 1.24 warns about it (later versions
# of either do not).
@pytest.mark.filterwarnings("ignore:Creating an ndarray from ragged nested sequences")
def test_readme_example_runs(capsys):
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    exec(compile(blocks[0], "README.md", "exec"), {})
    printed = capsys.readouterr().out.split("\n")
    mlp_score, best, baseline_score = printed[0], printed[1], printed[2]
    assert float(mlp_score) >= 0.95
    assert "hidden_layer_sizes" in best
    assert float(baseline_score) >= 0.93


def test_quick_start_has_exactly_two_commands():
    text = README.read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```\n(.*?)```", section, flags=re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 2
    assert lines[0].startswith("pip install .") and "demo" in lines[0]
    assert "[test]" in lines[1] and "pytest" in lines[1]
