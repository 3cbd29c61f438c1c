"""Lower bounds for any implementation of the cells written as torch ops, against torch.nn.

Two floors, each timed in one process next to torch.nn (median of many repeats, one thread):

- ``gemm``: the matrix products a forward+backward cannot avoid (input projection, T recurrent
  matmuls forward and T backward, δW_ih, δW_hh; no δx: the input is data, as in
  ``bench/rnn_speed.py`` and in training), each timed alone at its real shape. Their sum bounds
  every implementation that computes in float32 with this BLAS; ``ratio`` is that sum over
  torch.nn's forward+backward.
- ``lstm_ops``: the LSTM's per-step tensor ops (the equations of ``LSTMKernel.step`` and
  ``step_backward``, ``gatework/cells/fast/lstm.py``) in a bare loop: views made in advance, no
  function calls, inference mode. What remains above it in ``gatework`` is Python structure and the
  work done once per sequence.

Usage::

    python bench/floors.py                          # both floors, every size
    python bench/floors.py --floors gemm --sizes big jena
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

SIZES = {  # (B, T, F, H), as bench/rnn_speed.py
    "jena": (256, 120, 14, 32),
    "ridership": (32, 56, 5, 32),
    "synthetic": (64, 50, 1, 20),
    "big": (128, 100, 64, 256),
}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
TORCH = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def median_ms(fn, repeats: int) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def torch_fwdbwd(cell: str, B: int, T: int, F: int, H: int, repeats: int) -> float:
    layer = TORCH[cell](F, H, batch_first=True)
    x = torch.randn(B, T, F)  # data: no gradient, as in training

    def run():
        out, h_n = layer(x)
        h_n = h_n[0] if isinstance(h_n, tuple) else h_n
        (out.sum() + h_n.sum()).backward()

    return median_ms(run, repeats)


def gemm_floor(cell: str, B: int, T: int, F: int, H: int, repeats: int) -> float:
    """Sum of the medians of the unavoidable matmuls of one forward+backward, ms."""
    GH = GATES[cell] * H
    x, xp = torch.randn(T * B, F), torch.randn(T * B, GH)
    w_ih, w_hh = torch.randn(GH, F), torch.randn(GH, H)
    h, d, hs = torch.randn(B, H), torch.randn(B, GH), torch.randn(T * B, H)
    parts = [
        lambda: torch.addmm(xp[0], x, w_ih.t()),  # input projection, all steps
        lambda: [torch.addmm(d, h, w_hh.t()) for _ in range(T)],  # recurrent, forward
        lambda: [torch.addmm(h, d, w_hh) for _ in range(T)],  # δh_prev = δhp W_hh, backward
        lambda: x.t() @ xp,  # δW_ih
        lambda: hs.t() @ xp,  # δW_hh
    ]
    return sum(median_ms(p, repeats) for p in parts)


def lstm_ops_floor(B: int, T: int, F: int, H: int, repeats: int) -> float:
    """The LSTM's per-step ops, forward then backward, in a bare loop (ms)."""
    s, p = torch.rand(T, B, 4 * H), torch.rand(T, B, 4 * H)
    c, u_c, h, a = (torch.rand(T, B, H) for _ in range(4))
    w_t, w, minus_two = torch.randn(H, 4 * H) * 0.1, torch.randn(4 * H, H) * 0.1, torch.tensor(-2.0)
    S, P, A = s.unbind(0), p.unbind(0), a.unbind(0)
    i_, f_, ug_, o_ = (blk.unbind(0) for blk in s.unflatten(-1, (4, H)).unbind(2))
    C, UC, Hs = c.unbind(0), u_c.unbind(0), h.unbind(0)

    def run():
        h_prev, c_prev = torch.zeros(B, H), torch.zeros(B, H)
        for t in range(T):  # LSTMKernel.step
            S[t].addmm_(h_prev, w_t).sigmoid_()
            c_prev = torch.addcmul(i_[t], f_[t], c_prev, out=C[t]).addcmul_(i_[t], ug_[t], value=-2)
            u = torch.mul(c_prev, minus_two, out=UC[t]).sigmoid_()
            h_prev = torch.addcmul(o_[t], o_[t], u, value=-2, out=Hs[t])
        dh, dc, zero = torch.zeros(B, H), torch.zeros(B, H), torch.zeros(B, H)
        for t in range(T - 1, -1, -1):  # LSTMKernel.step_backward and the loop's matmul
            dc = torch.addcmul(dc, dh, A[t])
            d_pre = P[t].mul_(torch.cat([dc, dc, dc, dh], dim=1))
            dc = dc * f_[t]
            dh = torch.addmm(Hs[t - 1] if t else zero, d_pre, w)

    with torch.inference_mode():
        return median_ms(run, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--floors", nargs="+", default=["gemm", "lstm_ops"])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(f"{'floor':9} {'cell':5} {'size':10} {'torch.nn ms':>11} {'floor ms':>9} {'ratio':>6}")
    for size in args.sizes:
        dims = SIZES[size]  # B, T, F, H
        rows = [("gemm", c) for c in GATES if "gemm" in args.floors]
        rows += [("lstm_ops", "lstm")] if "lstm_ops" in args.floors else []
        for floor, cell in rows:
            ref = torch_fwdbwd(cell, *dims, args.repeats)
            if floor == "gemm":
                ms = gemm_floor(cell, *dims, args.repeats)
            else:
                ms = lstm_ops_floor(*dims, args.repeats)
            print(f"{floor:9} {cell:5} {size:10} {ref:11.2f} {ms:9.2f} {ms / ref:6.2f}")


if __name__ == "__main__":
    main()
