"""SigmoidMLPClassifier: the multilayer perceptron of the textbook."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _validation as v
from ._base import ACCEPT_SPARSE, canonical_rows
from ._callbacks import CallbackSupportMixin
from ._classifier import SigmoidNetworkMixin
from ._network import forward, frequency_logits, init_parameters


class SigmoidMLPClassifier(
    ClassifierMixin, CallbackSupportMixin, SigmoidNetworkMixin, BaseEstimator
):
    """Multilayer perceptron with sigmoid units, one-hot targets and squared error.

    Every neuron, hidden or output, is a logistic model of the previous layer: its
    activation is a = sigmoid(z) with z = W a_prev + b. Targets are one-hot encoded
    internally from any labels (two classes use a single output unit for the second
    class). The network minimises, by gradient descent, the squared error::

        J = 1/(2m) sum_i w_i sum_k (a[L]_ik - y_ik)^2 + alpha/(2m) sum_l ||W[l]||^2

    where w_i are the sample weights and m = sum_i w_i (the number of samples when no
    weights are given). A mini-batch of b of the n samples is normalised by b / n of
    m, so that its gradient estimates the gradient of J's data term; its penalty,
    as in scikit-learn's ``MLPClassifier``, is divided by that b / n of m too, so
    mini-batch training weighs the penalty n / b times more than J does (see the
    user guide's "Training" page). The output error is then
    delta[L] = (a - y) a (1 - a) w / m. With ``loss="log_loss"`` the first term is
    the binary cross-entropy of every output, -1/m sum_i w_i sum_k [y log a +
    (1 - y) log(1 - a)], whose output error is delta[L] = (a - y) w / m.

    Notation of the lecture and where it lives in the fitted estimator:

    ==============  ==============================================================
    lecture         code
    ==============  ==============================================================
    L               ``n_layers_ - 1`` = ``len(coefs_)`` (the input layer is layer 0)
    n[l]            ``coefs_[l-1].shape[1]``; n[0] = ``n_features_in_``
    W[l]            ``coefs_[l-1].T``: ``coefs_[l-1]`` has shape (n[l-1], n[l])
    b[l]            ``intercepts_[l-1]``
    a[l]            ``forward(X)[l]``, with ``forward(X)[0]`` = X
    z[l]            ``forward(X)[l-1] @ coefs_[l-1] + intercepts_[l-1]``
    ==============  ==============================================================

    .. note:: The class is declared ``SigmoidMLPClassifier(ClassifierMixin,
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
    hidden_layer_sizes : int or tuple of int, default=(100,)
        n[1], ..., n[L-1]: the number of neurons of each hidden layer.
    loss : {"squared_error", "log_loss"}, default="squared_error"
        The loss J, as above. Squared error is the lecture's; log-loss is offered for
        comparison (it avoids the learning slowdown of saturated outputs).
    init : {"glorot_uniform", "normal", "scaled_normal"}, default="glorot_uniform"
        How the weights start. "glorot_uniform" draws W[l] and b[l] uniformly
        from [-r, r] with r = sqrt(2 / (n[l-1] + n[l])), which starts the sigmoid
        units near their linear range; "normal" is the lecture's plain random
        start, N(0, 1) for every weight and bias (units of wide layers start
        saturated and learn slowly); "scaled_normal" draws W[l] from
        N(0, 1 / n[l-1]) and b[l] from N(0, 1). With "glorot_uniform" and
        "scaled_normal" the output biases b[L] then start at the logits of the
        classes' (weighted) frequencies in the training data (for ``partial_fit``,
        in its first chunk), so that the outputs start at the best constant answer
        instead of 0.5: with squared error, outputs that all fall from 0.5
        together overshoot and can stall full-batch training at chance.
    solver : {"auto", "adam", "sgd", "lbfgs"}, default="auto"
        "sgd" is (mini-batch) gradient descent with momentum; "adam" the Adam
        method, whose steps do not depend on the scale of the gradient (with squared
        error and sigmoid outputs small, and shrinking as units saturate), so that
        it trains well at one learning rate across data sets; "lbfgs" the
        quasi-Newton L-BFGS-B method on the full batch. "auto" chooses by the size
        of the data each ``fit`` gets:

        * small data, an X of at most 1,000,000 values (n_samples * n_features;
          of a sparse X, its stored values), e.g. up to 1,275 MNIST images or
          33,333 samples of 30 features: "lbfgs", with two changes that suit it
          there. It runs ``max_iter`` iterations, then goes on, up to
          ``5 * max_iter``, while the loss still falls by at least 1% of itself
          over 10 iterations (or is still on the squared error's flat start, 98%
          to 105% of that of outputs answering the classes' frequencies), and
          stops without a warning once it does not. And it weighs the L2
          penalty ``10 * alpha``: a full batch counts the penalty once where
          mini-batches count it once per batch, and ``10 * alpha`` is what
          mini-batches of 200 put on 2,000 samples. On a few hundred samples
          Adam takes one or two steps an epoch and its stopping rule ends on
          the flat start of the loss (below chance on ``make_circles``); L-BFGS
          scored within half a point of scikit-learn's ``MLPClassifier``, or
          above it, on every small set of ``benchmarks/small_data.py``;
        * larger data, and every ``fit`` with ``early_stopping=True`` (L-BFGS has
          no epochs to score held-out data after): "adam", with the other
          parameters as given, the defaults chosen on MNIST;
        * ``partial_fit`` (which L-BFGS cannot do): "adam".

        ``solver_`` tells which one trained. How the size was chosen: the user
        guide's "Choosing the solver".
    alpha : float, default=1e-3
        Strength of the L2 penalty on the weights (biases are not penalised).
        Squared error on sigmoid outputs is small (a few hundredths per sample once
        trained), so the penalty weighs more against it than against log-loss:
        1e-3 keeps a network of 100 units from fitting MNIST's noise (with the
        other defaults, 97.6% held-out accuracy at 1e-4 and 98% at 1e-3).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplying the sample weights in the loss:
        ``{label: weight}``, or "balanced" for n_samples / (n_classes *
        count(label)), n_classes counting the classes in y (a ``warm_start`` fit
        may see only some). ``partial_fit`` does not take "balanced" (the counts of a
        chunk are not those of the data).
    batch_size : int, "auto" or None, default="auto"
        Samples per gradient step of "sgd" and "adam" (L-BFGS, and so "auto" on
        small data, takes every sample at every step). "auto" is
        ``min(200, n_samples)``; None uses all samples at every step (full-batch
        gradient descent, the lecture's plain rule).
    learning_rate : {"constant", "invscaling", "adaptive"}, default="adaptive"
        Schedule of the step size for ``solver`` "sgd" and "adam" (scikit-learn's
        ``MLPClassifier`` applies it to "sgd" only): "invscaling" divides the
        initial rate by (t + 1) ** power_t after every epoch, t being the number of
        samples seen; "adaptive" divides it by 5 each time the loss (or the
        validation score) has not improved by ``tol`` for more than
        ``n_iter_no_change`` epochs, and stops training once the rate is at most
        1e-6. "constant" stops at the first such stall. A large rate first and a
        smaller one once it stalls gives both quick progress and a precise end.
        ``partial_fit`` counts each call as an epoch: over small chunks of data,
        whose losses differ from chunk to chunk by more than ``tol``, "adaptive"
        takes the differences for stalls and lowers the rate again and again; use
        "constant" (or "invscaling") there.
    learning_rate_init : float, default=0.01
        The initial step size eta (``solver`` "sgd" or "adam"). With Adam on
        min-max-scaled inputs, 0.01 converges in fewer epochs than scikit-learn's
        0.001 (on ``load_digits`` and MNIST alike) without losing accuracy; with
        "sgd", something near 0.1 to 1 is usual for squared error.
    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.
    max_iter : int, default=200
        The most epochs (gradient descent) or iterations (L-BFGS) ``fit`` runs;
        ``5 * max_iter`` iterations when ``solver="auto"`` chose L-BFGS.
    max_fun : int, default=15000
        The most loss evaluations L-BFGS makes.
    tol : float, default=5e-4
        The loss has stalled once it has not fallen (or the validation score not
        risen) by ``tol`` for more than ``n_iter_no_change`` consecutive epochs;
        ``learning_rate`` says what happens then. With the squared error, an epoch
        whose training loss is still 98% to 105% of that of outputs answering the
        classes' frequencies (the flat start, where the loss falls slowly) is no
        stall, in the first 20 epochs and while the loss falls by ``tol`` over 20.
        For L-BFGS with ``loss="log_loss"``, the tolerance on the projected
        gradient, as in scikit-learn. With the squared error L-BFGS does not stop
        on the gradient:
        it carries every output's slope a(1 - a), small on the flat start and on
        the plateaus where outputs saturate, long before the minimum (on the
        digits, a tolerance of 5e-4 stopped it at 88% training accuracy, where it
        goes on to 99.8%). It runs ``max_iter`` iterations unless, as
        scikit-learn's ``LogisticRegression`` does, it stops once an iteration
        changes the loss by less than 64 machine epsilons, relatively (or,
        when ``solver="auto"`` chose it, once the loss stalls: see ``solver``).
    n_iter_no_change : int, default=3
        See ``tol``.
    momentum : float, default=0.9
        Momentum of gradient descent (``solver="sgd"``), in [0, 1].
    nesterovs_momentum : bool, default=True
        Whether gradient descent uses Nesterov's momentum.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Adam's guard against division by zero.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified by class,
        or at random if a class has too few samples to be split), score it after
        every epoch, stop when the score stops improving and keep the weights of the
        best epoch. Both parts need samples of positive weight, and the held-out
        part at least 2 samples (as in scikit-learn). Used by ``fit`` with
        "sgd" or "adam" (and with "auto", which then means "adam");
        ``partial_fit`` and "lbfgs" ignore it. With ``warm_start``, each ``fit``
        draws its own split and keeps the best of its own epochs.
    validation_fraction : float, default=0.1
        Share of the training data held out for ``early_stopping``, in (0, 1).
    shuffle : bool, default=True
        Whether to shuffle the samples before every epoch of mini-batch training.
    warm_start : bool, default=False
        Whether ``fit`` continues from the fitted weights instead of starting anew
        (with ``solver="auto"``, by the solver it chooses for this call's data).
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the validation split. An int
        gives bit-identical results from run to run.
    verbose : bool, default=False
        Print a line after every epoch (every iteration of "lbfgs"): the training
        loss, the validation accuracy when there is one, the time elapsed and an
        estimate of the time left (were ``max_iter`` epochs to run). A Ctrl-C
        (``KeyboardInterrupt``) during ``fit`` ends training whatever ``verbose``:
        the model of the last completed epoch (with early stopping, the best so
        far; with "lbfgs", the last iteration) is kept, and a ``UserWarning`` (as
        scikit-learn's ``MLPClassifier``) says so; one before the first epoch ends
        is raised, the estimator left as it was.
    augment : callable or None, default=None
        Data augmentation: a callable ``augment(X_batch, rng)`` that returns a
        randomly distorted copy of a training batch, such as
        :class:`~sknn_sigmoid.preprocessing.ElasticDistortion` or
        :class:`~sknn_sigmoid.preprocessing.RandomAffine`. ``X_batch`` is the
        batch's inputs as the estimator sees them (after the earlier steps of a
        pipeline): a read-only 2-D float array of shape (batch, n_features),
        of the training dtype, which must not be modified; ``rng`` a
        ``numpy.random.RandomState`` derived from ``random_state``, to draw the
        distortions from. It must return a new array of the batch's shape and
        dtype (a batch that is not one is an error, and a fitted model stays as
        it was). Every mini-batch of every epoch of ``fit`` and ``partial_fit``
        is distorted anew (the whole training part, with full batches); the
        data held out by ``early_stopping`` and the data given to ``predict``
        or ``score`` never are. ``loss_curve_`` is then the loss on the
        distorted batches. With an int ``random_state`` two fits give the same
        distortions, and the same initial weights, validation split and
        shuffles as without ``augment``; successive calls to ``partial_fit``
        draw new distortions. Not with ``solver="lbfgs"`` (which needs the same
        objective at every step) nor sparse input; both are errors. To be saved
        with the model (pickle, joblib) and cloned, the callable must be
        picklable: a plain function or an object such as the two above, whose
        parameters ``GridSearchCV`` can tune (``augment__alpha``).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coefs_ : list of ndarray of length L
        ``coefs_[l-1]`` is W[l] transposed, of shape (n[l-1], n[l]).
    intercepts_ : list of ndarray of length L
        ``intercepts_[l-1]`` is b[l], of shape (n[l],).
    n_layers_ : int
        L + 1, the number of layers counting the input layer.
    n_outputs_ : int
        n[L]: the number of classes, or 1 for two classes (the number of labels
        for a multilabel target).
    solver_ : {"adam", "sgd", "lbfgs"}
        The solver that trained the model in the last call to ``fit`` or
        ``partial_fit``: ``solver``, or what "auto" chose.
    n_iter_ : int
        Epochs (or L-BFGS iterations) run so far.
    t_ : int
        Training samples seen by the solver so far.
    loss_ : float
        The loss J of the last epoch.
    loss_curve_ : list of float
        The loss J of every epoch.
    best_loss_ : float or None
        The smallest training loss reached; None if the last call to ``fit`` used
        ``early_stopping``.
    validation_scores_ : list of float or None
        Accuracy on the held-out data after every epoch, if the last call was a
        ``fit`` with ``early_stopping``, else None. With ``warm_start``, it lists the
        epochs of every ``fit`` that held out data, so it may be shorter than
        ``loss_curve_``.
    validation_loss_curve_ : list of float or None
        The loss J on the held-out data after the same epochs as
        ``validation_scores_``.
    best_validation_score_ : float or None
        The best validation score of the last ``fit``'s own epochs, whose weights
        are kept (with ``warm_start``, ``validation_scores_`` also lists earlier
        fits' scores).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when X had string column names.

    See Also
    --------
    OneVsRestLogistic : The same network without hidden layer, trained on log-loss.
    sklearn.neural_network.MLPClassifier : scikit-learn's perceptron (softmax
        output and log-loss).

    Notes
    -----
    Input may be dense (float64 or float32) or sparse (CSR or CSC). float32 input
    gives float32 weights and float32 arithmetic throughout. Scale the features to
    [0, 1] first, e.g. with :class:`~sklearn.preprocessing.MinMaxScaler` in a
    :class:`~sklearn.pipeline.Pipeline`: sigmoid units saturate on large inputs.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sknn_sigmoid import SigmoidMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> model = make_pipeline(MinMaxScaler(), SigmoidMLPClassifier(random_state=0))
    >>> model.fit(X_train, y_train).score(X_test, y_test) > 0.95
    True
    """

    _parameter_constraints = {
        "hidden_layer_sizes": v.layer_sizes,
        "loss": v.options("squared_error", "log_loss"),
        "init": v.options("glorot_uniform", "normal", "scaled_normal"),
        "class_weight": v.either(v.options("balanced", None), v.mapping),
        "solver": v.options("auto", "adam", "sgd", "lbfgs"),
        "alpha": v.real(0, finite=True),
        "batch_size": v.either(v.integer(1), v.options("auto", None)),
        "learning_rate": v.options("constant", "invscaling", "adaptive"),
        "learning_rate_init": v.real(0, closed="neither", finite=True),
        "power_t": v.real(0),
        "max_iter": v.integer(1),
        "max_fun": v.integer(1),
        "tol": v.real(0),
        "n_iter_no_change": v.integer(1),
        "momentum": v.real(0, 1),
        "nesterovs_momentum": v.boolean,
        "beta_1": v.real(0, 1, closed="left"),
        "beta_2": v.real(0, 1, closed="left"),
        "epsilon": v.real(0, closed="neither"),
        "early_stopping": v.boolean,
        "validation_fraction": v.real(0, 1, closed="neither"),
        "shuffle": v.boolean,
        "warm_start": v.boolean,
        "random_state": v.random_state,
        "verbose": v.either(v.boolean, v.integer(0)),
        "augment": v.augmentation,
    }
    _network_loss = property(lambda self: self.loss)

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        loss="squared_error",
        init="glorot_uniform",
        solver="auto",
        alpha=1e-3,
        class_weight=None,
        batch_size="auto",
        learning_rate="adaptive",
        learning_rate_init=0.01,
        power_t=0.5,
        max_iter=200,
        max_fun=15000,
        tol=5e-4,
        n_iter_no_change=3,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=False,
        augment=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.loss = loss
        self.init = init
        self.solver = solver
        self.alpha = alpha
        self.class_weight = class_weight
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.max_fun = max_fun
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.augment = augment

    def forward(self, X):
        """Forward propagation: the activations of every layer, a[0], a[1], ..., a[L].

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        list of ndarray of length ``n_layers_``
            ``forward(X)[l]`` is a[l] with shape (n_samples, n[l]); a[0] is X as
            floats of the weights' dtype.
        """
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=ACCEPT_SPARSE,
            dtype=self.coefs_[0].dtype,
            order="C",
            reset=False,
        )
        return forward(canonical_rows(X), self.coefs_, self.intercepts_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # ClassifierMixin's come first
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = self.augment is None  # augment distorts dense images
        return tags

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        return [int(sizes)] if np.ndim(sizes) == 0 else [int(n) for n in sizes]

    def _initial_parameters(self, layer_sizes, rng, dtype, Y, w):
        # The lecture's plain random start stays all random.
        output_bias = None if self.init == "normal" else frequency_logits(Y, w)
        return init_parameters(layer_sizes, rng, dtype, self.init, output_bias)

    def _get_network(self):
        return self.coefs_, self.intercepts_

    def _network_attributes(self, coefs, intercepts):
        return {"coefs_": coefs, "intercepts_": intercepts}
