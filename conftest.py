"""Test-session set-up shared by the doctests and tests/."""

import os

# scikit-learn's array-API check (run on NumPy inputs for every estimator) needs scipy
# to be imported with its array-API support switched on.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# Importing the module that runs the command line is not a test.
collect_ignore = ["sknn_sigmoid/__main__.py"]
