"""Gated recurrent unit (Cho et al. 2014), torch.nn.GRUCell's layout, both reset placements."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework.cells.base import RecurrentCell, State, StepWeights


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
    (see ``RecurrentCell``). 3× the parameters of ``SimpleRNNCell``. ``step``: tanh = 1 − 2σ(−2a),
    the n rows of the input projection scaled by −2 (``tanh_gates``) and the recurrent term
    scaled by −2 inside the op that adds it, so it computes −2a.

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
    tanh_gates = ("n",)
    # per step: [r_t, z_t, W_hn h_prev + b_hn], n_t and h_prev − n_t
    recorded = {"rz_hn": 3, "n": 1, "h_n": 1}
    fold_hidden_bias = False  # b_hn sits inside the reset product
    scale_hidden = False  # hn is scaled by −2 where the step adds it (value=-2, alpha=-2)
    blocks = {"xp": {"x_rz": 2, "x_n": 1}, "rz_hn": {"rz": 2, "hn": 1}, "rz": {"r": 1, "z": 1}}
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
        w: StepWeights,
        mask: Tensor | None = None,
        rec: dict[str, Tensor] | None = None,
    ) -> tuple[Tensor, State]:
        """The equations of the class docstring for one step.

        Args:
            xp_t: (B, 3H) input projection ``W_ih x_t + b_ih``, n rows times −2.
            state: (h_prev,), (B, H).
            w: this sequence's ``step_weights()``.
            mask: (B, H) recurrent dropout mask on h_prev in the matmuls (not in z_t ⊙ h_prev).
            rec: None, or this step's (B, ·) views to write values into (``RecurrentCell``).

        Returns:
            (h_t, (h_t,)).
        """
        H = self.hidden_size
        (h_prev,) = state
        out = {} if rec is None else rec  # where to write each value (None: a new tensor)
        x_rz, x_n = self.split(xp_t, "xp", rec)  # W_i* x_t + b_i*: (B, 2H) r,z; (B, H) n (×−2)
        if self.reset_after:
            hp = self.hidden_projection(h_prev, w, mask, out=out.get("rz_hn"))  # W_h* h + b_h*
            hp_rz, hn = self.split(hp, "rz_hn", rec)  # (B, 2H) r,z; hn = W_hn h_prev + b_hn
            rz = torch.add(hp_rz, x_rz, out=out.get("rz")).sigmoid_()  # over its pre-activation
            r, z = self.split(rz, "rz", rec)  # r_t, z_t = σ(...)
            m2a = torch.addcmul(x_n, r, hn, value=-2, out=out.get("n"))  # −2a, x_n being ×−2
        else:
            rz = self.hidden_projection(h_prev, w, mask, x_rz, slice(0, 2 * H), out.get("rz"))
            r, z = self.split(rz.sigmoid_(), "rz", rec)  # r_t, z_t = σ(...)
            hn = self.hidden_projection(r * h_prev, w, mask, rows=slice(2 * H, None))
            m2a = torch.add(x_n, hn, alpha=-2, out=out.get("n"))  # −2a, x_n being ×−2
        u_n = m2a.sigmoid_()  # σ(−2a), a the argument of n_t's tanh
        n = torch.add(w.one, u_n, alpha=-2, out=out.get("n"))  # n_t = tanh(a) = 1 − 2u_n
        h_n = torch.sub(h_prev, n, out=out.get("h_n"))  # h_prev − n_t
        h = torch.addcmul(n, z, h_n, out=out.get("h"))  # h_t = (1−z_t) ⊙ n_t + z_t ⊙ h_prev
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
            (q_x, q_h, (q_x, q_h, z)), q_x and q_h (T, B, 3H), z (T, B, H):
            ``step_backward`` makes q_x δxp and q_h δhp, in place.
        """
        H = self.hidden_size
        rz, hn = rec["rz_hn"].split([2 * H, H], -1)  # [r, z] (T, B, 2H); W_hn h_prev + b_hn
        r, z = rz.chunk(2, -1)  # (T, B, H) each
        n, h_n = rec["n"], rec["h_n"]  # h_n = h_prev − n_t
        q_x = n.new_empty(*n.shape[:-1], 3 * H)  # (T, B, 3H), written in place: few passes
        q_rz, q_n = q_x.split([2 * H, H], -1)
        q_r, q_z = q_rz.chunk(2, -1)
        torch.addcmul(rz, rz, rz, value=-1, out=q_rz)  # σ' = [r (1 − r), z (1 − z)]
        torch.addcmul(n.new_ones(()), n, n, value=-1, out=q_n)  # 1 − n²
        q_n.addcmul_(q_n, z, value=-1)  # q_n = (1 − n²) − (1 − n²) z
        q_z.mul_(h_n)  # (h_prev − n) z (1 − z)
        q_r.mul_(q_n).mul_(hn)  # q_n hn r (1 − r)
        q_h = torch.empty_like(q_x)  # [q_r, q_z] copied, q_n ⊙ r: no pass over a clone
        q_h[..., : 2 * H].copy_(q_rz)
        torch.mul(q_n, r, out=q_h[..., 2 * H :])
        return q_x, q_h, (q_x, q_h, z)

    def step_backward(self, factors: tuple, dh: Tensor, dstate: State, d_out_prev: Tensor) -> tuple:
        """One step back in time (BPTT, part 2)::

            δxp_t = q_x ⊙ δh_t,   δhp_t = q_h ⊙ δh_t   (per block, in place)
            δh_prev = ∂L/∂out_prev + δh_t ⊙ z_t   (+ δhp_t W_hh, added by the loop)

        Returns:
            (∂L/∂out_prev + δh_t ⊙ z_t, δhp_t, ()).
        """
        q_x, q_h, z = factors
        dh3 = torch.cat([dh, dh, dh], dim=1)  # (B, 3H): δh_t for each block
        q_x.mul_(dh3)  # δxp_t
        return torch.addcmul(d_out_prev, dh, z), q_h.mul_(dh3), ()

    def _torch_kwargs(self) -> dict:
        if not self.reset_after:
            raise ValueError("reset_after=False has no torch.nn equivalent; use reset_after=True")
        return {}

    def extra_repr(self) -> str:
        return super().extra_repr() + f", reset_after={self.reset_after}"
