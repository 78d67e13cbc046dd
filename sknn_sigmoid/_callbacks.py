"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn >= 1.9): one task per
epoch.

With callbacks set by ``est.set_callbacks(...)``, ``fit`` is the root task and every
epoch (every L-BFGS iteration) a sub-task: ``ProgressBar`` shows the epochs,
``ScoringMonitor`` scores the model as it is after each epoch, and a callback whose
``on_fit_task_end`` returns True stops training after that epoch. On older
scikit-learn the estimators have no ``set_callbacks`` and work as before.
"""

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Stand-in for scikit-learn < 1.9, which has no callbacks."""

    def with_callbacks(method):
        """Stand-in for scikit-learn < 1.9: the method unchanged."""
        return method


class EpochCallbacks:
    """Calls the estimator's callbacks at the start and end of fit and of each epoch.

    Parameters
    ----------
    estimator : estimator
        The estimator being fitted.
    X, y, sample_weight
        The training data, handed to the callbacks.
    max_epochs : int
        The most sub-tasks this call opens: its epochs (L-BFGS: its iterations, plus
        the one opened after the last).
    fitted_attributes : callable
        ``fitted_attributes(coefs, intercepts, progress)`` returns the fitted
        attributes of the model as it is, to build the ``fitted_estimator`` that
        callbacks may ask for.
    report : callable, default=None
        ``report(progress)`` is called at the end of every epoch (``verbose``'s
        line, :class:`~sknn_sigmoid._epochs.EpochReport`), with or without
        scikit-learn's callbacks.
    """

    def __init__(
        self, estimator, X, y, sample_weight, max_epochs, fitted_attributes, report=None
    ):
        self.estimator = estimator
        self.report = report
        self.data = {"X": X, "y": y, "metadata": {"sample_weight": sample_weight}}
        self.fitted_attributes = fitted_attributes
        self.context = None
        if hasattr(estimator, "_init_callback_context"):
            self.context = estimator._init_callback_context(max_subtasks=max_epochs)
            self.context.call_on_fit_task_begin(estimator=estimator, **self.data)
        self._epoch = None

    def epoch_begins(self):
        """Open the sub-task of the next epoch."""
        if self.context is not None:
            self._epoch = self.context.subcontext(task_name="epoch")
            self._epoch.call_on_fit_task_begin(estimator=self.estimator, **self.data)

    def epoch_ends(self, coefs, intercepts, progress):
        """Close the epoch's sub-task; True if a callback asks to stop."""
        if self.report is not None:
            self.report(progress)
        if self._epoch is None:
            return False
        epoch, self._epoch = self._epoch, None
        return epoch.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=lambda: self.fitted_attributes(
                [W.copy() for W in coefs], [b.copy() for b in intercepts], progress
            ),
            **self.data,
        )

    def abandon_epoch(self):
        """Close the open epoch's sub-task, if any, as an empty task: an epoch that
        diverged, or the L-BFGS iteration after the last, which scipy never ran."""
        if self._epoch is not None:
            epoch, self._epoch = self._epoch, None
            epoch.call_on_fit_task_end(estimator=self.estimator)

    def fit_ends(self):
        """Close the root task (the estimator itself is then fitted)."""
        if self.context is not None:
            self.context.call_on_fit_task_end(
                estimator=self.estimator, reconstruction_attributes={}, **self.data
            )
