"""The textbook neural network as scikit-learn estimators.

Sigmoid neurons in layers, one-hot targets, squared-error loss and gradient descent:
:class:`SigmoidMLPClassifier`, and the one-vs-rest logistic regression baseline
:class:`OneVsRestLogistic`.
"""

from . import datasets, preprocessing
from ._logistic import OneVsRestLogistic
from ._mlp import SigmoidMLPClassifier

__version__ = "0.1.0"

__all__ = [
    "OneVsRestLogistic",
    "SigmoidMLPClassifier",
    "__version__",
    "datasets",
    "preprocessing",
]
