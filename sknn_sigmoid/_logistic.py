"""OneVsRestLogistic: one logistic regression per class, the baseline of the lecture."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from . import _validation as v
from ._base import output_activations
from ._callbacks import CallbackSupportMixin
from ._classifier import SigmoidNetworkMixin


class OneVsRestLogistic(
    ClassifierMixin, CallbackSupportMixin, SigmoidNetworkMixin, BaseEstimator
):
    """One logistic regression per class, trained by gradient descent on log-loss.

    The model for class k answers "is this sample of class k?" with
    a_k = sigmoid(w_k . x + b_k) and minimises its own L2-penalised log-loss::

        J_k = -1/m sum_i s_i [y_ik log a_ik + (1 - y_ik) log(1 - a_ik)]
              + alpha/(2m) ||w_k||^2

    with s_i the sample weights and m their sum. The prediction is the class whose
    model answers highest (one-vs-rest). With two classes a single model is trained,
    for the second class.

    This is the network of :class:`SigmoidMLPClassifier` without hidden layer and
    with log-loss: the K models share no parameter and their losses add up, so they
    are trained together as one matrix. Each step of gradient descent is the step
    each model would take alone; what they share is when to stop (the rule of
    ``tol`` watches the sum of the K losses, and L-BFGS searches along one line for
    all of them), so they stop where K separate fits, each stopping on its own,
    would not. As in :class:`SigmoidMLPClassifier`, each mini-batch adds the whole
    penalty, divided by its share b / n of m: mini-batch training weighs ``alpha``
    n / b times more than full batches or L-BFGS do.

    .. note:: The class is declared ``OneVsRestLogistic(ClassifierMixin,
       CallbackSupportMixin, SigmoidNetworkMixin, BaseEstimator)``:
       scikit-learn >= 1.6 builds the estimator tags along the method resolution
       order, so the mixins must come before ``BaseEstimator``. Subclasses should
       keep that order. ``SigmoidNetworkMixin`` holds the methods both estimators
       share (``fit``, ``partial_fit``, ``predict_proba``, ``predict_log_proba``,
       ``predict``);
       ``CallbackSupportMixin`` gives ``set_callbacks`` on scikit-learn >= 1.9 (one
       callback task per epoch) and adds nothing on older versions.

    Parameters
    ----------
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights (not on the intercepts).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplying the sample weights in the loss:
        ``{label: weight}``, or "balanced" for n_samples / (n_classes *
        count(label)), n_classes counting the classes in y (a ``warm_start`` fit
        may see only some). ``partial_fit`` does not take "balanced".
    solver : {"gd", "adam", "lbfgs"}, default="gd"
        "gd" is (mini-batch) gradient descent with momentum, "adam" the Adam method,
        "lbfgs" the L-BFGS-B method on the full batch.
    batch_size : int, "auto" or None, default="auto"
        Samples per step. "auto" is ``min(200, n_samples)``; None is full-batch
        gradient descent.
    learning_rate_init : float, default=0.1
        Step size eta of "gd" and "adam". The log-loss gradient of a logistic model
        is at most the size of the inputs, so on inputs scaled to [0, 1] a step of
        0.1 (1 once momentum has built up) is stable and converges quickly; for
        "adam", 0.01 is a better start.
    momentum : float, default=0.9
        Momentum of "gd", in [0, 1].
    nesterovs_momentum : bool, default=True
        Whether "gd" uses Nesterov's momentum.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Adam's guard against division by zero.
    max_iter : int, default=200
        The most epochs (or L-BFGS iterations) ``fit`` runs, as for
        :class:`SigmoidMLPClassifier`: on the digits, the default fit stops after
        125 epochs, on MNIST after about 40.
    tol : float, default=1e-3
        Training stops once the loss has not fallen by ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs (L-BFGS: projected-gradient
        tolerance). The default is that of scikit-learn's ``SGDClassifier``, here
        on the sum of the K losses: a linear model's held-out accuracy settles long
        before its loss does (on MNIST, after 34 to 51 epochs it scores what 100
        epochs score). For L-BFGS it is looser than ``LogisticRegression``'s 1e-4:
        set ``tol=1e-4`` or less to minimise the loss more closely.
    n_iter_no_change : int, default=5
        See ``tol``.
    shuffle : bool, default=True
        Whether to shuffle the samples before every epoch of mini-batch training.
    warm_start : bool, default=False
        Whether ``fit`` continues from the fitted weights.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling. The weights start at zero.
    verbose : bool, default=False
        Print a line after every epoch (every iteration of "lbfgs"): the training
        loss, the validation accuracy when there is one, the time elapsed and an
        estimate of the time left (were ``max_iter`` epochs to run). A Ctrl-C
        (``KeyboardInterrupt``) during ``fit`` ends training whatever ``verbose``:
        the model of the last completed epoch (with early stopping, the best so
        far; with "lbfgs", the last iteration) is kept, and a ``UserWarning`` (as
        scikit-learn's ``MLPClassifier``) says so; one before the first epoch ends
        is raised, the estimator left as it was.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (n_models, n_features)
        Row k holds the weights w_k of the model of class k (n_models is 1 for two
        classes, else n_classes; for a multilabel target, the number of labels).
        Drawn as an image, a row shows which inputs vote for the class (positive)
        and against it (negative).
    intercept_ : ndarray of shape (n_models,)
        The biases b_k.
    solver_ : {"gd", "adam", "lbfgs"}
        The solver that trained the model: ``solver``.
    n_iter_ : int
        Epochs (or L-BFGS iterations) run so far.
    t_ : int
        Training samples seen by the solver so far.
    loss_ : float
        Sum of the K losses J_k at the last epoch.
    loss_curve_ : list of float
        That sum at every epoch.
    best_loss_ : float
        The smallest loss reached.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when X had string column names.

    See Also
    --------
    SigmoidMLPClassifier : The network with hidden layers.
    sklearn.linear_model.LogisticRegression : scikit-learn's (multinomial) logistic
        regression.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sknn_sigmoid import OneVsRestLogistic
    >>> X, y = load_digits(return_X_y=True)
    >>> model = make_pipeline(MinMaxScaler(), OneVsRestLogistic(random_state=0))
    >>> model.fit(X, y)[-1].coef_.shape
    (10, 64)
    """

    _parameter_constraints = {
        "alpha": v.real(0, finite=True),
        "class_weight": v.either(v.options("balanced", None), v.mapping),
        "solver": v.options("gd", "adam", "lbfgs"),
        "batch_size": v.either(v.integer(1), v.options("auto", None)),
        "learning_rate_init": v.real(0, closed="neither", finite=True),
        "momentum": v.real(0, 1),
        "nesterovs_momentum": v.boolean,
        "beta_1": v.real(0, 1, closed="left"),
        "beta_2": v.real(0, 1, closed="left"),
        "epsilon": v.real(0, closed="neither"),
        "max_iter": v.integer(1),
        "tol": v.real(0),
        "n_iter_no_change": v.integer(1),
        "shuffle": v.boolean,
        "warm_start": v.boolean,
        "random_state": v.random_state,
        "verbose": v.either(v.boolean, v.integer(0)),
    }
    _network_loss = "log_loss"

    def __init__(
        self,
        alpha=1e-4,
        class_weight=None,
        solver="gd",
        batch_size="auto",
        learning_rate_init=0.1,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_iter=200,
        tol=1e-3,
        n_iter_no_change=5,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=False,
    ):
        self.alpha = alpha
        self.class_weight = class_weight
        self.solver = solver
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def decision_function(self, X):
        """The raw answers z_k = w_k . x + b_k of the K models.

        These are the pre-activations whose largest (for two classes: whose sign)
        :meth:`predict` takes; a NaN, from inf - inf on huge inputs, is -inf.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
            The score of each class (of the second class for two classes; a
            multilabel target has a column for each of its labels).
        """
        Z = output_activations(self, X, pre_activation=True)
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # ClassifierMixin's come first
        tags.classifier_tags.multi_label = True
        return tags

    def _hidden_layer_sizes(self):
        return []

    def _initial_parameters(self, layer_sizes, rng, dtype, Y, w):
        n_features, n_models = layer_sizes
        return [np.zeros((n_features, n_models), dtype)], [np.zeros(n_models, dtype)]

    def _get_network(self):
        return [self.coef_.T], [self.intercept_]

    def _network_attributes(self, coefs, intercepts):
        return {"coef_": np.ascontiguousarray(coefs[0].T), "intercept_": intercepts[0]}
