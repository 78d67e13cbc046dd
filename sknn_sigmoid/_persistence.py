"""The saved form of a fitted estimator: plain values instead of internal objects.

A fitted estimator keeps two private objects to continue training (``partial_fit``,
``warm_start``): ``_progress``, a :class:`~sknn_sigmoid._training.Progress`, and
``_optimizer``, a :class:`~sknn_sigmoid._optimizers.GradientDescent` or
:class:`~sknn_sigmoid._optimizers.Adam` (or None after L-BFGS). Saved as they are,
a ``skops`` file names their classes as types to trust beside the estimator's.

:func:`plain_state` replaces them in the state that ``__getstate__`` returns by
dicts of ints, floats, lists and arrays, which ``skops`` trusts by default, and
:func:`object_state` rebuilds them in ``__setstate__``; the estimator then is the
only type of this package in the file. The rebuilt objects are equal to the saved
ones, so training continues exactly as it would have without saving. A state that
still holds the objects (an older pickle) is taken as it is.
"""

import dataclasses

from ._optimizers import Adam, GradientDescent
from ._training import Progress

# The optimizers by the name stored in the plain state.
OPTIMIZERS = {"adam": Adam, "gradient_descent": GradientDescent}


def plain_state(state):
    """The estimator's ``__getstate__`` dict with its internal objects as dicts.

    Parameters
    ----------
    state : dict
        The attribute dictionary to save (not modified).

    Returns
    -------
    dict
        A copy of ``state`` where ``_progress`` is a dict of the
        :class:`~sknn_sigmoid._training.Progress` fields and ``_optimizer`` a dict of
        the optimizer's attributes (without its scratch arrays) plus ``"kind"``.
    """
    state = dict(state)
    progress = state.get("_progress")
    if isinstance(progress, Progress):
        state["_progress"] = {
            f.name: getattr(progress, f.name) for f in dataclasses.fields(progress)
        }
    optimizer = state.get("_optimizer")
    if isinstance(optimizer, Adam | GradientDescent):
        kind = "adam" if isinstance(optimizer, Adam) else "gradient_descent"
        state["_optimizer"] = {"kind": kind, **optimizer.__getstate__()}
    return state


def object_state(state):
    """Undo :func:`plain_state`: the dict for the estimator's ``__setstate__``.

    Parameters
    ----------
    state : dict
        A saved state, plain (from :func:`plain_state`) or holding the objects.

    Returns
    -------
    dict
        A copy of ``state`` with ``_progress`` and ``_optimizer`` as objects.

    Raises
    ------
    ValueError
        If ``_optimizer`` names no known optimizer.
    """
    state = dict(state)
    progress = state.get("_progress")
    if isinstance(progress, dict):
        state["_progress"] = Progress(**progress)
    optimizer = state.get("_optimizer")
    if isinstance(optimizer, dict):
        attributes = dict(optimizer)
        kind = attributes.pop("kind", None)
        if kind not in OPTIMIZERS:
            raise ValueError(
                f"Unknown optimizer {kind!r} in the saved state; expected one of "
                f"{sorted(OPTIMIZERS)}."
            )
        rebuilt = object.__new__(OPTIMIZERS[kind])
        rebuilt.__dict__.update(attributes)
        state["_optimizer"] = rebuilt
    return state
