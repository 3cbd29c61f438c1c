"""The GRU's fast form (``reset_after=True``): ``GRUCell.step`` recorded, and its derivatives."""

from __future__ import annotations

import torch
from torch import Tensor

from gatework.cells.base import State
from gatework.cells.fast.kernel import Kernel, StepWeights
from gatework.cells.gru import GRUCell


class GRUKernel(Kernel):
    """``GRUCell``'s equations (``reset_after=True``) with tanh as ``1 − 2σ(−2a)``::

        [wh_rz, wh_n] = W_hh h_prev + b_hh                        one matmul, unscaled
        [r_t, z_t]    = σ(xp_rz + wh_rz)
        −2a           = xp_n − 2 r_t ⊙ wh_n     xp_n = −2 (W_in x_t + b_in): the n rows ×−2
        n_t           = 1 − 2σ(−2a)                               = tanh(a)
        h_t           = n_t + z_t ⊙ (h_prev − n_t)                = (1 − z_t) ⊙ n_t + z_t ⊙ h_prev

    The recurrent term is doubled inside the ``addcmul`` that adds it (``value=-2``), so W_hh
    stays unscaled and ``wh_n`` is recorded as is. Per step it records [r_t, z_t, wh_n], n_t
    and h_prev − n_t (which the step computes anyway, so the backward needs no shifted copy of
    h); its input projection is not recorded (a chunk's worth of buffer, reused).
    """

    recorded = {"rz_whn": 3, "n": 1, "h_minus_n": 1}
    fold_hidden_bias = False  # b_hn sits inside the reset product
    scale_hidden = False  # wh_n is scaled by −2 where the step adds it (value=-2)
    blocks = {"xp": {"xp_rz": 2, "xp_n": 1}, "rz_whn": {"rz": 2, "wh_n": 1}, "rz": {"r": 1, "z": 1}}

    def __init__(self, cell: GRUCell):
        super().__init__(cell, tanh_gates=("n",))

    @staticmethod
    def covers(cell: GRUCell) -> bool:
        return cell.reset_after and not cell.layer_norm

    def step(
        self, xp_t: Tensor, state: State, w: StepWeights, rec: dict[str, Tensor]
    ) -> tuple[Tensor, State]:
        (h_prev,) = state
        xp_rz, xp_n = rec["blocks:xp"]  # (B, 2H) r,z; (B, H) n (×−2)
        if w.b is None:  # W_hh h_prev (+ b_hh), unscaled, into rec["rz_whn"]
            torch.mm(h_prev, w.w_t, out=rec["rz_whn"])
        else:
            torch.addmm(w.b, h_prev, w.w_t, out=rec["rz_whn"])
        wh_rz, wh_n = rec["blocks:rz_whn"]  # (B, 2H) r,z; (B, H) wh_n = W_hn h_prev + b_hn
        torch.add(wh_rz, xp_rz, out=rec["rz"]).sigmoid_()  # [r_t, z_t], over its pre-activation
        r, z = rec["blocks:rz"]
        m2a = torch.addcmul(xp_n, r, wh_n, value=-2, out=rec["n"])  # −2a, xp_n being ×−2
        u_n = m2a.sigmoid_()  # σ(−2a), a the argument of n_t's tanh
        n = torch.add(w.one, u_n, alpha=-2, out=rec["n"])  # n_t = tanh(a) = 1 − 2u_n
        h_minus_n = torch.sub(h_prev, n, out=rec["h_minus_n"])
        h = torch.addcmul(n, z, h_minus_n, out=rec["h"])  # h_t = (1−z_t) ⊙ n_t + z_t ⊙ h_prev
        return h, (h,)

    def backward_factors(self, rec: dict[str, Tensor], prev: dict[str, Tensor]) -> tuple:
        """Local derivatives of every step of a chunk at once (BPTT, part 1)::

            q_n = ∂h_t/∂n_pre = (1 − z_t) ⊙ (1 − n_t²)
            q_z = ∂h_t/∂z_pre = (h_prev − n_t) ⊙ z_t (1 − z_t)
            q_r = ∂h_t/∂r_pre = q_n ⊙ (W_hn h_prev + b_hn) ⊙ r_t (1 − r_t)
            q_x = [q_r, q_z, q_n]          ∂h_t/∂xp_t per block
            q_h = [q_r, q_z, q_n ⊙ r_t]    ∂h_t/∂wh_t per block (r_t scales the n block)

        Returns:
            (q_x, q_h, (q_x, q_h, z)), q_x and q_h (k, B, 3H), z (k, B, H):
            ``step_backward`` makes q_x δxp and q_h δhp, in place.
        """
        H = self.hidden_size
        rz, wh_n = rec["rz_whn"].split([2 * H, H], -1)  # [r, z] (k, B, 2H); W_hn h_prev + b_hn
        r, z = rz.chunk(2, -1)  # (k, B, H) each
        n, h_minus_n = rec["n"], rec["h_minus_n"]
        q_x = n.new_empty(*n.shape[:-1], 3 * H)  # (k, B, 3H), written in place: few passes
        q_rz, q_n = q_x.split([2 * H, H], -1)
        q_r, q_z = q_rz.chunk(2, -1)
        torch.addcmul(rz, rz, rz, value=-1, out=q_rz)  # σ' = [r (1 − r), z (1 − z)]
        torch.addcmul(n.new_ones(()), n, n, value=-1, out=q_n)  # 1 − n²
        q_n.addcmul_(q_n, z, value=-1)  # q_n = (1 − n²) − (1 − n²) z
        q_z.mul_(h_minus_n)  # (h_prev − n) z (1 − z)
        q_r.mul_(q_n).mul_(wh_n)  # q_n wh_n r (1 − r)
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
