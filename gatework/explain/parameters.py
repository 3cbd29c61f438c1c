"""Parameter counts per recurrent layer: W_x, W_h and the bias, with one bias and with two.

A cell with G gates, F inputs and H units has ``W_x = G·H·F``, ``W_h = G·H·H`` and a bias of
``G·H`` per bias vector. Textbooks (and Keras) count one bias, ``b``; torch.nn keeps two,
``b_ih`` and ``b_hh``, whose sum acts as the one (except for the GRU's candidate n_t, where
``b_hn`` sits inside the reset product). So a SimpleRNN with 4 inputs and 3 units has
12 + 9 + 3 = 24 parameters in a textbook and 27 in torch.nn; an LSTM has 4× those, a GRU 3×.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from torch import nn

from gatework import cells
from gatework.explain.recurrent import GATEWORK_LAYERS, recurrent_layers
from gatework.training.atomic import atomic_write_text
from gatework.training.leaderboard import to_markdown

KINDS = re.compile(r"(weight|bias)_(ih|hh|hr)")
GATEWORK_NAME = re.compile(r"layers\.(\d+)(?:\.(fwd|bwd))?\.cell")  # layers.0.bwd.cell
COLUMNS = (
    "layer",
    "F",
    "H",
    "G",
    "W_x",
    "W_h",
    "b",
    "one bias",
    "b_ih + b_hh",
    "torch.nn",
    "other",
)


def parameter_counts(module: nn.Module) -> list[dict]:
    """One row per layer and direction of ``module``, counted from its actual parameters.

    Parameters are recognised by torch.nn's names (``weight_ih``, ``weight_hh``, ``bias_ih``,
    ``bias_hh``), which gatework's cells mirror; anything else (an LSTM's projection
    ``weight_hr``, layer norm gains, peepholes) is counted under ``other``. With a projection
    (``proj_size`` P) W_h is ``G·H·P``.

    Returns:
        Rows with the keys of ``COLUMNS``: ``layer`` (``l0``, ``l0_reverse``, as torch.nn names
        them, for gatework's layers too), F, H, G (gates), the counts ``W_x``, ``W_h``,
        ``b`` (one bias vector), ``one bias`` (``W_x + W_h + b``), ``b_ih + b_hh``,
        ``torch.nn`` (``W_x + W_h + b_ih + b_hh``) and ``other``.
    """
    rows: dict[str, dict] = {}
    for name, p in module.named_parameters():
        prefix, _, leaf = name.rpartition(".")
        match = KINDS.search(leaf)
        rest = KINDS.sub("", leaf).strip("_") if match else ""  # torch.nn: "l0", "l0_reverse"
        found = rows.setdefault(layer_label(".".join(part for part in (prefix, rest) if part)), {})
        if match is None or match.group(0) == "weight_hr":
            found["other"] = found.get("other", 0) + p.numel()
        if match is not None:
            found[match.group(0)] = p
    table = []
    for key, found in rows.items():
        w_x, w_h, w_r = found.get("weight_ih"), found.get("weight_hh"), found.get("weight_hr")
        if w_x is None or w_h is None:
            continue  # a module's own extras, not a recurrence
        H = w_h.shape[1] if w_r is None else w_r.shape[1]  # W_hr: (P, H)
        G = w_h.shape[0] // H
        b_ih, b_hh = found.get("bias_ih"), found.get("bias_hh")
        b = 0 if b_ih is None else b_ih.numel()
        both = b + (0 if b_hh is None else b_hh.numel())
        table.append(
            {
                "layer": key,
                "F": w_x.shape[1],
                "H": H,
                "G": G,
                "W_x": w_x.numel(),
                "W_h": w_h.numel(),
                "b": b,
                "one bias": w_x.numel() + w_h.numel() + b,
                "b_ih + b_hh": both,
                "torch.nn": w_x.numel() + w_h.numel() + both,
                "other": found.get("other", 0),
            }
        )
    return table


def layer_label(key: str) -> str:
    """torch.nn's name for a layer and direction: gatework's ``layers.1.bwd.cell`` is
    ``l1_reverse``; torch.nn's own names (``l1_reverse``) and anything else are kept."""
    found = GATEWORK_NAME.fullmatch(key)
    if found is None:
        return key
    return f"l{found.group(1)}" + ("_reverse" if found.group(2) == "bwd" else "")


def markdown_table(tables: Mapping[str, list[dict]]) -> str:
    """The rows of several modules as one Markdown table, the module's label first."""
    rows = [[label, *(row[c] for c in COLUMNS)] for label, rows in tables.items() for row in rows]
    return to_markdown(pd.DataFrame(rows, columns=["model", *COLUMNS], dtype=object))


def torch_named(layer: nn.Module) -> nn.Module:
    """A gatework layer as its torch.nn twin (``to_torch``: the same parameters under torch.nn's
    names, ``l0``, ``l0_reverse``, ...); itself where there is none (layer norm,
    ``reset_after=False``) or when it already is torch.nn's."""
    if isinstance(layer, GATEWORK_LAYERS):
        try:
            return layer.to_torch()
        except ValueError:
            return layer
    return layer


def explain_parameters(
    model: nn.Module | None, input_size: int, hidden_size: int, md_path: str | Path
) -> dict[str, list[dict]]:
    """The textbook example (SimpleRNN, LSTM and GRU of ``input_size`` → ``hidden_size``) and
    every recurrent layer of ``model``, as a Markdown table in ``md_path``.

    Returns:
        Label -> :func:`parameter_counts` rows.
    """
    tables = {
        f"{cls.__name__}({input_size} → {hidden_size})": parameter_counts(
            torch_named(cls(input_size, hidden_size))
        )
        for cls in (cells.SimpleRNN, cells.LSTM, cells.GRU)
    }
    for name, layer in recurrent_layers(model) if model is not None else []:
        tables[f"{type(model).__name__}.{name}"] = parameter_counts(torch_named(layer))
    atomic_write_text(md_path, markdown_table(tables))
    return tables
