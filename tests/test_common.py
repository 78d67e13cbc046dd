"""scikit-learn's estimator checks on every configuration users are likely to run."""

import functools
import re

import pytest
from sklearn.utils.estimator_checks import estimator_checks_generator

from sknn_sigmoid import OneVsRestLogistic, SigmoidMLPClassifier
from sknn_sigmoid.preprocessing import Deskewer, ElasticDistortion

# Mini-batch gradient descent draws its batches at random: repeating a sample k times
# is not the same as giving it weight k, because the repeated copies land in
# different batches (and change the number of batches). Full-batch configurations
# (L-BFGS included) merge repeated rows into weights before training, so that both
# sum the same terms in the same order: they must pass these checks.
SAMPLE_WEIGHT_EQUIVALENCE_CHECKS = (
    "check_sample_weight_equivalence",  # scikit-learn 1.6
    "check_sample_weight_equivalence_on_dense_data",  # 1.7 and later
    "check_sample_weight_equivalence_on_sparse_data",
)
MINI_BATCH_REASON = (
    "stochastic mini-batch training: k copies of a sample fall into different "
    "random batches, so they are not equivalent to one sample of weight k"
)
AUGMENT_REASON = (
    "augment distorts each of k copies of a sample differently, so they are not "
    "equivalent to one sample of weight k"
)

ESTIMATORS = [
    SigmoidMLPClassifier(),  # solver="auto": L-BFGS on the checks' small data
    SigmoidMLPClassifier(solver="adam"),
    SigmoidMLPClassifier(solver="adam", batch_size=8, max_iter=50),
    SigmoidMLPClassifier(
        solver="adam", batch_size=None, learning_rate_init=0.05, max_iter=300
    ),
    SigmoidMLPClassifier(solver="lbfgs"),
    # The checks' data are no images: a mild distortion of their few features (as
    # an image of 1 x 2 pixels, say) keeps them learnable (on the checks' blobs,
    # 91% training accuracy or more for random_state 0-9, where 83% is asked).
    # It also declares that it takes no sparse input. With augment, "auto" is Adam.
    SigmoidMLPClassifier(augment=ElasticDistortion(alpha=1.0, sigma=1.0)),
    OneVsRestLogistic(),
    # Mini-batches of 8 on check_class_weight_classifiers' unscaled blobs (|x| up to
    # 60, class weights 1000 and 1e-4): at the default rate of 0.1 the steps swing
    # the model, and the share of test points put in class 0 ranged from 62% to 100%
    # over random_state 0-29 (13 of 30 below the check's 87% with three classes), so
    # the verdict hung on the seed and on the BLAS kernel's last bits. At 0.001 it
    # was 100% for every one of the 30 seeds, with two and three classes.
    OneVsRestLogistic(batch_size=8, learning_rate_init=0.001, max_iter=50),
    OneVsRestLogistic(batch_size=None, learning_rate_init=0.5, max_iter=200),
    OneVsRestLogistic(solver="lbfgs"),
    Deskewer(),
]


def expected_failed_checks(estimator):
    # The checks' data sets have fewer than 200 samples, so batch_size="auto" trains
    # on full batches there: only explicitly small batches are stochastic.
    if isinstance(estimator, Deskewer):
        return {}
    if getattr(estimator, "augment", None) is not None:
        # Not the sparse check: augment refuses sparse input, and its tags say so
        # (scikit-learn 1.6 runs the check and it passes; later ones skip it).
        return {
            name: AUGMENT_REASON
            for name in SAMPLE_WEIGHT_EQUIVALENCE_CHECKS
            if not name.endswith("_on_sparse_data")
        }
    if not isinstance(estimator.batch_size, int) or estimator.solver == "lbfgs":
        return {}
    return {name: MINI_BATCH_REASON for name in SAMPLE_WEIGHT_EQUIVALENCE_CHECKS}


def _check_name(check):
    return (check.func if isinstance(check, functools.partial) else check).__name__


def applicable(estimator, check):
    """Whether the check tests something of the estimator: scikit-learn's check of
    the multilabel output of decision_function skips itself (a skip that is no
    missing dependency) for the configurations that have no decision_function."""
    name = _check_name(check)
    return not (
        name == "check_classifiers_multilabel_output_format_decision_function"
        and not hasattr(estimator, "decision_function")
    )


def _id(value):
    """The test ids of scikit-learn's parametrize_with_checks."""
    if not callable(value) or hasattr(value, "get_params"):
        return re.sub(r"\s", "", str(value))
    keywords = getattr(value, "keywords", {})
    arguments = ",".join(f"{k}={v}" for k, v in keywords.items())
    return f"{_check_name(value)}({arguments})" if arguments else _check_name(value)


def _cases():
    for estimator in ESTIMATORS:
        for case in estimator_checks_generator(
            estimator,
            expected_failed_checks=expected_failed_checks(estimator),
            mark="xfail",
        ):
            values = case.values if hasattr(case, "values") else case
            if applicable(*values):
                yield case


# The checks train on small random data with budgets of their own (max_iter=5, say)
# and look at what comes out, not at convergence: as in scikit-learn's own
# test_common, the ConvergenceWarnings they provoke are not theirs to assert.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator, check", list(_cases()), ids=_id)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
