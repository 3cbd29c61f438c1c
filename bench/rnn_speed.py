"""Time torch.nn's recurrent layers against gatework's, forward and forward+backward.

Every (cell, size, device) case runs in a fresh process; inside it the implementations are
timed in turn, round-robin, so they share the machine's noise; the median of many repeats is
reported. Usage::

    python bench/rnn_speed.py                      # all cells and sizes, CPU (+ CUDA if present)
    python bench/rnn_speed.py --cells lstm --sizes jena --repeats 50 --json

``fwd_ms`` is one inference forward (``torch.no_grad``); ``fwdbwd_ms`` is a training forward
plus the backward of a scalar loss; ``saved_mb`` is the memory autograd keeps for the backward
(unique storages); ``peak_mb`` is the growth of the peak memory over one forward+backward
(on CPU the process's peak resident set, measured in a fresh process per implementation; on
CUDA the peak allocation). Set
``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1099511627776 MALLOC_TOP_PAD_=67108864``
on glibc machines where large temporary buffers otherwise page-fault on every call.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SIZES = {  # (B, T, F, H)
    "jena": (256, 120, 14, 32),
    "ridership": (32, 56, 5, 32),
    "synthetic": (64, 50, 1, 20),
    "big": (128, 100, 64, 256),
}
CELLS = ("lstm", "gru", "rnn")
MALLOC_ENV = {
    "MALLOC_MMAP_THRESHOLD_": "33554432",
    "MALLOC_TRIM_THRESHOLD_": "1099511627776",
    "MALLOC_TOP_PAD_": "67108864",
}


def build(cell: str, impl: str, F: int, H: int, device: str):
    from torch import nn

    from gatework import cells

    torch_cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
    ours_cls = {"lstm": cells.LSTM, "gru": cells.GRU, "rnn": cells.SimpleRNN}[cell]
    theirs = torch_cls(F, H, batch_first=True).to(device)
    if impl == "torch":
        return theirs
    ours = ours_cls.from_torch(theirs)
    if impl == "textbook":  # the cells' textbook step, autograd through the time loop
        ours.fast = False
    return ours


def saved_bytes(model, x) -> int:
    """Bytes autograd keeps for the backward of one training forward (unique storages)."""
    import torch

    seen = {}

    def pack(t):
        seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out, _ = model(x)
    return sum(seen.values())


def peak_rss_mb(cell: str, size: str, impl: str) -> float:
    """Growth of the peak resident memory over one forward+backward (fresh process, CPU)."""
    import resource

    import torch

    B, T, F, H = SIZES[size]
    x = torch.randn(B, T, F)
    model = build(cell, impl, F, H, "cpu")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out, state = model(x)
    h = state[0] if isinstance(state, tuple) else state
    (out.sum() + h.sum()).backward()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


def run_case(cell: str, size: str, device: str, impls: list[str], repeats: int) -> list[dict]:
    import torch

    torch.manual_seed(0)
    B, T, F, H = SIZES[size]
    x = torch.randn(B, T, F, device=device)
    models = {impl: build(cell, impl, F, H, device) for impl in impls}
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def fwd(m):
        with torch.no_grad():
            m(x)

    def fwdbwd(m):
        out, state = m(x)
        h = state[0] if isinstance(state, tuple) else state
        (out.sum() + h.sum()).backward()

    times = {(impl, kind): [] for impl in impls for kind in ("fwd", "fwdbwd")}
    first_call = {}
    for impl, m in models.items():
        t0 = time.perf_counter()
        fwdbwd(m)
        sync()
        first_call[impl] = (time.perf_counter() - t0) * 1e3
    for _ in range(3):  # warm up
        for m in models.values():
            fwd(m), fwdbwd(m)
    for _ in range(repeats):
        for impl, m in models.items():
            for kind, fn in (("fwd", fwd), ("fwdbwd", fwdbwd)):
                m.zero_grad(set_to_none=True)
                sync()
                t0 = time.perf_counter()
                fn(m)
                sync()
                times[impl, kind].append((time.perf_counter() - t0) * 1e3)
    med = {k: statistics.median(v) for k, v in times.items()}
    rows = []
    for impl, m in models.items():
        row = {
            "cell": cell,
            "size": size,
            "device": device,
            "impl": impl,
            "fwd_ms": round(med[impl, "fwd"], 3),
            "fwdbwd_ms": round(med[impl, "fwdbwd"], 3),
            "ratio_fwdbwd_vs_torch": round(med[impl, "fwdbwd"] / med["torch", "fwdbwd"], 3),
            "ratio_fwd_vs_torch": round(med[impl, "fwd"] / med["torch", "fwd"], 3),
            "first_call_ms": round(first_call[impl], 1),
            "saved_mb": round(saved_bytes(m, x) / 2**20, 2),
        }
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
            fwdbwd(m)
            row["peak_mb"] = round((torch.cuda.max_memory_allocated() - base) / 2**20, 2)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=CELLS)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--devices", nargs="+", default=None, help="default: cpu (+ cuda)")
    parser.add_argument(
        "--impls",
        nargs="+",
        default=["torch", "ours"],
        help="torch, ours (the fast kernel), textbook (the cells' step with autograd)",
    )
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--json", action="store_true", help="one JSON object per row")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # cell:size:device, in-process
    parser.add_argument("--peak", help=argparse.SUPPRESS)  # cell:size:impl, in-process
    args = parser.parse_args()
    impls = ["torch"] + [i for i in args.impls if i != "torch"]

    if args.peak:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        print(peak_rss_mb(*args.peak.split(":")))
        return
    if args.case:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        cell, size, device = args.case.split(":")
        for row in run_case(cell, size, device, impls, args.repeats):
            print(json.dumps(row))
        return

    devices = args.devices
    if devices is None:
        import torch

        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    env = {**os.environ, **MALLOC_ENV}
    if not args.json:
        print(
            f"{'cell':5} {'size':10} {'dev':4} {'impl':9} {'fwd ms':>9} {'fwd+bwd ms':>11} "
            f"{'ratio':>6} {'saved MB':>9} {'1st call ms':>11} {'peak MB':>8}"
        )
    for device in devices:
        for size in args.sizes:
            for cell in args.cells:
                cmd = [
                    sys.executable,
                    __file__,
                    "--case",
                    f"{cell}:{size}:{device}",
                    "--repeats",
                    str(args.repeats),
                    "--threads",
                    str(args.threads),
                    "--impls",
                    *impls,
                ]
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                for line in done.stdout.splitlines():
                    row = json.loads(line)
                    if device == "cpu":
                        cmd = [sys.executable, __file__, "--peak", f"{cell}:{size}:{row['impl']}"]
                        cmd += ["--threads", str(args.threads)]
                        peak = subprocess.run(
                            cmd, env=env, capture_output=True, text=True, check=True
                        )
                        row["peak_mb"] = round(float(peak.stdout), 1)
                        line = json.dumps(row)
                    if args.json:
                        print(line, flush=True)
                    else:
                        print(
                            f"{row['cell']:5} {row['size']:10} {row['device']:4} "
                            f"{row['impl']:9} {row['fwd_ms']:9.2f} {row['fwdbwd_ms']:11.2f} "
                            f"{row['ratio_fwdbwd_vs_torch']:6.2f} {row['saved_mb']:9.2f} "
                            f"{row['first_call_ms']:11.1f} {row.get('peak_mb', float('nan')):8.1f}",
                            flush=True,
                        )


if __name__ == "__main__":
    main()
