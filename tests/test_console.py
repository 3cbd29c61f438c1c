"""What a run prints: Lightning's known-false lines filtered, the rest kept; bars on a terminal."""

import logging
import sys
import warnings

import pytest

from gatework.training.console import progress_bar, quiet_known_warnings


def test_known_false_warnings_are_filtered_and_others_kept():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_known_warnings()
        warnings.warn(
            "It is recommended to use `self.log('val/mae', ..., sync_dist=True)` when logging "
            "on epoch level in distributed setting to accumulate the metric across devices.",
            stacklevel=1,
        )
        warnings.warn(
            "It is recommended to use `self.log('train/grad_norm', ..., sync_dist=True)` when "
            "logging on epoch level in distributed setting",
            stacklevel=1,
        )  # not a torchmetrics state: it must still show
        warnings.warn("Checkpoint directory /x/checkpoints exists and is not empty.", stacklevel=1)
    assert [str(w.message)[:44] for w in caught] == ["It is recommended to use `self.log('train/gr"]


def test_lightnings_tip_is_dropped_from_its_log():
    quiet_known_warnings()
    quiet_known_warnings()  # idempotent: one filter
    logger = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    assert len(logger.filters) == 1

    def record(msg):
        return logging.LogRecord(logger.name, logging.INFO, __file__, 1, msg, None, None)

    assert not logger.filter(record("💡 Tip: For seamless cloud logging, try installing ..."))
    assert logger.filter(record("GPU available: False, used: False"))


@pytest.mark.parametrize(("setting", "tty", "expected"), [(None, True, True), (None, False, False),
                         (True, False, True), (False, True, False)])  # fmt: skip
def test_progress_bar_follows_the_terminal_unless_set(monkeypatch, setting, tty, expected):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    assert progress_bar(setting) is expected
