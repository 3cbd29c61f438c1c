"""Time2Vec (Kazemi et al. 2019): a learned linear and periodic encoding of the time index."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Time2Vec(nn.Module):
    """Encodes a scalar time index ``τ`` as ``k`` features.

        t2v(τ)[0] = ω_0 τ + φ_0                  (non-periodic: trend with position)
        t2v(τ)[i] = sin(ω_i τ + φ_i),  1 ≤ i < k  (periodic: learned frequency ω_i, phase φ_i)

    Here ``τ`` is the step position within the input window, ``τ = t`` for ``t = 0 .. T-1``
    (in sampled steps, so the last input step is ``T-1`` in every window). Windows carry no
    calendar time, so the encoding tells a model *where in the window* a step sits; a learned
    ``ω_i = 2π / 7`` on daily data then marks the weekday relative to the window's last day.

    ``ω_i`` and ``φ_i`` start ~ N(0, 1), except ``ω_0`` ~ N(0, 1) / ``length``, which keeps the
    linear feature of order 1 across a window of ``length`` steps, like the scaled inputs.

    Args:
        k: number of features (``k >= 1``; one linear and ``k - 1`` periodic).
        length: the window length T the encoding will see (only scales ``ω_0``'s start).

    Shape:
        forward(x): x (B, T, F) -> (B, T, F + k), the encoding appended after the inputs.
    """

    def __init__(self, k: int, length: int = 1) -> None:
        super().__init__()
        if k < 1:
            raise ValueError(f"Time2Vec needs k >= 1 features, got k={k}; use time2vec=0 for none")
        self.k = k
        omega = torch.randn(k)
        omega[0] /= length
        self.omega = nn.Parameter(omega)  # ω_0 .. ω_{k-1}
        self.phi = nn.Parameter(torch.randn(k))  # φ_0 .. φ_{k-1}

    def encode(self, tau: Tensor) -> Tensor:
        """Encodes time indices ``tau`` of shape (T,) as (T, k)."""
        z = tau.unsqueeze(-1) * self.omega + self.phi  # (T, k)
        return torch.cat([z[:, :1], torch.sin(z[:, 1:])], dim=-1)  # (T, k)

    def forward(self, x: Tensor) -> Tensor:
        B, T, _ = x.shape
        tau = torch.arange(T, device=x.device, dtype=x.dtype)  # (T,)
        features = self.encode(tau).expand(B, T, self.k)  # (B, T, k)
        return torch.cat([x, features], dim=-1)  # (B, T, F + k)
