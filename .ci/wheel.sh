#!/usr/bin/env bash
# The wheel alone: build the source distribution and the wheel from it, check that the
# wheel carries the sknn_sigmoid package and its metadata only, install it with its
# test extra (from the package index) into a fresh virtual environment, and run the
# command line's demo, the test suite and the installed modules' doctests against it,
# in folders away from the repository, so that nothing imports the repository's copy.
#
# Usage, from the repository root: bash .ci/wheel.sh [PYTEST ARGUMENTS...]
# Any arguments go to pytest, after the stage's own (e.g. -x, or -k to pick tests).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off
unset PYTHONPATH

work=$(mktemp -d)
finish() {
    status=$?
    rm -rf "$work"
    echo "== wheel stage: $((SECONDS / 60))m $((SECONDS % 60))s (exit status $status)"
}
trap finish EXIT
step() {
    echo "== wheel: $* (at ${SECONDS}s)"
}
fail() {
    echo "wheel stage FAILED: $*" >&2
    exit 1
}

step "build"
python3 -m venv "$work/build-venv"
"$work/build-venv/bin/python" -m pip install -q --upgrade pip build
"$work/build-venv/bin/python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 ||
    { cat "$work/build.log"; fail "the build failed"; }
shopt -s nullglob
wheels=("$work"/dist/*.whl)
shopt -u nullglob
[ "${#wheels[@]}" -eq 1 ] || fail "expected one wheel in $work/dist, got ${#wheels[@]}"
wheel=${wheels[0]}
echo "${wheel##*/}"

step "contents (the package and its metadata only)"
python3 - "$wheel" <<'EOF'
import re
import sys
import zipfile

names = zipfile.ZipFile(sys.argv[1]).namelist()
for name in names:
    print("  " + name)
allowed = re.compile(r"sknn_sigmoid/[^/]|sknn_sigmoid-[^/-]+\.dist-info/[^/]")
stray = [name for name in names if not allowed.match(name)]
if stray:
    sys.exit(f"wheel stage FAILED: files outside sknn_sigmoid/ and its .dist-info: {stray}")
for needed in ("sknn_sigmoid/__init__.py", ".dist-info/METADATA", ".dist-info/licenses/"):
    if not any(needed in name for name in names):
        sys.exit(f"wheel stage FAILED: nothing in the wheel matches {needed!r}")
print(f"{len(names)} files, all in sknn_sigmoid/ or its .dist-info/")
EOF

step "install it alone, with its test extra, in a fresh environment"
python3 -m venv "$work/wheel-env"
# shellcheck disable=SC1091
source "$work/wheel-env/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q "$wheel[test]"

# Everything from here runs outside the repository, so that the current folder on
# sys.path cannot bring its copy of the package in.
mkdir "$work/outside"
cd "$work/outside"
pkgdir=$(python -c "import sysconfig; print(sysconfig.get_path('purelib'))")/sknn_sigmoid
pkgdir=$(realpath "$pkgdir")
imported=$(python -c "import os, sknn_sigmoid; \
print(os.path.dirname(os.path.realpath(sknn_sigmoid.__file__)))")
echo "sknn_sigmoid imported from $imported"
[ "$imported" = "$pkgdir" ] ||
    fail "sknn_sigmoid is imported from $imported, not from the environment's $pkgdir"
case "$imported/" in
"$repo"/*) fail "sknn_sigmoid is imported from the repository ($imported)" ;;
esac

step "python -m sknn_sigmoid demo"
python -m sknn_sigmoid demo

step "the test suite and the doctests, against the installed package"
# A copy of the tests with what they read beside them: the conftest.py of the
# repository root (which sets SCIPY_ARRAY_API), README.md (whose example a test runs)
# and pyproject.toml, whose pytest settings are read from it as they are when the
# run is over the source tree (its testpaths are not: the paths are given below).
suite="$work/suite"
mkdir "$suite"
cp -R "$repo/tests" "$suite/tests"
cp "$repo"/{conftest.py,README.md,pyproject.toml} "$suite/"
find "$suite" -name __pycache__ -prune -exec rm -rf {} +

# As in the main run: where the shared folder is beside the repository, the tests
# that read its MNIST files must run, not be skipped. The copied tests would look for
# it beside the temporary folder, so they are told where it is.
if [ -d "$repo/../shared" ]; then
    export SKNN_SIGMOID_REQUIRE_MNIST=1
else
    echo "no ../shared beside the repository: the MNIST tests will be skipped"
fi
SKNN_SIGMOID_MNIST=${SKNN_SIGMOID_MNIST:-$(realpath -m "$repo/../shared/data/mnist")}
export SKNN_SIGMOID_MNIST

# A pytest plugin that fails the run if any sknn_sigmoid module comes from anywhere
# but the installed wheel: when the session starts, after collection, and at the end.
cat >"$suite/installed_package_only.py" <<'EOF'
"""Fail the run if sknn_sigmoid is imported from anywhere but the installed wheel."""

import os
import sys
from pathlib import Path

import pytest

INSTALLED = Path(os.environ["SKNN_SIGMOID_INSTALLED_AT"])


def _strays():
    strays = []
    for name, module in list(sys.modules.items()):
        if name == "sknn_sigmoid" or name.startswith("sknn_sigmoid."):
            path = getattr(module, "__file__", None)
            if path is None or INSTALLED not in Path(path).resolve().parents:
                strays.append(f"{name} from {path}")
    return strays


def pytest_sessionstart(session):
    import sknn_sigmoid  # noqa: F401 (after the conftest files have set the environment)

    if strays := _strays():
        raise pytest.UsageError(f"sknn_sigmoid is not the installed wheel: {strays}")


def pytest_collection_finish(session):
    if strays := _strays():
        pytest.exit(f"sknn_sigmoid is not the installed wheel: {strays}", returncode=3)


def pytest_sessionfinish(session, exitstatus):
    if strays := _strays():
        print(f"\nsknn_sigmoid is not the installed wheel: {strays}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
EOF
export SKNN_SIGMOID_INSTALLED_AT="$pkgdir"

# The repository's conftest.py keeps some of the package's files (paths relative to
# the repository root) out of the doctest collection: the same files of the installed
# package are kept out here.
ignored=$(python -c "import runpy, sys; \
print(*runpy.run_path(sys.argv[1]).get('collect_ignore', []), sep='\n')" "$suite/conftest.py")
ignores=()
while IFS= read -r path; do
    case "$path" in
    sknn_sigmoid/*) ignores+=("--ignore=$pkgdir/${path#sknn_sigmoid/}") ;;
    esac
done <<<"$ignored"

cd "$suite"
pytest_command=(python -m pytest -q -p no:cacheprovider -p installed_package_only
    -c pyproject.toml --rootdir . ${ignores[@]+"${ignores[@]}"} tests "$pkgdir" "$@")
echo "+ (in $suite) ${pytest_command[*]}"
"${pytest_command[@]}"
