"""
=========================================
Which pixels vote for and against a digit
=========================================

A logistic model that answers "is this a 3?" computes a weighted sum of the pixels,
z = w . x + b, and passes it through the sigmoid, a = sigmoid(z). It answers yes
when a is above 0.5. Training by gradient descent on log-loss chooses the weights w
(the thetas) so that a is close to 1 for images of a 3 and close to 0 for the others.

:class:`~sknn_sigmoid.OneVsRestLogistic` trains ten such models, one per digit, and
predicts the digit whose model answers highest (one-vs-rest). Each model has one
weight per pixel, so its weights can be drawn as an image of the same shape as the
digits. This example draws the ten images for scikit-learn's 8×8 digits.
"""

# %%
# Train the ten logistic models
# -----------------------------
# The pixels of the digits are integers from 0 to 16; ``MinMaxScaler`` maps every
# pixel to [0, 1] (0 black, 1 white), as the lecture does by dividing MNIST's
# pixels by 255. A moderate L2 penalty ``alpha`` keeps the weights of pixels that
# carry little information near 0, which makes the pictures easier to read.
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit as sigmoid
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic
from sknn_sigmoid.inspection import WeightImagesDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
model = make_pipeline(
    MinMaxScaler(), OneVsRestLogistic(alpha=1.0, max_iter=300, random_state=0)
)
model.fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# The weights of each model as an image
# -------------------------------------
# Row k of ``coef_`` holds the 64 weights w_k of the model of digit k. Reshaped to
# 8×8, they are drawn with the lecture's colours: **green** for positive weights,
# **red** for negative ones, **black** for weights near 0. All ten images share one
# colour scale, so the same colour means the same weight in every image.
disp = WeightImagesDisplay.from_estimator(model)
disp.figure_.suptitle("One-vs-rest weights: green votes for the digit, red against")

# %%
# How to read the pictures
# ------------------------
# The model multiplies every pixel by its weight and adds the products up. A white
# pixel (value 1) on a green weight raises z, and with it the answer a; a white
# pixel on a red weight lowers it; a black pixel (value 0) adds nothing, whatever
# its weight. So the green pixels are where the digit has ink and the other digits
# mostly do not: the model amplifies them. The red pixels are where *other* digits
# have ink and this one does not.
#
# The shapes show it: the model of 0 is green around a ring and red in the middle,
# where a 0 is empty but most other digits cross; the model of 1 is green down the
# centre, where a 1 draws its stroke, and red to both sides. The more of its green
# pixels an image lights up and the fewer red ones, the higher the model's answer.
#
# Weights of the pixels in the left and right columns are near 0 (black): those
# pixels are inked in at most a few images in a hundred, so they carry little
# information and the penalty keeps their weights small. The top and bottom rows,
# which most digits ink, do get weights.

# %%
# One image, ten answers
# ----------------------
# To classify an image, each of the ten models computes its answer
# a_k = sigmoid(w_k . x + b_k), and the prediction is the digit with the highest
# one.
scaler, ovr = model[0], model[-1]
x = scaler.transform(X_test[:1])
answers = sigmoid(x @ ovr.coef_.T + ovr.intercept_)[0]
for digit, answer in zip(ovr.classes_, answers):
    print(f"model of {digit}: a = {answer:.3f}")
print("prediction:", ovr.classes_[np.argmax(answers)], "true digit:", y_test[0])

plt.show()
