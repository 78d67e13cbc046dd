"""
=====================================
Distorted digits for training
=====================================

A network that has seen a digit drawn one way may not recognise it drawn a little
differently. Training on randomly distorted copies of the images teaches it those
differences: :class:`~sknn_sigmoid.preprocessing.ElasticDistortion` bends the
strokes as another hand would (Simard, Steinkraus and Platt, 2003), and
:class:`~sknn_sigmoid.preprocessing.RandomAffine` turns, scales, slants and moves
the whole digit a little. Given as ``augment`` to
:class:`~sknn_sigmoid.SigmoidMLPClassifier`, either distorts every training batch
anew at every epoch, and never the images to predict.

This example draws one digit and a dozen of its distortions: a 28×28 MNIST digit
when the MNIST files are at hand (in the directory named by the
``SKNN_SIGMOID_MNIST`` environment variable, or in ``shared/data/mnist`` beside the
repository), else an 8×8 digit of :func:`~sklearn.datasets.load_digits`, with the
distortions' sizes scaled to it.
"""

# %%
# One digit
# ---------
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from sknn_sigmoid import SigmoidMLPClassifier
from sknn_sigmoid.datasets import load_mnist
from sknn_sigmoid.preprocessing import ElasticDistortion, RandomAffine


def mnist_directory():
    """The directory of the MNIST files, or None where they are not."""
    # The gallery runs the example in its own directory, without __file__.
    here = Path(__file__).parent if "__file__" in globals() else Path.cwd()
    beside_the_repository = here.resolve().parents[1] / "shared" / "data" / "mnist"
    for candidate in (os.environ.get("SKNN_SIGMOID_MNIST"), beside_the_repository):
        if candidate and Path(candidate, "t10k-images-idx3-ubyte.gz").is_file():
            return candidate
    return None


directory = mnist_directory()
if directory is not None:
    X, y = load_mnist(directory, subset="test", return_X_y=True)
    X = X / 255
    source = "MNIST"
else:
    X, y = load_digits(return_X_y=True)
    X = X / 16
    source = "load_digits"
side = int(np.sqrt(X.shape[1]))
digit = X[np.flatnonzero(y == 2)[0]]  # the first 2: a stroke with a curve and a foot
print(f"a {side}x{side} digit of {source}")

# %%
# Its distortions
# ---------------
# Simard's elastic distortion of 28×28 digits moves each pixel along a random
# field smoothed by a Gaussian of ``sigma=4`` pixels and scaled by ``alpha=34``;
# the affine distortions turn the digit by up to 12 degrees, scale it by 0.9 to
# 1.1, slant it by up to 12 degrees and move it by up to 2 pixels. Smaller images
# get distortions as much smaller: the displacements scale with the side, and
# alpha with its square, since the field's size goes as alpha / sigma.
k = side / 28
elastic = ElasticDistortion(alpha=34 * k**2, sigma=4 * k)
affine = RandomAffine(degrees=12, scale=(0.9, 1.1), shear=12, shift=2 * k)

copies = np.repeat(digit[np.newaxis], 6, axis=0)
rows = [
    ("elastic", elastic(copies, rng=0)),
    ("affine", affine(copies, rng=0)),
]
fig, axes = plt.subplots(2, 7, figsize=(9, 2.9))
for (name, distorted), row in zip(rows, axes):
    row[0].imshow(digit.reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
    row[0].set_title("original", fontsize=9)
    row[0].set_ylabel(name)
    for ax, image in zip(row[1:], distorted):
        ax.imshow(image.reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
    for ax in row:
        ax.set_xticks([])
        ax.set_yticks([])
fig.tight_layout()

# %%
# The smoothing is what makes the distortion elastic: without it (a tiny
# ``sigma``) every pixel moves its own way and the digit only gets noisy; with a
# large one the whole digit moves as one. Away from the border each of dr and dc
# has a standard deviation of about 0.16 ``alpha / sigma`` pixels, 1.4 pixels for
# Simard's values (less near the border, where the smoothing takes in the zeros
# beyond it).
field = elastic._displacements(1, side, side, np.random.RandomState(0))[0]
print(f"mean displacement: {np.hypot(*field).mean():.2f} pixels")
fig, ax = plt.subplots(figsize=(3.2, 3.2))
ax.imshow(digit.reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
# Output pixel (i, j) reads the digit at (i, j) + (dr, dc): the arrows, drawn to
# scale (for every other pixel of a 28×28 image), point to where each pixel takes
# its ink from.
every = slice(None, None, 2 if side > 8 else 1)
r, c = np.mgrid[:side, :side]
ax.quiver(
    c[every, every],
    r[every, every],
    field[1][every, every],
    field[0][every, every],
    color="tab:red",
    angles="xy",
    scale_units="xy",
    scale=1,
)
ax.set_title("where each pixel reads", fontsize=9)
ax.set_xticks([])
ax.set_yticks([])
fig.tight_layout()

# %%
# Training on them
# ----------------
# Give either as ``augment``; a pipeline scales the pixels first, and the
# distortion then sees the scaled images::
#
#     make_pipeline(MinMaxScaler(), SigmoidMLPClassifier(augment=elastic))
#
# ``augment`` is an ordinary parameter: ``GridSearchCV`` can tune its own
# parameters, here ``augment__alpha``.
model = SigmoidMLPClassifier(hidden_layer_sizes=(800,), augment=elastic)
print(sorted(p for p in model.get_params() if p.startswith("augment__")))

plt.show()
