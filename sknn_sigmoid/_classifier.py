"""The scikit-learn methods both estimators share.

:class:`SigmoidMLPClassifier` and :class:`OneVsRestLogistic` are the same kind of
model (sigmoid output units, trained by gradient descent) and differ only in their
network; :class:`SigmoidNetworkMixin` gives both their ``fit``, ``partial_fit``,
``predict_proba``, ``predict_log_proba`` and ``predict``, on top of the hooks that
``_base`` describes.
"""

import numpy as np
from sklearn.utils.metaestimators import available_if

from ._base import (
    fit_network,
    is_multilabel,
    keep_state_on_error,
    output_activations,
    probabilities,
)
from ._callbacks import with_callbacks
from ._persistence import object_state, plain_state
from ._training import predicted_indices


def _gradient_solver(est):
    if est.solver == "lbfgs":
        raise AttributeError("partial_fit is not available for solver='lbfgs'.")
    return True


class SigmoidNetworkMixin:
    """``fit``, ``partial_fit``, ``predict_proba``, ``predict_log_proba`` and
    ``predict`` of a network of sigmoid units; put it before ``BaseEstimator``
    among the bases."""

    @keep_state_on_error
    @with_callbacks
    def fit(self, X, y, sample_weight=None):
        """Train on X, y (continuing from the fitted weights if ``warm_start``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs, best scaled to [0, 1].
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels of any kind (ints, strings, ...), or a multilabel
            indicator matrix (a column of 0s and 1s per label, dense or sparse):
            then each output unit answers for its label alone.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights w_i of the samples in the loss.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return fit_network(self, X, y, sample_weight, incremental=False)

    @available_if(_gradient_solver)
    @keep_state_on_error
    @with_callbacks
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of gradient descent over X, y, continuing the fitted state.

        The optimizer's state (momentum, Adam's moment estimates, the learning rate
        its schedule has reached) carries over from call to call, so a new
        ``learning_rate_init`` does not apply to a model already fitted, as in
        scikit-learn. The optimizer starts afresh after a ``fit`` with L-BFGS
        (``solver_ == "lbfgs"``), or when ``solver`` changes between "adam" and
        gradient descent. ``solver="auto"`` means "adam" here: L-BFGS cannot
        continue chunk by chunk.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs of this chunk of data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels of this chunk; every label must be one of ``classes``. Or a
            multilabel indicator matrix, as in :meth:`fit`.
        classes : array-like of shape (n_classes,), default=None
            All the classes that can occur. Required on the first call (except
            for a multilabel target, whose classes are its columns 0 to
            n_labels - 1); later calls may pass it again (it must not change) or
            leave it out.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return fit_network(self, X, y, sample_weight, incremental=True, classes=classes)

    def predict_proba(self, X):
        """Class probabilities: the output activations, normalised to sum to 1.

        The output units are independent sigmoids, so their activations a[L] do not
        sum to 1 by themselves; each row is divided by its sum (one output unit a,
        for two classes, gives [1 - a, a]). The most probable class is the most
        activated output unit, the one :meth:`predict` returns. For a model
        trained on a multilabel indicator matrix, the activations themselves: the
        probability of each label, independently of the others (as scikit-learn's
        ``MLPClassifier``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        A = output_activations(self, X)
        return A if is_multilabel(self) else probabilities(A)

    def predict_log_proba(self, X):
        """Natural logarithm of the class probabilities of :meth:`predict_proba`.

        The probabilities are never 0 (the pre-activations are clipped where the
        sigmoid comes within the dtype's epsilon of 0 or 1), so the logarithms are
        finite.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        P = self.predict_proba(X)
        return np.log(P, out=P)

    def predict(self, X):
        """Predict the class of the most activated output unit.

        It is the unit of the largest pre-activation z[L] (for two classes, the
        second where z[L] > 0), which also decides between units that saturate
        together, whose activations and probabilities are then equal. A multilabel
        model predicts every label whose unit has z[L] > 0 (answers more than
        0.5).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels; of a multilabel model, the indicator matrix (dense,
            whatever the targets were) of the labels whose output unit has z[L] > 0,
            that is a[L] > 0.5 up to the rounding of a[L] near 0.5.
        """
        Z = output_activations(self, X, pre_activation=True)
        if is_multilabel(self):
            return (Z > 0).astype(int)
        return self.classes_[predicted_indices(Z, threshold=0.0)]

    def __getstate__(self):
        # The state that continues training is saved as plain values, so that a
        # skops file needs no type trusted but the estimator's own.
        return plain_state(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(object_state(state))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
