"""Checks of hyper-parameters, sample weights and targets, with errors that name them.

Parameters are checked when ``fit`` or ``partial_fit`` is called (scikit-learn's
convention: ``__init__`` only stores them). A constraint is a small function
``check(value)`` returning None for a valid value, else the exception class to raise
and a description of what the value should be.
"""

import collections.abc
import numbers
import sys
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target


def real(low=None, high=None, *, closed="both", finite=False):
    """A real number in an interval closed on "both", "left", "right" or "neither"
    (and not infinite, if ``finite``)."""
    left, right = closed in ("both", "left"), closed in ("both", "right")
    expected = _describe(
        "a finite float" if finite else "a float", low, high, left, right
    )

    def check(value):
        # Python's and numpy's ints and floats; not a Fraction, which would make
        # the arithmetic of training object arrays.
        if not _is_number(value, int | float | np.integer | np.floating):
            return TypeError, expected
        try:
            value = float(value)
        except OverflowError:  # an int too large for any float: 10**400
            return ValueError, expected
        too_low = low is not None and (value < low or (value == low and not left))
        too_high = high is not None and (value > high or (value == high and not right))
        if too_low or too_high or np.isnan(value) or (finite and np.isinf(value)):
            return ValueError, expected
        return None

    return check


def integer(low=None, high=None):
    """An integer in the closed interval [low, high]."""
    expected = _describe("an int", low, high, True, True)

    def check(value):
        if not _is_number(value, numbers.Integral):
            return TypeError, expected
        if (low is not None and value < low) or (high is not None and value > high):
            return ValueError, expected
        return None

    return check


def options(*allowed):
    """One of the given values (strings or None)."""
    expected = "one of " + ", ".join(repr(a) for a in allowed)

    def check(value):
        if any(value is a or (isinstance(value, str) and value == a) for a in allowed):
            return None
        return ValueError, expected

    return check


def boolean(value):
    """A bool (numpy bools included)."""
    return None if isinstance(value, bool | np.bool_) else (TypeError, "a bool")


def either(*checks):
    """Any one of several constraints."""

    def check(value):
        failures = [c(value) for c in checks]
        if None in failures:
            return None
        kinds = {kind for kind, _ in failures}
        kind = ValueError if ValueError in kinds else TypeError
        return kind, " or ".join(expected for _, expected in failures)

    return check


def mapping(value):
    """A dict."""
    return None if isinstance(value, dict) else (TypeError, "a dict")


def augmentation(value):
    """None, or a callable ``augment(X_batch, rng)`` (an instance, not a class)."""
    if value is None or (callable(value) and not isinstance(value, type)):
        return None
    return TypeError, (
        "None or a callable augment(X_batch, rng) returning the distorted batch (an "
        "instance such as ElasticDistortion(), not a class)"
    )


def random_state(value):
    """None, an int in [0, 2**32 - 1], or a numpy RandomState."""
    expected = "None, an int in [0, 2**32 - 1] or a numpy.random.RandomState"
    if value is None or isinstance(value, np.random.RandomState):
        return None
    if not _is_number(value, numbers.Integral):
        return TypeError, expected
    return None if 0 <= value < 2**32 else (ValueError, expected)


def layer_sizes(value):
    """A positive int or a sequence of positive ints (hidden layer sizes)."""
    expected = "a positive int or a sequence of positive ints"
    if _is_number(value, numbers.Integral):
        value = [value]
    # A sequence (list, tuple, range) or a 1-d array-like (numpy array, pandas
    # Series): an order that means layers. A set or a dict has none, a generator is
    # used up by the check, and a string is no sequence of ints.
    if isinstance(value, (str, bytes)):
        return TypeError, expected
    if isinstance(value, collections.abc.Sequence):
        sizes = list(value)
    elif getattr(value, "ndim", None) == 1 and hasattr(value, "tolist"):
        sizes = value.tolist()
    else:
        return TypeError, expected
    if not all(_is_number(n, numbers.Integral) for n in sizes):
        return TypeError, expected
    return None if all(n >= 1 for n in sizes) else (ValueError, expected)


def validate_params(estimator, constraints):
    """Check every parameter of ``estimator`` against ``constraints``.

    Raises
    ------
    TypeError
        If a value has the wrong type (a string where a number is expected, ...).
    ValueError
        If a value has the right type but is out of range or not an allowed option.
    """
    params = estimator.get_params(deep=False)
    for name, check in constraints.items():
        failure = check(params[name])
        if failure is not None:
            error, expected = failure
            raise error(
                f"The {name!r} parameter of {type(estimator).__name__} must be "
                f"{expected}; got {params[name]!r}."
            )


def check_sample_weight(sample_weight, n_samples, dtype):
    """Return sample weights as a finite, non-negative array of length ``n_samples``.

    ``None`` means every weight is 1; a scalar is repeated. At least one weight must
    be positive: the loss is normalised by their sum.
    """
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    if _is_number(sample_weight, numbers.Real):  # cast below, checked as arrays are
        sample_weight = np.full(n_samples, sample_weight)
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numeric; got dtype {w.dtype}.")
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == {w.shape}, expected ({n_samples},) to match X."
        )
    if not np.all(np.isfinite(w)):
        raise ValueError("sample_weight must be finite; it contains NaN or inf.")
    given = w
    with np.errstate(over="ignore"):
        w = w.astype(dtype, copy=True)
    if not np.all(np.isfinite(w)):
        raise ValueError(
            f"sample_weight has values too large for {np.dtype(dtype)}, the dtype of "
            f"X (at most {np.finfo(dtype).max:.3g}); scale the weights down."
        )
    if np.any(w < 0):
        raise ValueError("Negative values in sample_weight are not allowed.")
    if not np.any(w > 0):
        if np.any(given > 0):
            raise ValueError(
                f"sample_weight's positive values are too small for "
                f"{np.dtype(dtype)}, the dtype of X (at least "
                f"{np.finfo(dtype).smallest_subnormal:.3g}): they would all be 0. "
                "Scale the weights up."
            )
        raise ValueError(
            "sample_weight is all zero: at least one weight must be positive."
        )
    return w


def class_weights(class_weight, y, classes, incremental):
    """Per-sample weights from ``class_weight`` (None, "balanced" or a dict)."""
    if class_weight is None:
        return None
    if isinstance(class_weight, str):
        if incremental:
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: pass a "
                "dict of class weights, or sample_weight."
            )
        # Over the classes in y: a warm fit may see only some of the classes.
        present = np.unique(y)
        class_weight = dict(
            zip(present, compute_class_weight("balanced", classes=present, y=y))
        )
    unknown = set(class_weight) - set(classes.tolist())
    if unknown:
        raise ValueError(
            f"class_weight names labels that are not classes: {sorted(unknown)}."
        )
    try:
        weights = np.array([float(class_weight.get(c, 1.0)) for c in classes])
    except OverflowError:  # an int too large for any float
        raise ValueError(
            "class_weight values must be finite and non-negative."
        ) from None
    except (TypeError, ValueError):
        raise TypeError(
            f"class_weight values must be numbers; got {class_weight!r}."
        ) from None
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("class_weight values must be finite and non-negative.")
    return weights[np.searchsorted(classes, y)]


def check_total_weight(w):
    """Check that the weights (sample times class weights) sum to a finite number.

    The loss is normalised by that sum; an infinite one would stall training.
    """
    with np.errstate(over="ignore"):  # summed as training sums them, and in float64
        totals = np.sum(w), np.sum(w, dtype=np.float64)
    if not np.all(np.isfinite(totals)) or not np.all(np.isfinite(w)):
        raise ValueError(
            "The sample weights (times the class weights) sum to more than the "
            "largest float; scale them down."
        )


def is_label_matrix(y):
    """Whether ``y`` is two-dimensional with more than one column: a multilabel
    target (one column of 0s and 1s per label) if anything. A single column is a
    column of labels, raveled with a warning as scikit-learn does."""
    if sp.issparse(y):
        return y.shape[1] > 1
    try:
        shape = np.asarray(y).shape
    except (TypeError, ValueError):  # ragged lists: validate_data says what is wrong
        return False
    return len(shape) == 2 and shape[1] > 1


def float_dtype(X):
    """The ``dtype`` to validate X with: float32 for float32 data of either byte
    order or pandas' nullable Float32 (kept as float32), else float64 or float32."""
    dtypes = getattr(X, "dtypes", None)  # a DataFrame's, column by column
    dtypes = [getattr(X, "dtype", None)] if dtypes is None else list(dtypes)
    if dtypes and all(
        getattr(d, "kind", None) == "f" and getattr(d, "itemsize", None) == 4
        for d in dtypes
    ):
        return np.float32
    return [np.float64, np.float32]


def check_targets(y, multilabel=False):
    """Check that ``y`` holds class labels of a single-output problem, or with
    ``multilabel`` a label indicator matrix of 0s and 1s."""
    check_classification_targets(y)
    kind = type_of_target(y, input_name="y")
    if multilabel:
        values = np.unique(y.data if sp.issparse(y) else y)
        if kind != "multilabel-indicator" or not np.isin(values, (0, 1)).all():
            raise ValueError(
                "A two-dimensional y must be a multilabel indicator matrix, one "
                f"column of 0s and 1s per label; got one with the values "
                f"{values[:5].tolist()}{' ...' if len(values) > 5 else ''}."
            )
    elif kind not in ("binary", "multiclass"):
        raise ValueError(
            "Only binary, multiclass or multilabel-indicator targets are supported; "
            f"got {kind}."
        )


def _is_missing(label):
    # None, NaN, or pandas' NA (checked by name: pandas is not needed here).
    return (
        label is None
        or (isinstance(label, float) and label != label)
        or type(label).__name__ == "NAType"
    )


def check_label_kinds(labels, name):
    """Refuse missing labels (None, NaN, pandas' NA) among labels held as objects,
    which fail deep in the sorting of the labels otherwise, and a list or tuple of
    labels mixing strings and numbers, which numpy would silently turn into strings
    (1 into "1")."""
    held_as_objects = getattr(getattr(labels, "dtype", None), "kind", None) == "O"
    if isinstance(labels, list | tuple) or held_as_objects:
        if getattr(labels, "ndim", 1) == 1 and any(map(_is_missing, labels)):
            raise ValueError(
                f"{name} contains missing labels (None, NaN or pandas' NA); drop "
                "those samples or give them a label."
            )
    if isinstance(labels, list | tuple):
        strings = [label for label in labels if isinstance(label, str)]
        if strings and len(strings) < len(labels):
            other = next(label for label in labels if not isinstance(label, str))
            raise TypeError(
                f"{name} must be all numbers or all strings; got both, "
                f"{other!r} and {strings[0]!r}."
            )


def check_classes(classes, estimator_name):
    """Check the ``classes`` of ``partial_fit``: at least two, sorted, no duplicates."""
    check_label_kinds(classes, "classes")
    classes = np.asarray(classes)
    if classes.ndim != 1:
        raise ValueError(f"classes must be 1-dimensional; got shape {classes.shape}.")
    try:
        unique = np.unique(classes)
    except TypeError:  # labels that cannot be sorted together: 1 and "a", or None
        raise TypeError(
            f"classes must be all numbers or all strings; got {classes.tolist()!r}."
        ) from None
    if unique.dtype.kind in "fc" and np.isnan(unique).any():
        raise ValueError(f"classes must not contain NaN; got {classes.tolist()!r}.")
    if len(unique) < 2:
        raise ValueError(
            f"{estimator_name} needs at least 2 classes; got {len(unique)} class."
        )
    if len(unique) != len(classes):
        raise ValueError("classes must not contain duplicates.")
    return unique


def _is_number(value, kind):
    return isinstance(value, kind) and not isinstance(value, bool | np.bool_)


def _describe(kind, low, high, left, right):
    if low is None and high is None:
        return kind
    if high is None:
        return f"{kind} {'>=' if left else '>'} {low}"
    if low is None:
        return f"{kind} {'<=' if right else '<'} {high}"
    return f"{kind} in {'[' if left else '('}{low}, {high}{']' if right else ')'}"


def warn(message, category):
    """``warnings.warn`` pointing at the user's code that called into the package.

    The warning is attributed to the first frame outside ``sknn_sigmoid`` and
    scikit-learn's callback wrappers, however deep the call chain is.
    """
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__", "").startswith(
        ("sknn_sigmoid.", "sklearn.callback")
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
