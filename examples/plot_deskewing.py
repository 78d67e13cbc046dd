"""
=============================
Straightening slanted digits
=============================

People slant their handwriting, and a network that reads pixels has to learn every
slant of every digit. :class:`~sknn_sigmoid.preprocessing.Deskewer` takes the slant
out before the network sees the image: it measures the line that best predicts a
stroke's column from its row (the image's principal axis), shears the image so that
this line is vertical, and moves the image's centre of mass to its centre. LeCun et
al. did this to MNIST for several of the classifiers they compared.

It learns nothing from the training set and adds no image, so it is preprocessing,
not data augmentation; in a pipeline it deskews every image the pipeline is given,
for training and for prediction alike.
"""

# %%
# The most slanted digits, before and after
# -----------------------------------------
# :func:`~sknn_sigmoid.preprocessing.image_moments` gives each image's centre of
# mass and its shear s: how many columns a stroke moves right for each row down.
# The eight most slanted images (seven ones and a nine, all leaning left: their
# strokes move right as they go down) come out upright.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier
from sknn_sigmoid.preprocessing import Deskewer, image_moments

X, y = load_digits(return_X_y=True)
upright = Deskewer().fit_transform(X)
_, _, shear = image_moments(X.reshape(-1, 8, 8))
_, _, shear_after = image_moments(upright.reshape(-1, 8, 8))
most_slanted = np.argsort(-np.abs(shear))[:8]

fig, axes = plt.subplots(2, 8, figsize=(9, 2.8))
for column, i in enumerate(most_slanted):
    for row, (images, s) in enumerate([(X, shear), (upright, shear_after)]):
        ax = axes[row, column]
        ax.imshow(images[i].reshape(8, 8), cmap="gray")
        ax.set_title(f"s = {s[i]:+.2f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
axes[0, 0].set_ylabel("as drawn")
axes[1, 0].set_ylabel("deskewed")
fig.tight_layout()

print(f"mean |s| over the 1,797 digits: {np.abs(shear).mean():.3f} as drawn, ", end="")
print(f"{np.abs(shear_after).mean():.3f} deskewed")

# %%
# The shear left after deskewing is not exactly 0: the new pixels are interpolated
# between the old ones (bilinearly), which blurs the strokes a little, and a digit
# moved towards the border of an 8×8 image loses the part that leaves it. These
# digits are centred at (3.5, 3.5), and ``Deskewer`` moves centres to (4, 4), where
# MNIST centres its 28×28 digits (at (14, 14)): every digit here moves by half a
# pixel and is interpolated, while MNIST's move only as much as they are off.

# %%
# Does it help the networks?
# --------------------------
# Five-fold cross-validation of the default network and of the logistic baseline,
# each with and without deskewing in front of the scaling. On these digits
# deskewing raised the network from 93.8% to 94.3% and the baseline from 92.8% to
# 93.4%. On MNIST it took the recipe of the benchmarks from 98.5% to 98.9% on the
# test set.
for estimator in [
    SigmoidMLPClassifier(random_state=0),
    OneVsRestLogistic(random_state=0),
]:
    name = type(estimator).__name__
    plain = cross_val_score(make_pipeline(MinMaxScaler(), estimator), X, y, cv=5)
    deskewed = cross_val_score(
        make_pipeline(Deskewer(), MinMaxScaler(), estimator), X, y, cv=5
    )
    print(f"{name}: {plain.mean():.3f} as drawn, {deskewed.mean():.3f} deskewed")

plt.show()
