"""Gated recurrent unit (Cho et al. 2014), torch.nn.GRUCell's layout, both reset placements."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework.cells.base import RecurrentCell, State


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

    The trap: ``reset_after=True`` (default; torch.nn, cuDNN, Keras) applies the reset gate to
    the *projected* state ``W_hn h_prev + b_hn``, so one matmul covers all three gates;
    ``reset_after=False`` (Cho et al. 2014, most textbooks) applies it to ``h_prev`` *before* the
    matmul: a second matmul per step, different numbers for the same weights, and no torch.nn
    equivalent. ``layer_norm=True`` normalises every ``W x`` and ``W h`` product before its bias
    (see ``RecurrentCell``). 3× the parameters of ``SimpleRNNCell``. ``step``: tanh = 2σ(2a) − 1.

    Args:
        input_size: F, features of x_t.
        hidden_size: H, units.
        bias: use ``bias_ih`` and ``bias_hh``, as torch.nn.
        reset_after: where the reset gate acts, see above.
        layer_norm: see above.

    Shape:
        ``forward(x_t (B, F), h (B, H)) -> h_t (B, H)``.
    """

    gates = ("r", "z", "n")
    recorded = {"rz_hn": 3, "n": 1}  # [r_t, z_t, W_hn h_prev + b_hn] and n_t, per step
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

    @property
    def fast_path_ok(self) -> bool:
        return self.reset_after and super().fast_path_ok

    def step(
        self,
        xp_t: Tensor,
        state: State,
        mask: Tensor | None = None,
        rec: dict[str, Tensor] | None = None,
    ) -> tuple[Tensor, State]:
        """The equations of the class docstring for one step.

        Args:
            xp_t: (B, 3H) input projection ``W_ih x_t + b_ih``.
            state: (h_prev,), (B, H).
            mask: (B, H) recurrent dropout mask on h_prev in the matmuls (not in z_t ⊙ h_prev).
            rec: None, or this step's (B, ·) views to write values into (``RecurrentCell``).

        Returns:
            (h_t, (h_t,)).
        """
        H = self.hidden_size
        (h_prev,) = state
        out = {} if rec is None else rec  # where to write each value (None: a new tensor)
        buf = out.get("rz_hn")  # (B, 3H) when recording: [r_t, z_t, W_hn h_prev + b_hn]
        x_n = xp_t[:, 2 * H :]  # (B, H) W_in x_t + b_in
        if self.reset_after:
            hp = self.hidden_projection(h_prev, mask, out=buf)  # (B, 3H) W_h* h_prev + b_h*
            rz = hp[:, : 2 * H].add_(xp_t[:, : 2 * H]).sigmoid_()  # over its pre-activation
            r, z = rz.chunk(2, 1)  # r_t, z_t = σ(...)
            hn = hp[:, 2 * H :]  # W_hn h_prev + b_hn
            a = torch.addcmul(x_n, r, hn)  # x_n + r_t ⊙ (W_hn h + b_hn)
        else:
            rz = None if buf is None else buf[:, : 2 * H]
            rz = self.hidden_projection(h_prev, mask, rows=slice(0, 2 * H), out=rz)  # (B, 2H)
            rz = rz.add_(xp_t[:, : 2 * H]).sigmoid_()
            r, z = rz.chunk(2, 1)  # r_t, z_t = σ(...)
            hn = self.hidden_projection(r * h_prev, mask, rows=slice(2 * H, None))
            a = x_n + hn  # x_n + W_hn (r_t ⊙ h_prev) + b_hn
        s_n = torch.sigmoid(a + a, out=out.get("n"))  # σ(2a)
        n = torch.add(self.minus_one, s_n, alpha=2, out=out.get("n"))  # n_t = tanh(a) = 2σ(2a)−1
        h = torch.addcmul(n, z, h_prev - n, out=out.get("h"))  # h_t = (1−z_t) ⊙ n_t + z_t ⊙ h_prev
        return h, (h,)

    def gate_values(self, rec: dict[str, Tensor]) -> dict[str, Tensor]:
        r, z = rec["rz_hn"][..., : 2 * self.hidden_size].chunk(2, dim=-1)
        return {"r": r, "z": z, "n": rec["n"], "h": rec["h"]}

    def backward_factors(self, rec: dict[str, Tensor], prev: dict[str, Tensor]) -> tuple:
        """Local derivatives of every step at once (``reset_after=True``; BPTT, part 1)::

            q_n = ∂h_t/∂n_pre = (1 − z_t) ⊙ (1 − n_t²)
            q_z = ∂h_t/∂z_pre = (h_prev − n_t) ⊙ z_t (1 − z_t)
            q_r = ∂h_t/∂r_pre = q_n ⊙ (W_hn h_prev + b_hn) ⊙ r_t (1 − r_t)
            q_x = [q_r, q_z, q_n]          ∂h_t/∂xp_t per block
            q_h = [q_r, q_z, q_n ⊙ r_t]    ∂h_t/∂hp_t per block (r_t scales the n block)

        Returns:
            (q_x, q_h (T, B, 3H), z (T, B, H)), made δxp and δhp in place by ``step_backward``.
        """
        r, z, hn = rec["rz_hn"].chunk(3, -1)  # (T, B, H) each
        n = rec["n"]
        q_x = n.new_empty(*n.shape[:-1], 3 * self.hidden_size)  # (T, B, 3H)
        q_r, q_z, q_n = q_x.chunk(3, -1)
        one = n.new_ones(())  # written in place below: few (T, B, H) temporaries
        torch.addcmul(one, n, n, value=-1, out=q_n).mul_(1 - z)  # (1 − n²)(1 − z)
        torch.sub(prev["h"], n, out=q_z).mul_(z).mul_(1 - z)  # (h_prev − n) z (1 − z)
        torch.mul(q_n, hn, out=q_r).mul_(r).mul_(1 - r)  # q_n hn r (1 − r)
        q_h = q_x.clone()
        q_h[..., 2 * self.hidden_size :].mul_(r)
        return q_x, q_h, z

    def step_backward(self, factors: tuple, dh: Tensor, dstate: State) -> tuple:
        """One step back in time (BPTT, part 2)::

            δxp_t = q_x ⊙ δh_t,   δhp_t = q_h ⊙ δh_t   (per block, in place)
            δh_prev = δh_t ⊙ z_t   (+ δhp_t W_hh, added by the loop)

        Returns (δh_t ⊙ z_t, ()).
        """
        q_x, q_h, z = factors
        dh3 = torch.cat([dh, dh, dh], dim=1)  # (B, 3H): δh_t for each block
        q_x.mul_(dh3)  # δxp_t
        q_h.mul_(dh3)  # δhp_t
        return dh * z, ()

    def _torch_kwargs(self) -> dict:
        if not self.reset_after:
            raise ValueError("reset_after=False has no torch.nn equivalent; use reset_after=True")
        return {}

    def extra_repr(self) -> str:
        return super().extra_repr() + f", reset_after={self.reset_after}"
