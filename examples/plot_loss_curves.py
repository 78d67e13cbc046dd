"""
==============================
Squared error against log-loss
==============================

The lecture trains its network on the squared error between the output activations
and the one-hot targets,

    J = 1/(2m) sum_i sum_k (a[L]_ik - y_ik)^2.

Its gradient with respect to z[L] is the output error
delta[L] = (a - y) a (1 - a) / m. The factor a (1 - a) is the slope of the
sigmoid: it is at most 1/4, and it is close to 0 whenever an output neuron is
saturated near 0 or 1, *even when its answer is wrong*. Then the gradient is small
and gradient descent learns slowly.

The log-loss (cross-entropy) of each output,

    J = -1/m sum_i sum_k [y_ik log a_ik + (1 - y_ik) log(1 - a_ik)],

has the output error delta[L] = (a - y) / m: the slope factor cancels, and a
wrong answer always gives a large gradient. This example trains the same network
with both losses (``loss="squared_error"`` and ``loss="log_loss"``) and draws
their loss curves with :class:`~sknn_sigmoid.inspection.LossCurveDisplay`.
"""

# %%
# Two networks that differ only in their loss
# -------------------------------------------
# One hidden layer of 30 sigmoid units, trained by mini-batch gradient descent with
# momentum (``solver="sgd"``), the same learning rate and the same initial weights
# (``random_state``). ``early_stopping=True`` holds out 10% of the training data
# and records, after every epoch, the loss on it (``validation_loss_curve_``) and
# the accuracy on it (``validation_scores_``).
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import SigmoidMLPClassifier
from sknn_sigmoid.inspection import LossCurveDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)


def train(loss, solver="sgd", learning_rate_init=0.5):
    network = SigmoidMLPClassifier(
        hidden_layer_sizes=(30,),
        loss=loss,
        solver=solver,
        learning_rate_init=learning_rate_init,
        early_stopping=True,
        n_iter_no_change=20,
        max_iter=300,
        random_state=0,
    )
    model = make_pipeline(MinMaxScaler(), network).fit(X_train, y_train)
    print(
        f"{solver:4s} {loss:13s}: {network.n_iter_:3d} epochs, "
        f"test accuracy {model.score(X_test, y_test):.3f}"
    )
    return model


squared = train("squared_error")
log_loss = train("log_loss")

# %%
# Each loss on its own scale
# --------------------------
# The two losses are not on the same scale: at the start every output answers the share
# of its digit, about 0.1 (the output biases start there; see the ``init`` parameter),
# so the squared error is about (0.9^2 + 9 x 0.1^2) / 2 = 0.45 per image and the
# log-loss about -log 0.1 - 9 log 0.9 = 3.25. Their values cannot be compared with each
# other, so each network gets its own panel. In each, the training loss (solid) and the
# loss on the held-out data (dashed) use the left axis, and the accuracy on the held-out
# data (dotted) the right axis.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
LossCurveDisplay.from_estimator(squared, ax=axes[0])
LossCurveDisplay.from_estimator(log_loss, ax=axes[1])
axes[0].set_title("squared error")
axes[1].set_title("log-loss")

# %%
# With the squared error, the loss hardly moves at first (from 0.452 to 0.443 in
# five epochs): every output answers about 0.1 for every image, near 0.1 the slope
# a (1 - a) of every output is small, and the hidden units get little error to
# learn from. The held-out accuracy climbs unsteadily from chance (0.58 after eight
# epochs), and the loss falls steeply only once the hidden units have picked up
# patterns that tell the digits apart. With the log-loss there is no such slow
# start: the accuracy passes 0.9 within seven epochs.

# %%
# The accuracies on one plot
# --------------------------
# Accuracy *is* comparable between the two networks. Drawing both on the same axes,
# with a ``label`` each, shows how many epochs each loss needs.
disp = LossCurveDisplay.from_estimator(
    squared, curves=["validation_score"], label="squared error"
)
LossCurveDisplay.from_estimator(
    log_loss, curves=["validation_score"], label="log-loss", ax=disp.ax_
)
disp.ax_.set_title("Accuracy on held-out data, gradient descent with momentum")

# %%
# Adam
# ----
# The package's default solver, Adam, scales every step by a running estimate of
# the gradient's size, so small gradients still make steps of the usual length.
# That removes the slow start of the squared error: with Adam both losses pass 0.9
# held-out accuracy after 10 or 11 epochs.
squared_adam = train("squared_error", solver="adam", learning_rate_init=0.01)
log_loss_adam = train("log_loss", solver="adam", learning_rate_init=0.01)
disp = LossCurveDisplay.from_estimator(
    squared_adam, curves=["validation_score"], label="squared error"
)
LossCurveDisplay.from_estimator(
    log_loss_adam, curves=["validation_score"], label="log-loss", ax=disp.ax_
)
disp.ax_.set_title("Accuracy on held-out data, Adam")

plt.show()
