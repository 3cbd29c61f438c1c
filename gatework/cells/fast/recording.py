"""The recording loop: a kernel's steps over a sequence, writing into buffers allocated once."""

from __future__ import annotations

from collections.abc import Collection

import torch
from torch import Tensor

from gatework.cells.base import State
from gatework.cells.fast.kernel import Kernel

CHUNK_BYTES = 1 << 20  # (k, B, G*H) buffers of a chunk of steps: about one core's L2 cache


def time_chunks(T: int, step_bytes: int, descending: bool, on_cpu: bool = True) -> list[range]:
    """Steps 0..T−1 in walking order (``descending``: from T−1 down), cut into chunks of k
    steps whose buffers of ``step_bytes`` per step fit in ``CHUNK_BYTES``: work that makes
    several passes over a chunk (project it, then step through it; or take its local
    derivatives, then step back through it) then reads it from the cache, not from memory.
    Off the CPU, one chunk."""
    k = max(1, CHUNK_BYTES // step_bytes) if on_cpu else T  # a GPU gains only launches
    starts = range(0, T, k)
    if not descending:
        return [range(a, min(a + k, T)) for a in starts]
    return [range(min(a + k, T) - 1, a - 1, -1) for a in reversed(starts)]


def _rows(buf: Tensor, T: int) -> list[Tensor] | tuple[Tensor, ...]:
    """The (B, ·) row of ``buf`` that each of T steps uses: its own, or row t mod len(buf)."""
    rows = buf.unbind(0)
    return rows if len(rows) == T else [rows[t % len(rows)] for t in range(T)]


def record_views(
    kernel: Kernel, xp: Tensor, rec: dict[str, Tensor], keep: Collection[str] | None, T: int
) -> list[dict]:
    """Allocate the recording buffers and cut them into every step's named views.

    Fills ``rec`` with one (T, B, width*H) buffer per name of ``kernel.recorded`` and ``"h"``
    (``kernel.xp_record``'s buffer is ``xp`` itself: the step overwrites its input projection),
    then cuts ``xp`` and the buffers into the blocks ``kernel.blocks`` names, so that no step
    spends time slicing (a slice costs ~1.5 µs, more than most ops at these sizes). Only the
    names in ``keep`` (all when None) are kept for every step: the other buffers hold one step,
    (1, B, width*H), which every step overwrites (inference keeps only ``"h"``). ``xp`` may hold
    fewer than ``T`` steps (a chunk's worth, when it is not recorded): step t then uses its row
    t mod len(xp).

    Returns:
        T dicts (time order) of (B, ·) views: ``"xp"`` (unless it is recorded under another
        name), every buffer and every block, and under ``"blocks:" + name`` the tuple of the
        blocks of ``name``.
    """
    B, H = xp.shape[1], kernel.hidden_size
    for name, width in {**kernel.recorded, "h": 1}.items():
        steps = T if keep is None or name in keep else 1
        rec[name] = xp if name == kernel.xp_record else xp.new_empty(steps, B, width * H)
    full = {"xp": xp, **rec} if kernel.xp_record is None else dict(rec)  # (T, B, ·) each
    for name, parts in kernel.blocks.items():
        full.update(zip(parts, full[name].split([k * H for k in parts.values()], -1), strict=True))
    per_name = {k: _rows(v, T) for k, v in full.items()}  # T x (B, ·) each
    for name, parts in kernel.blocks.items():  # T x (tuple of the (B, ·) blocks of name)
        per_name["blocks:" + name] = list(zip(*(per_name[p] for p in parts), strict=True))
    return [dict(zip(per_name, step, strict=True)) for step in zip(*per_name.values(), strict=True)]


def record(
    kernel: Kernel,
    x: Tensor,
    state: State,
    reverse: bool,
    rec: dict[str, Tensor],
    keep: Collection[str] | None = None,
) -> tuple[Tensor, State]:
    """Run ``kernel.step`` at every time step, recording into ``rec`` (no autograd).

    The input projection is computed chunk by chunk (``time_chunks``), each just before its
    steps read it, still in the cache, into a buffer of its own: (T, B, G*H) when the step
    records over it (``xp_record``), else one chunk's worth, reused. The steps run in inference
    mode: views and states are ordinary tensors written in place, with no autograd bookkeeping.

    Args:
        kernel: the fast form of a cell.
        x: (T, B, F) time-major inputs.
        state: initial state, tuple of (B, H).
        reverse: walk from t = T−1 down to 0.
        rec: an empty dict that receives, in time order, (T, B, ·) per name of
            ``kernel.recorded`` and ``"h"`` (see ``record_views``).
        keep: the names kept for every step, None for all.

    Returns:
        out (T, B, H) hidden states in time order (``rec["h"]``), and the state after the last
        step (views into the buffers).
    """
    T, B = x.shape[:2]
    w = kernel.step_weights()  # read by every step; prepared once
    GH = len(kernel.gates) * kernel.hidden_size
    chunks = time_chunks(T, B * GH * x.element_size(), reverse, x.device.type == "cpu")
    k = T if kernel.xp_record else max(map(len, chunks))
    xp = x.new_empty(k, B, GH)  # step t's row: t mod k
    views = record_views(kernel, xp, rec, keep, T)
    xp_name = kernel.xp_record or "xp"  # the step's input, computed over in place when recorded
    with torch.inference_mode():
        for steps in chunks:
            lo, n = min(steps[0], steps[-1]), len(steps)  # chunks start at multiples of k
            kernel.input_projection(x[lo : lo + n], out=xp[lo % len(xp) :][:n])
            for t in steps:
                _, state = kernel.step(views[t][xp_name], state, w, views[t])
    return rec["h"], state
