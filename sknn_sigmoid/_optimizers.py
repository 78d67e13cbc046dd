"""Gradient-descent optimizers.

An optimizer knows nothing of layers: it is handed one flat list of parameter arrays
(``coefs + intercepts``) and, at every step, the matching list of gradients, and it
updates the parameters in place (through BLAS's axpy and scal: one pass over each
array, no temporary).
"""

import copy
import math

import numpy as np

from ._blas import axpy, scal


class _WorkArrays:
    """One scratch array per parameter, made on first use and never pickled.

    The updates are computed in place with it, so that a step allocates nothing the
    size of a weight matrix. The other attributes are the optimizer's state: what is
    pickled, and what :meth:`snapshot` copies and :meth:`restore` puts back.
    """

    def _work(self, params):
        work = self.__dict__.get("_work_arrays")
        if work is None or any(a.shape != p.shape for a, p in zip(work, params)):
            work = self._work_arrays = [np.empty_like(p) for p in params]
        return work

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_work_arrays", None)
        return state

    def snapshot(self):
        """A copy of the optimizer's state, to go back to with :meth:`restore`."""
        return copy.deepcopy(self.__getstate__())

    def restore(self, snapshot):
        """Go back to the state of a :meth:`snapshot`."""
        self.__dict__.update(snapshot)

    def is_finite(self):
        """Whether every number of the state (momentum, moment estimates) is finite."""
        return all(
            np.isfinite(a).all()
            for value in self.__getstate__().values()
            if isinstance(value, list)
            for a in value
        )


class _Schedule(_WorkArrays):
    """The learning-rate schedule both optimizers share.

    "constant" keeps eta; "invscaling" sets eta = learning_rate_init / (t + 1) **
    power_t after every epoch, t being the number of samples seen; "adaptive"
    divides eta by 5 each time training stops improving, and stops once it falls
    to 1e-6.
    """

    def _init_schedule(self, learning_rate_init, schedule, power_t):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.schedule = schedule
        self.power_t = power_t

    def iteration_ends(self, time_step):
        """Update the learning rate after an epoch (``time_step`` samples seen)."""
        if self.schedule == "invscaling":
            try:
                decay = float(time_step + 1) ** self.power_t
            except OverflowError:  # a large power_t: the rate is 0 to float precision
                decay = math.inf
            self.learning_rate = self.learning_rate_init / decay

    def trigger_stopping(self, verbose=False):
        """Decide whether to stop once training no longer improves.

        With the "adaptive" schedule, divide the learning rate by 5 and go on while it
        stays above 1e-6; otherwise stop.

        Returns
        -------
        bool
            True if training should stop.
        """
        if self.schedule != "adaptive" or self.learning_rate <= 1e-6:
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(f"Setting learning rate to {self.learning_rate:f}")
        return self.learning_rate <= 1e-6


class GradientDescent(_Schedule):
    """Gradient descent with optional (Nesterov) momentum and a learning-rate schedule.

    Each step: v <- momentum * v - eta * g, then theta <- theta + v (or, with
    Nesterov's momentum, theta <- theta + momentum * v - eta * g). With
    ``momentum=0`` this is the lecture's plain rule theta <- theta - eta * g.

    Parameters
    ----------
    params : list of ndarray
        The parameters; only their shapes and dtypes are read here.
    learning_rate_init : float, default=0.1
        The step size eta at the start.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        "invscaling" sets eta = learning_rate_init / (t + 1) ** power_t after every
        epoch, t being the number of samples seen; "adaptive" divides eta by 5 each
        time training stops improving (see :meth:`trigger_stopping`).
    momentum : float, default=0.9
        Momentum coefficient in [0, 1].
    nesterov : bool, default=True
        Whether to use Nesterov's momentum.
    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        learning_rate="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        self._init_schedule(learning_rate_init, learning_rate, power_t)
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocities = [np.zeros_like(p) for p in params]

    def update_params(self, params, grads):
        """Take one step: update every array of ``params`` in place."""
        eta, mu = self.learning_rate, self.momentum
        for theta, g, v in zip(params, grads, self.velocities):
            axpy(-eta, g, scal(mu, v))  # v <- mu v - eta g
            if self.nesterov:
                axpy(-eta, g, axpy(mu, v, theta))  # theta += mu v - eta g
            else:
                axpy(1.0, v, theta)


class Adam(_Schedule):
    """Adam (Kingma and Ba, 2014).

    With g the gradient and t the number of steps taken::

        m <- beta_1 m + (1 - beta_1) g
        v <- beta_2 v + (1 - beta_2) g^2
        eta_t = eta sqrt(1 - beta_2^t) / (1 - beta_1^t)
        theta <- theta - eta_t m / (sqrt(v) + epsilon)

    Parameters
    ----------
    params : list of ndarray
        The parameters; only their shapes and dtypes are read here.
    learning_rate_init : float, default=0.001
        The step size eta at the start.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        How eta changes as training goes on (see :class:`GradientDescent`).
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Guards the division.
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        learning_rate="constant",
        power_t=0.5,
    ):
        self._init_schedule(learning_rate_init, learning_rate, power_t)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.ms = [np.zeros_like(p) for p in params]
        self.vs = [np.zeros_like(p) for p in params]

    def update_params(self, params, grads):
        """Take one step: update every array of ``params`` in place."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        eta = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        work_arrays = self._work(params)
        for theta, g, m, v, work in zip(params, grads, self.ms, self.vs, work_arrays):
            axpy(1 - b1, g, scal(b1, m))  # m <- b1 m + (1 - b1) g
            with np.errstate(over="ignore"):  # an infinite v is caught as divergence
                np.square(g, out=work)
            axpy(1 - b2, work, scal(b2, v))  # v <- b2 v + (1 - b2) g^2
            np.sqrt(v, out=work)
            work += self.epsilon
            np.divide(m, work, out=work)
            axpy(-eta, work, theta)  # theta -= eta_t m / (sqrt(v) + epsilon)
