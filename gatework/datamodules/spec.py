"""The contract between a datamodule and a model: what the windows look like.

Every datamodule exposes ``dm.spec`` (after ``dm.setup()``) and every model takes it as its
first argument, so models never read a data config and datamodules never know a model.

Batches are tuples, batch-first everywhere:

* ``x``: (B, T, F) float32, the scaled input window (T = ``input_len`` sampled steps,
  F = ``n_inputs`` columns, in the order of ``input_names``).
* ``y``: the scaled targets.
  ``target_mode == "vector"``: (B, n_ahead * n_targets), step-major, i.e.
  ``y.view(B, n_ahead, n_targets)[:, k, j]`` is target ``j`` at ``horizon + k`` steps after the
  last input step.
  ``target_mode == "sequence"``: (B, T, n_ahead * n_targets), where row ``t`` holds the
  ``n_ahead`` steps after input step ``t`` (same step-major order), as in seq2seq training.
* ``x_future`` (only when ``n_future > 0``): (B, n_ahead, n_future) known-future covariates
  (e.g. the day type of each target day), already scaled/encoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TARGET_MODES = ("vector", "sequence")


@dataclass(frozen=True)
class SeriesSpec:
    """Shapes and scaling of the windows a datamodule serves.

    Args:
        input_len: T, input steps per window (after ``sampling_rate``).
        n_inputs: F, input columns.
        n_targets: target columns per step.
        n_ahead: consecutive target steps per window.
        target_mode: ``"vector"`` or ``"sequence"`` (see the module docstring).
        horizon: sampled steps from the last input step to the first target step (>= 1).
        input_names: names of the input columns, in order.
        target_names: names of the target columns, in order.
        target_input_index: for each target, its position among the input columns, or None when
            the target is not an input (naive baselines and iterative forecasts need it).
        target_mean: per target, the scaler's mean: ``original = scaled * std + mean``.
        target_std: per target, the scaler's standard deviation.
        n_future: known-future covariates per target step (0: no ``x_future`` in batches).
        mase_scale: per target, the in-sample seasonal naive MAE on the training windows, in
            original units: the denominator of MASE (empty: MASE is not reported).
    """

    input_len: int
    n_inputs: int
    n_targets: int
    n_ahead: int
    target_mode: str = "vector"
    horizon: int = 1
    input_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()
    target_input_index: tuple[int | None, ...] = ()
    target_mean: tuple[float, ...] = field(default=())
    target_std: tuple[float, ...] = field(default=())
    n_future: int = 0
    mase_scale: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.target_mode not in TARGET_MODES:
            raise ValueError(f"target_mode must be one of {TARGET_MODES}, got {self.target_mode!r}")
        for name in ("input_len", "n_inputs", "n_targets", "n_ahead", "horizon"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.target_mean:
            object.__setattr__(self, "target_mean", (0.0,) * self.n_targets)
        if not self.target_std:
            object.__setattr__(self, "target_std", (1.0,) * self.n_targets)
        if not self.target_input_index:
            object.__setattr__(self, "target_input_index", (None,) * self.n_targets)
        per_target = ("target_mean", "target_std", "target_input_index")
        for name in per_target + (("mase_scale",) if self.mase_scale else ()):
            if len(getattr(self, name)) != self.n_targets:
                raise ValueError(
                    f"{name} needs one entry per target ({self.n_targets}), "
                    f"got {len(getattr(self, name))}"
                )

    @property
    def output_size(self) -> int:
        """Width of one prediction: ``n_ahead * n_targets``."""
        return self.n_ahead * self.n_targets
