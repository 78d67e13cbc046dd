"""
======================================================
The defaults on small data, beside scikit-learn's MLP
======================================================

scikit-learn's classic "classifier comparison" figure, for two estimators: the
defaults of :class:`~sknn_sigmoid.SigmoidMLPClassifier` and those of
scikit-learn's :class:`~sklearn.neural_network.MLPClassifier`, each after
:class:`~sklearn.preprocessing.MinMaxScaler`. On a few hundred samples
``solver="auto"`` trains with L-BFGS (``solver_`` says so): the full batch at every
iteration, where mini-batches of 200 would take one or two steps an epoch.

Each panel draws the probability of the second class over the plane, the training
points (filled) and the test points (faded) of one split, and is titled with the
mean accuracy of a 5-fold cross-validation on the whole data set.
"""

# %%
# Three data sets
# ---------------
# Two moons, two circles and a linearly separable set, with noise, as in
# scikit-learn's figure.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from sklearn.datasets import make_circles, make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_sigmoid import SigmoidMLPClassifier

X, y = make_classification(
    n_samples=300,
    n_features=2,
    n_redundant=0,
    n_informative=2,
    n_clusters_per_class=1,
    random_state=1,
)
X += 2 * np.random.RandomState(2).uniform(size=X.shape)
datasets = {
    "moons": make_moons(300, noise=0.3, random_state=0),
    "circles": make_circles(300, noise=0.2, factor=0.5, random_state=1),
    "linearly separable": (X, y),
}
models = {
    "SigmoidMLPClassifier()": SigmoidMLPClassifier(random_state=0),
    "MLPClassifier()": MLPClassifier(random_state=0),
}

# %%
# Cross-validate, fit and draw
# ----------------------------
# scikit-learn's ``MLPClassifier()`` runs its 200 epochs on these sets without
# converging, and says so; its warnings are silenced here.
cv = StratifiedKFold(5, shuffle=True, random_state=0)
cm = plt.cm.RdBu
points = ListedColormap(["#FF0000", "#0000FF"])
fig, axes = plt.subplots(
    len(datasets), len(models), figsize=(7, 3.2 * len(datasets)), layout="constrained"
)
for row, (data_name, (X, y)) in enumerate(datasets.items()):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, random_state=42
    )
    for col, (model_name, est) in enumerate(models.items()):
        model = make_pipeline(MinMaxScaler(), est)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            accuracy = cross_val_score(model, X, y, cv=cv).mean()
            model.fit(X_train, y_train)
        ax = axes[row, col]
        DecisionBoundaryDisplay.from_estimator(
            model, X, cmap=cm, alpha=0.8, ax=ax, eps=0.5, grid_resolution=100
        )
        ax.scatter(*X_train.T, c=y_train, cmap=points, edgecolors="k", s=15)
        ax.scatter(*X_test.T, c=y_test, cmap=points, edgecolors="k", s=15, alpha=0.5)
        ax.set_xticks(())
        ax.set_yticks(())
        solver = getattr(model[-1], "solver_", model[-1].solver)
        ax.set_title(
            f"{model_name}\n{data_name}: {accuracy:.3f} ({solver})", fontsize=9
        )
plt.show()
