"""
================================
What the hidden units respond to
================================

In a network, every neuron of the first hidden layer is a logistic model of the
pixels, exactly like one of the one-vs-rest models: its activation is
a[1]_j = sigmoid(z[1]_j) with z[1]_j = sum_k w[1]_jk x_k + b[1]_j. Row j of W[1]
holds its weights, one per pixel, so it too can be drawn as an image.

Unlike a one-vs-rest model, a hidden unit is not told which digit to look for: it
is trained only through the output layer, to produce whatever pattern helps the
output neurons tell the digits apart. This example draws those patterns for a
:class:`~sknn_sigmoid.SigmoidMLPClassifier` trained on scikit-learn's 8×8 digits,
and the weights W[2] with which the output layer combines them.
"""

# %%
# Train a network with one hidden layer
# -------------------------------------
# 64 inputs (the pixels, scaled to [0, 1]), 25 sigmoid hidden units and 10 sigmoid
# output units, trained on the squared error between the outputs and the one-hot
# targets. Early stopping holds out 10% of the training data and keeps the weights
# of the epoch that classified it best.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import SigmoidMLPClassifier
from sknn_sigmoid.inspection import WeightImagesDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
model = make_pipeline(
    MinMaxScaler(),
    SigmoidMLPClassifier(hidden_layer_sizes=(25,), early_stopping=True, random_state=0),
)
model.fit(X_train, y_train)
mlp = model[-1]
print(f"test accuracy: {model.score(X_test, y_test):.3f}")
print("W[1]:", mlp.coefs_[0].T.shape, " W[2]:", mlp.coefs_[1].T.shape)

# %%
# The weights into each hidden unit
# ---------------------------------
# ``coefs_[0]`` is W[1] transposed, of shape (n[0], n[1]) = (64, 25): its column j
# holds the 64 weights into hidden unit j. Each is drawn as an 8×8 image with the
# colours of the one-vs-rest pictures: green where ink raises the unit's
# activation, red where ink lowers it, black where a pixel hardly matters.
disp = WeightImagesDisplay.from_estimator(model)
disp.figure_.suptitle("Weights W[1] into the hidden units")

# %%
# The patterns are not digits. Most units combine a green region with a red one:
# they fire for ink in one place *and no ink* in another, a stroke here rather
# than there. Such a unit splits the digits into two groups, those that draw that
# stroke and those that do not, and several units together separate all ten. This
# is the lecture's intuition of a network: the first layer detects small patterns,
# and the next layer combines them.
#
# Every unit has learnt a pattern of its own: their weights are of the same size (a
# mean absolute weight of 0.34 to 0.48 per unit). None is stuck saturated, answering
# nearly the same for every image where the sigmoid's slope a (1 - a), and with it the
# gradient reaching its weights, is nearly 0: Glorot's initialisation, the default,
# starts every unit away from saturation.

# %%
# How the output layer combines the hidden units
# ----------------------------------------------
# Each output neuron is, in turn, a logistic model of the 25 hidden activations;
# its weights are a row of W[2] (``coefs_[1]`` transposed). Drawn as one image of
# 10 rows (the digits) and 25 columns (the hidden units), green means "this unit
# firing is evidence for this digit", red "evidence against it".
W2 = mlp.coefs_[1].T
disp = WeightImagesDisplay([W2.ravel()], image_shape=W2.shape, titles=["W[2]"])
disp.plot(n_cols=1)
ax = disp.axes_[0, 0]
ax.set_yticks(range(10), [f"output {digit}" for digit in mlp.classes_])
ax.set_xticks(range(25), range(25), fontsize="small")
ax.set_xlabel("hidden unit j")
disp.figure_.set_size_inches(8, 4)

# %%
# Every digit gets a few strong green units and a few strong red ones: an output
# neuron fires when the strokes of its digit are present and the strokes of the
# digits it could be confused with are absent. There are about as many red weights
# as green ones, but the red ones are larger (-87 against +63 in all): each output
# neuron must stay near 0 for nine digits out of ten. Reading a column shows what
# one hidden unit is used for: the same stroke counts for some digits and against
# others.

plt.show()
