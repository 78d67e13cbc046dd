"""Write the intersphinx inventories the documentation links through.

The documentation links to scikit-learn, NumPy, SciPy, joblib, Matplotlib and Python
pages. Intersphinx would download each project's ``objects.inv`` at every build; this
script writes small inventories of only the objects these docs refer to into
``docs/_inventories/``, so that the build needs no network. ``conf.py`` reads them
there while the links point to the projects' real pages::

    intersphinx_mapping = {
        "sklearn": ("https://scikit-learn.org/stable/", "_inventories/sklearn.inv"),
        ...
    }

The files use Sphinx's inventory format, version 2: four header lines, then one zlib
compressed line per object, ``name domain:role priority uri display-name``, where a
``$`` at the end of ``uri`` stands for ``name`` and a display name ``-`` for the name
itself. To link to another object, add it to ``INVENTORIES`` with the address of its
page and run, from the repository root::

    python docs/make_inventories.py          # write docs/_inventories/*.inv
    python docs/make_inventories.py --check  # exit 1 if the files are out of date

The output depends only on this file, so the committed inventories are reproducible.
"""

import argparse
import sys
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent / "_inventories"


def _pages(prefix, role, names, directory):
    """Objects that each have a page ``directory/<name>.html``."""
    return [(f"{prefix}{n}", role, f"{directory}{prefix}{n}.html#$") for n in names]


def _on_page(prefix, role, names, page):
    """Objects documented together on one page, each at its own anchor."""
    return [(f"{prefix}{n}", role, f"{page}#$") for n in names]


def _sklearn():
    gen = "modules/generated/"
    classes = [
        "base.BaseEstimator",
        "base.ClassifierMixin",
        "exceptions.ConvergenceWarning",
        "linear_model.LogisticRegression",
        "linear_model.SGDClassifier",
        "metrics.ConfusionMatrixDisplay",
        "model_selection.GridSearchCV",
        "multiclass.OneVsRestClassifier",
        "neural_network.MLPClassifier",
        "pipeline.Pipeline",
        "preprocessing.LabelBinarizer",
        "preprocessing.MinMaxScaler",
        "preprocessing.OneHotEncoder",
        "preprocessing.StandardScaler",
        "utils.Bunch",
    ]
    functions = [
        "base.clone",
        "datasets.fetch_openml",
        "datasets.load_digits",
        "metrics.accuracy_score",
        "metrics.classification_report",
        "model_selection.cross_val_score",
        "model_selection.train_test_split",
        "pipeline.make_pipeline",
        "utils.check_random_state",
        "utils.estimator_checks.check_estimator",
        "utils.estimator_checks.parametrize_with_checks",
        "utils.validation.check_is_fitted",
        "utils.validation.validate_data",
    ]
    methods = [
        ("base.BaseEstimator", "get_params"),
        ("base.BaseEstimator", "set_params"),
        ("base.ClassifierMixin", "score"),
        ("neural_network.MLPClassifier", "fit"),
        ("neural_network.MLPClassifier", "partial_fit"),
        ("pipeline.Pipeline", "fit"),
    ]
    labels = [
        (
            "accuracy_score",
            "modules/model_evaluation.html#accuracy-score",
            "Accuracy score",
        ),
        (
            "grid_search",
            "modules/grid_search.html#grid-search",
            "Tuning the hyper-parameters of an estimator",
        ),
        (
            "metadata_routing",
            "metadata_routing.html#metadata-routing",
            "Metadata Routing",
        ),
        (
            "mlp_tips",
            "modules/neural_networks_supervised.html#mlp-tips",
            "Tips on Practical Use",
        ),
        (
            "model_persistence",
            "model_persistence.html#model-persistence",
            "Model persistence",
        ),
        (
            "multiclass",
            "modules/multiclass.html#multiclass",
            "Multiclass and multioutput algorithms",
        ),
        (
            "neural_networks_supervised",
            "modules/neural_networks_supervised.html#neural-networks-supervised",
            "Neural network models (supervised)",
        ),
        ("parallelism", "computing/parallelism.html#parallelism", "Parallelism"),
        ("pipeline", "modules/compose.html#pipeline", "Pipeline: chaining estimators"),
        (
            "scaling_strategies",
            "computing/scaling_strategies.html#scaling-strategies",
            "Strategies to scale computationally: bigger data",
        ),
    ]
    terms = [
        "array-like",
        "class_weight",
        "classes_",
        "decision_function",
        "early stopping",
        "feature_names_in_",
        "fit",
        "n_features_in_",
        "n_jobs",
        "partial_fit",
        "predict_proba",
        "random_state",
        "sample_weight",
        "sparse matrix",
        "warm_start",
    ]
    return (
        _pages("sklearn.", "py:class", classes, gen)
        + _pages("sklearn.", "py:function", functions, gen)
        + [
            (f"sklearn.{c}.{m}", "py:method", f"{gen}sklearn.{c}.html#$")
            for c, m in methods
        ]
        + [
            (
                "sklearn.neural_network",
                "py:module",
                "api/sklearn.neural_network.html#module-sklearn.neural_network",
            ),
        ]
        + [(name, "std:label", uri, title) for name, uri, title in labels]
        + [(t, "std:term", "glossary.html#term-" + t.replace(" ", "-")) for t in terms]
    )


def _numpy():
    gen = "reference/generated/"
    return (
        [("numpy", "py:module", "reference/index.html#module-numpy")]
        + _pages("numpy.", "py:class", ["dtype", "finfo", "memmap", "ndarray"], gen)
        + _pages(
            "numpy.",
            "py:function",
            ["argmax", "asarray", "clip", "flatnonzero", "load", "save"],
            gen,
        )
        + _pages("numpy.", "py:function", ["lib.format.open_memmap"], gen)
        + _on_page(
            "numpy.",
            "py:attribute",
            ["float32", "float64", "uint8"],
            "reference/arrays.scalars.html",
        )
        + _on_page("numpy.", "py:data", ["inf", "nan"], "reference/constants.html")
        + [
            ("numpy.random.RandomState", "py:class", "reference/random/legacy.html#$"),
            (
                "numpy.random.default_rng",
                "py:function",
                "reference/random/generator.html#$",
            ),
            ("array_like", "std:term", "glossary.html#term-array_like"),
            (
                "arrays.scalars",
                "std:label",
                "reference/arrays.scalars.html#arrays-scalars",
                "Scalars",
            ),
        ]
    )


def _scipy():
    gen = "reference/generated/"
    return (
        [("scipy.sparse", "py:module", "reference/sparse.html#module-scipy.sparse")]
        + _pages(
            "scipy.sparse.",
            "py:class",
            ["csc_array", "csc_matrix", "csr_array", "csr_matrix"],
            gen,
        )
        + _pages("scipy.special.", "py:data", ["expit", "xlog1py", "xlogy"], gen)
        + _pages("scipy.optimize.", "py:function", ["fmin_l_bfgs_b", "minimize"], gen)
    )


def _joblib():
    return _pages(
        "joblib.",
        "py:class",
        ["Memory", "Parallel", "parallel_backend", "parallel_config"],
        "generated/",
    ) + _pages("joblib.", "py:function", ["delayed", "dump", "load"], "generated/")


def _matplotlib():
    gen = "api/_as_gen/"
    return (
        _pages(
            "matplotlib.",
            "py:class",
            [
                "axes.Axes",
                "colors.Colormap",
                "figure.Figure",
                "lines.Line2D",
                "patches.Rectangle",
            ],
            gen,
        )
        + _pages(
            "matplotlib.",
            "py:method",
            [
                "axes.Axes.imshow",
                "axes.Axes.plot",
                "figure.Figure.savefig",
                "figure.Figure.suptitle",
            ],
            gen,
        )
        + _pages(
            "matplotlib.pyplot.", "py:function", ["figure", "show", "subplots"], gen
        )
        + [
            ("matplotlib.image.AxesImage", "py:class", "api/image_api.html#$"),
            ("matplotlib.colorbar.Colorbar", "py:class", "api/colorbar_api.html#$"),
            ("matplotlib.pyplot", "py:module", "api/pyplot_summary.html#module-$"),
        ]
    )


def _python():
    # Python's own objects that numpydoc links parameter types to ("int", "None" ...).
    return (
        _on_page(
            "",
            "py:class",
            ["bool", "float", "int", "object"],
            "library/functions.html",
        )
        + _on_page(
            "", "py:class", ["dict", "list", "str", "tuple"], "library/stdtypes.html"
        )
        + _on_page("", "py:function", ["callable"], "library/functions.html")
        + _on_page("", "py:data", ["False", "None", "True"], "library/constants.html")
        + [
            ("KeyboardInterrupt", "py:exception", "library/exceptions.html#$"),
            ("OSError", "py:exception", "library/exceptions.html#$"),
            ("ValueError", "py:exception", "library/exceptions.html#$"),
            ("collections.namedtuple", "py:function", "library/collections.html#$"),
            ("contextlib.contextmanager", "py:function", "library/contextlib.html#$"),
            ("os.PathLike", "py:class", "library/os.html#$"),
            ("pickle", "py:module", "library/pickle.html#module-$"),
            ("tracemalloc", "py:module", "library/tracemalloc.html#module-$"),
            (
                "bltin-boolean-values",
                "std:label",
                "library/stdtypes.html#bltin-boolean-values",
                "Boolean Type - bool",
            ),
            ("file object", "std:term", "glossary.html#term-file-object"),
            ("generator", "std:term", "glossary.html#term-generator"),
            ("iterable", "std:term", "glossary.html#term-iterable"),
            ("sequence", "std:term", "glossary.html#term-sequence"),
        ]
    )


# file stem: (project, version, objects). The URIs are relative to the base URL that
# conf.py's intersphinx_mapping gives the file.
INVENTORIES = {
    "sklearn": ("scikit-learn", "stable", _sklearn),
    "numpy": ("NumPy", "stable", _numpy),
    "scipy": ("SciPy", "stable", _scipy),
    "joblib": ("joblib", "stable", _joblib),
    "matplotlib": ("Matplotlib", "stable", _matplotlib),
    "python": ("Python", "3", _python),
}

# Sphinx's search priorities: modules 0, other Python objects 1, labels and terms -1.
_PRIORITY = {"py:module": 0, "std:label": -1, "std:term": -1}


def inventory(project, version, objects):
    """The bytes of an inventory (format version 2) listing ``objects``.

    Parameters
    ----------
    project, version : str
        The header's project name and version.
    objects : list of tuple
        ``(name, "domain:role", uri)`` or ``(name, "domain:role", uri, title)``;
        ``uri`` is relative to the project's base URL.

    Returns
    -------
    bytes
    """
    lines = []
    for name, role, uri, *title in sorted(objects):
        priority = _PRIORITY.get(role, 1)
        lines.append(f"{name} {role} {priority} {uri} {title[0] if title else '-'}\n")
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    return header.encode() + zlib.compress("".join(lines).encode(), 9)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a file is missing or out of date",
    )
    args = parser.parse_args(argv)
    stale = []
    for stem, (project, version, objects) in INVENTORIES.items():
        path = OUT / f"{stem}.inv"
        data = inventory(project, version, objects())
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(path)
            continue
        OUT.mkdir(exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path} ({len(objects())} objects)")
    for path in stale:
        print(f"out of date: {path} (run python docs/make_inventories.py)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
