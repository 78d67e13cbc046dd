"""
================================
Forward propagation of one digit
================================

A trained network classifies an image by forward propagation: the pixels are the
activations a[0] of the input layer, and each layer l computes from the layer
before it

    z[l] = W[l] a[l-1] + b[l],    a[l] = sigmoid(z[l]),

up to the output layer L, whose ten neurons stand for the ten digits. The
prediction is the digit of the most activated output neuron.

:class:`~sknn_sigmoid.inspection.ActivationsDisplay` draws these activations for
one image: the input image, then every layer as a column of its neurons, each a
grey cell from black (activation 0, the neuron is silent) to white (activation 1,
it fires).
"""

# %%
# Train a network with two hidden layers
# --------------------------------------
# 64 input pixels, hidden layers of 32 and 16 sigmoid neurons, 10 sigmoid outputs,
# trained on the squared error with the defaults: Adam, with the rate divided by 5
# each time the training loss stalls, until it is too small to matter (here after
# some ninety epochs).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier
from sknn_sigmoid.inspection import ActivationsDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
model = make_pipeline(
    MinMaxScaler(),
    SigmoidMLPClassifier(hidden_layer_sizes=(32, 16), random_state=0),
)
model.fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# One digit through the network
# -----------------------------
# The pipeline first scales the pixels to [0, 1]; those scaled pixels are a[0]. Each
# hidden neuron then responds more or less strongly, depending on how much of the
# pattern its weights look for the image has: many cells are near black or white, others
# grey (over the test images, about four in ten of the first hidden layer's activations
# lie between 0.1 and 0.9). The output layer reads the pattern of the last hidden layer:
# for a digit the network is sure of, one output neuron is white, the others black, and
# the red frame marks the prediction. The numbers in the output cells are the
# activations a[L]_k.
output = model[-1].forward(model[0].transform(X_test))[-1]
right = model.predict(X_test) == y_test
i = np.flatnonzero(right & (output.max(axis=1) > 0.9))[0]  # right and sure of it
disp = ActivationsDisplay.from_estimator(model, X_test[i])
disp.figure_.suptitle(f"Forward propagation of a {y_test[i]}")

# %%
# ``disp.images_[l]`` holds exactly the activations a[l] that the network's
# ``forward`` method returns, so the picture can be checked against the numbers:
activations = model[-1].forward(model[0].transform(X_test[i : i + 1]))
for l, a in enumerate(activations):
    print(f"a[{l}]: {a.shape[1]:2d} neurons, mean activation {a.mean():.2f}")

# %%
# A harder digit
# --------------
# For an image the network gets wrong, the output layer is less decided: no output
# neuron comes near 1, and the most active one is not the true digit.
wrong = np.flatnonzero(~right)
print(f"{len(wrong)} of {len(y_test)} test images misclassified")
if len(wrong):
    j = wrong[0]
    disp = ActivationsDisplay.from_estimator(model, X_test[j])
    disp.figure_.suptitle(
        f"A {y_test[j]} taken for a {model.predict(X_test[j : j + 1])[0]}"
    )

# %%
# Without hidden layers
# ---------------------
# One-vs-rest logistic regression is the same picture with no hidden layer: each
# output neuron is a logistic model of the pixels directly, a[1]_k = sigmoid(w_k .
# x + b_k). Its answers for the first image above:
baseline = make_pipeline(MinMaxScaler(), OneVsRestLogistic(alpha=1.0, max_iter=300))
baseline.fit(X_train, y_train)
disp = ActivationsDisplay.from_estimator(baseline, X_test[i])
disp.figure_.suptitle("The same digit through one-vs-rest logistic regression")

plt.show()
