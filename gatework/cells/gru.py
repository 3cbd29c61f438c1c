"""Gated recurrent unit (Cho et al. 2014), torch.nn.GRUCell's layout, both reset placements."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework.cells.base import RecurrentCell, Slots, State


class GRUCell(RecurrentCell):
    """Gated recurrent unit; gates stacked r, z, n like torch.nn.

    Equations (``step`` computes them line for line)::

        r_t = σ(W_ir x_t + b_ir + W_hr h_prev + b_hr)              reset gate
        z_t = σ(W_iz x_t + b_iz + W_hz h_prev + b_hz)              update gate
        n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_prev + b_hn))   candidate (reset_after=True)
        n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_prev) + b_hn)   candidate (reset_after=False)
        h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_prev

    - r_t near 0 makes the candidate ignore h_prev (a fresh start), near 1 lets it see all of it.
    - z_t near 0 replaces h_prev by the candidate, near 1 keeps h_prev unchanged.

    The trap: ``reset_after=True`` (the default) is torch.nn's and cuDNN's form, the reset gate
    multiplies the *projected* state ``W_hn h_prev + b_hn``, so one matmul covers all three gates.
    ``reset_after=False`` is Cho et al. 2014's form that most textbooks print: the reset gate
    multiplies ``h_prev`` *before* the matmul, which needs a second matmul per step and gives
    different numbers for the same weights (Keras calls this option ``reset_after`` too).
    Only ``reset_after=True`` has a torch.nn equivalent (``from_torch``/``to_torch``).

    With ``layer_norm=True`` every ``W x`` and ``W h`` product is layer-normalised before its
    bias is added (see ``RecurrentCell``). 3× the parameters of ``SimpleRNNCell``.

    Args:
        input_size: F. hidden_size: H. bias: both biases, as torch.nn.
        reset_after: where the reset gate acts, see above.
        layer_norm: see above.

    Shape:
        ``forward(x_t (B, F), h (B, H)) -> h_t (B, H)``.
    """

    gates = ("r", "z", "n")
    fold_hidden_bias = False  # b_hn sits inside the reset product
    torch_cell = nn.GRUCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        reset_after: bool = True,
        layer_norm: bool = False,
    ):
        super().__init__(input_size, hidden_size, bias, layer_norm)
        self.reset_after = reset_after
        self.slots = (
            {"rz": 2, "hp": 3, "n": 1, "h": 1} if reset_after else {"rz": 2, "n": 1, "h": 1}
        )

    @property
    def fast_path_ok(self) -> bool:
        return self.reset_after and super().fast_path_ok

    def step(
        self,
        xp_t: Tensor,
        state: State,
        mask: Tensor | None = None,
        out: dict[str, Tensor] | None = None,
    ) -> tuple[Tensor, State]:
        """The equations of the class docstring for one step.

        Args:
            xp_t: (B, 3H) input projection ``W_ih x_t + b_ih``.
            state: (h_prev,), (B, H).
            mask: (B, H) recurrent dropout mask on h_prev inside the matmuls, or None
                (the ``z_t ⊙ h_prev`` term uses the unmasked state).
            out: buffers named in ``slots``, or None (see ``RecurrentCell``).

        Returns:
            (h_t, (h_t,)).
        """
        H, buf = self.hidden_size, Slots(out)
        (h_prev,) = state
        x_rz, x_n = xp_t[:, : 2 * H], xp_t[:, 2 * H :]  # (B, 2H), (B, H)
        if self.reset_after:
            hp = self.hidden_projection(h_prev, mask, out=buf.hp)  # (B, 3H) W_h* h_prev + b_h*
            rz = torch.sigmoid(torch.add(x_rz, hp[:, : 2 * H], out=buf.rz), out=buf.rz)
            r, z = rz[:, :H], rz[:, H:]  # r_t, z_t = σ(...)
            # W_in x_t + b_in + r_t ⊙ (W_hn h_prev + b_hn)
            n = torch.addcmul(x_n, r, hp[:, 2 * H :], out=buf.n)
        else:
            hp_rz = self.hidden_projection(h_prev, mask, rows=slice(0, 2 * H))  # (B, 2H)
            rz = torch.sigmoid(torch.add(x_rz, hp_rz, out=buf.rz), out=buf.rz)
            r, z = rz[:, :H], rz[:, H:]  # r_t, z_t = σ(...)
            hp_n = self.hidden_projection(r * h_prev, mask, rows=slice(2 * H, None))
            # W_in x_t + b_in + W_hn (r_t ⊙ h_prev) + b_hn
            n = torch.add(x_n, hp_n, out=buf.n)
        n = torch.tanh(n, out=buf.n)  # n_t = tanh(...)
        h = torch.addcmul(n, z, h_prev - n, out=buf.h)  # h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_prev
        return h, (h,)

    def gate_values(self, bufs: dict[str, Tensor]) -> dict[str, Tensor]:
        r, z = bufs["rz"].chunk(2, dim=-1)
        return {"r": r, "z": z, "n": bufs["n"], "h": bufs["h"]}

    def step_backward(
        self,
        saved: dict[str, Tensor],
        state_prev: State,
        dh: Tensor,
        dstate: State,
        d_xp: Tensor,
        d_hp: Tensor,
    ) -> State:
        """Backward of ``step`` (``reset_after=True``) through one time step (BPTT)::

            δn_pre = δh ⊙ (1 − z_t) ⊙ (1 − n_t²)         → ∂xp_n;  ∂hp_n = δn_pre ⊙ r_t
            δz_pre = δh ⊙ (h_prev − n_t) ⊙ z_t (1 − z_t) → ∂xp_z = ∂hp_z
            δr_pre = δn_pre ⊙ (W_hn h_prev + b_hn) ⊙ r_t (1 − r_t) → ∂xp_r = ∂hp_r
            δh_prev = δh ⊙ z_t     (+ δhp W_hh, added by the loop)

        Args:
            saved: this step's ``slots`` buffers. state_prev: (h_prev,). dh: (B, H) δh.
            dstate: unused (no other state). d_xp, d_hp: (B, 3H) buffers to write.

        Returns:
            (δh ⊙ z_t,): the gradient of h_prev other than through W_hh.
        """
        H = self.hidden_size
        rz, n, hn = saved["rz"], saved["n"], saved["hp"][:, 2 * H :]
        r, z = rz[:, :H], rz[:, H:]
        dh_z = dh * z
        dn = torch.mul(dh - dh_z, 1 - n * n, out=d_xp[:, 2 * H :])  # δn_pre
        torch.mul(dn, hn, out=d_xp[:, :H])  # δr_t (before σ')
        torch.mul(dh, state_prev[0] - n, out=d_xp[:, H : 2 * H])  # δz_t (before σ')
        d_xp[:, : 2 * H].mul_(rz - rz * rz)  # σ' = s (1 − s)
        d_hp[:, : 2 * H] = d_xp[:, : 2 * H]
        torch.mul(dn, r, out=d_hp[:, 2 * H :])
        return (dh_z,)

    def _torch_kwargs(self) -> dict:
        if not self.reset_after:
            raise ValueError("reset_after=False has no torch.nn equivalent; use reset_after=True")
        return {}

    def extra_repr(self) -> str:
        return super().extra_repr() + f", reset_after={self.reset_after}"
