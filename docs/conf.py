"""Sphinx configuration of the sknn_sigmoid documentation.

Build from the repository root with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The extra ``pip install ".[docs]"`` installs what the build needs. It runs offline:
intersphinx reads the inventories in ``docs/_inventories/`` (written by
``docs/make_inventories.py``) instead of downloading them, and the gallery examples
train on scikit-learn's bundled digits. The built site reads offline too: MathJax
comes with sphinx-mathjax-offline and is copied into ``_static/mathjax/``, and the
theme's fonts and scripts are in ``_static/``. ``.ci/check_docs.py`` opens the
built pages in headless Chromium, with no network, to check it.
"""

import os
import re
from pathlib import Path

import sknn_sigmoid
from sknn_sigmoid.cli import build_parser

DOCS = Path(__file__).resolve().parent

project = "sknn_sigmoid"
author = "The sknn_sigmoid developers"
copyright = "The sknn_sigmoid developers"
release = sknn_sigmoid.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    # Bundles MathJax 3 and copies it into _static/mathjax/, so that the formulas
    # render in a copy of the site read with no network (a folder opened from disk).
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "Thumbs.db", ".DS_Store"]
# Single back-quotes are code, as in scikit-learn's documentation.
default_role = "literal"
# Curly quotes and ellipses, but "--" stays two hyphens (command-line options).
smartquotes_action = "qe"

# -- API reference: autosummary, autodoc and numpydoc ------------------------------
# autosummary writes one page per public object into gen_modules/ (not committed).
autosummary_generate = True
# __call__ is how the distortions of preprocessing are used.
autodoc_default_options = {
    "members": True,
    "inherited-members": True,
    "special-members": "__call__",
}
autodoc_typehints = "none"
add_module_names = False

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Link the types of parameters and attributes; only the names below are linked, so
# that words such as "shape" or "default" in a type stay plain text.
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"
numpydoc_xref_aliases = {
    # this package
    "SigmoidMLPClassifier": "sknn_sigmoid.SigmoidMLPClassifier",
    "OneVsRestLogistic": "sknn_sigmoid.OneVsRestLogistic",
    "WeightImagesDisplay": "sknn_sigmoid.inspection.WeightImagesDisplay",
    "LossCurveDisplay": "sknn_sigmoid.inspection.LossCurveDisplay",
    "ActivationsDisplay": "sknn_sigmoid.inspection.ActivationsDisplay",
    # scikit-learn
    "Pipeline": "sklearn.pipeline.Pipeline",
    "Bunch": "sklearn.utils.Bunch",
    "array-like": ":term:`array-like`",
    "sparse matrix": ":term:`sparse matrix`",
    "RandomState instance": "numpy.random.RandomState",
    # NumPy
    "np.float32": "numpy.float32",
    "np.float64": "numpy.float64",
    "np.uint8": "numpy.uint8",
    # Python
    "path-like": "os.PathLike",
    "file-like": ":term:`file-like <file object>`",
    # Matplotlib
    "matplotlib.axes.Axes": "matplotlib.axes.Axes",
    "matplotlib.figure.Figure": "matplotlib.figure.Figure",
    "matplotlib.image.AxesImage": "matplotlib.image.AxesImage",
    "matplotlib.colorbar.Colorbar": "matplotlib.colorbar.Colorbar",
    "matplotlib.colors.Colormap": "matplotlib.colors.Colormap",
    "matplotlib.patches.Rectangle": "matplotlib.patches.Rectangle",
}

# -- Links to other projects, read from the inventories committed in _inventories/ -
intersphinx_mapping = {
    "sklearn": ("https://scikit-learn.org/stable/", "_inventories/sklearn.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "_inventories/numpy.inv"),
    "scipy": ("https://docs.scipy.org/doc/scipy/", "_inventories/scipy.inv"),
    "joblib": ("https://joblib.readthedocs.io/en/stable/", "_inventories/joblib.inv"),
    "matplotlib": ("https://matplotlib.org/stable/", "_inventories/matplotlib.inv"),
    "python": ("https://docs.python.org/3/", "_inventories/python.inv"),
}

# -- Gallery: examples/plot_*.py are run; the other scripts need MNIST and are shown
# without being run.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": re.escape(os.sep) + "plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sknn_sigmoid",),
    "reference_url": {"sknn_sigmoid": None},
    "backreferences_dir": "gen_modules/backreferences",
    "show_memory": False,
    "write_computation_times": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
}

# -- HTML output -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sknn_sigmoid {release}"
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 5,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "changelog": []}
html_static_path = []
html_show_sourcelink = False


# -- Build steps -------------------------------------------------------------------
# Methods the estimators inherit from scikit-learn that their pages document; the
# others (set_*_request ...) are scikit-learn's machinery, documented there.
INHERITED_METHODS = {"get_params", "set_params", "score", "set_callbacks"}


def skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out inherited members defined outside this package, but a few."""
    if what != "class" or skip or name in INHERITED_METHODS:
        return None
    module = getattr(obj, "__module__", None) or ""
    return True if not module.startswith("sknn_sigmoid") else None


def write_cli_help(app):
    """Write the ``--help`` of the command line and of each command to gen_modules/.

    ``api.rst`` includes these files, so the page always shows the real options.
    """
    out = DOCS / "gen_modules" / "cli"
    out.mkdir(parents=True, exist_ok=True)
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"  # argparse wraps the help to 78 columns
    try:
        parser = build_parser()
        texts = {"sknn-sigmoid": parser.format_help()}
        commands = next(a for a in parser._actions if a.dest == "command")
        for name, subparser in commands.choices.items():
            texts[name] = subparser.format_help()
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    for name, text in texts.items():
        path = out / f"{name}.txt"
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)


def setup(app):
    app.connect("builder-inited", write_cli_help)
    app.connect("autodoc-skip-member", skip_foreign_members)
