"""What ``fit`` does at each epoch besides training: report it, and keep it.

:class:`EpochReport` prints the line of ``verbose``: the loss, the validation accuracy
when there is one, the time elapsed and an estimate of the time left.
:class:`Checkpoint` holds the model of the last completed epoch, so that a fit
interrupted by Ctrl-C (``KeyboardInterrupt``) keeps it rather than losing every epoch
done, as scikit-learn's ``MLPClassifier`` does.
"""

import dataclasses
import time


def duration(seconds):
    """A short human duration: '4.2s', '3m07s', '1h02m'."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class EpochReport:
    """Print one line per epoch to standard output (``verbose=True``).

    ``epoch 3/200: loss 0.12345678, validation accuracy 0.9630, elapsed 1.2s, left at
    most 1m18s``: epoch k of this call's ``max_epochs``, its training loss, the
    validation accuracy when it was scored (early stopping), and the time left if
    every remaining epoch allowed ran as long as the average so far. L-BFGS counts
    iterations. With ``max_epochs=None`` (``partial_fit``: one epoch per call) the
    line numbers the epoch among all those done and gives no estimate.
    """

    def __init__(self, first_epoch, max_epochs, unit="epoch"):
        self.first_epoch = first_epoch
        self.max_epochs = max_epochs
        self.unit = unit
        self.start = time.perf_counter()

    def __call__(self, progress):
        elapsed = time.perf_counter() - self.start
        k = progress.n_iter - self.first_epoch
        number = (
            progress.n_iter if self.max_epochs is None else f"{k}/{self.max_epochs}"
        )
        line = f"{self.unit} {number}: loss {progress.loss_curve[-1]:.8f}"
        if progress.validation_epochs and progress.validation_epochs[-1] == (
            progress.n_iter
        ):
            line += f", validation accuracy {progress.validation_scores[-1]:.4f}"
        line += f", elapsed {duration(elapsed)}"
        if self.max_epochs is not None:
            left = elapsed / k * (self.max_epochs - k)
            line += f", left at most {duration(left)}"
        print(line, flush=True)


class Checkpoint:
    """The model after the last completed epoch, to keep if training is interrupted.

    The training loops call :meth:`keep` at every epoch boundary, with copies of the
    parameters that training will not write to; :meth:`restore` gives back
    ``(params, optimizer_state, progress)`` as they were together at the last one:
    the parameters ``coefs + intercepts``, the optimizer's snapshot (None for
    L-BFGS) and the progress. One assignment replaces the checkpoint, so a Ctrl-C in
    the middle of :meth:`keep` leaves the previous one whole.
    """

    # The lists of Progress only grow during training: a checkpoint records their
    # lengths (copying them every epoch would cost time growing with the epochs).
    LISTS = ("loss_curve", "validation_scores", "validation_loss_curve",
             "validation_epochs")  # fmt: skip

    def __init__(self):
        self.state = None

    def keep(self, params, optimizer_state, progress):
        """Record the model of a completed epoch (or the start of training)."""
        lengths = [len(getattr(progress, name)) for name in self.LISTS]
        self.state = (params, optimizer_state, dataclasses.replace(progress), lengths)

    def epochs_after(self, first_epoch):
        """How many epochs after ``first_epoch`` the checkpoint holds (0 if none)."""
        return 0 if self.state is None else self.state[2].n_iter - first_epoch

    def restore(self):
        """``(params, optimizer_state, progress)`` of the last :meth:`keep`."""
        params, optimizer_state, progress, lengths = self.state
        lists = {
            name: getattr(progress, name)[:n] for name, n in zip(self.LISTS, lengths)
        }
        return params, optimizer_state, dataclasses.replace(progress, **lists)
