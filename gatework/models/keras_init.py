"""Keras' default initialisation of recurrent layers and Dense heads, for torch-layout weights.

Keras keeps one input kernel (F, G·H) and one recurrent kernel (H, G·H) per layer, the G gate
blocks side by side (LSTM i, f, c, o; GRU z, r, h), and initialises them whole:

* kernel: Glorot-uniform, ``U(±√(6 / (F + G·H)))``;
* recurrent kernel: orthogonal, its H rows orthonormal across all G·H columns;
* bias: zeros, plus 1 on the LSTM forget gate (``unit_forget_bias=True``);
* Dense: Glorot-uniform weights, zero bias.

torch.nn and gatework store the transposes, ``weight_ih`` (G·H, F) and ``weight_hh`` (G·H, H),
so the same distributions are ``xavier_uniform_`` (symmetric in fan-in and fan-out) and
``orthogonal_`` (orthonormal columns of the (G·H, H) matrix = orthonormal rows of Keras' one).
Gate order does not matter to either. Parameters are found by name (``weight_ih_l0``,
``layers.0.cell.weight_ih``, ...), so both backends are initialised alike; torch's two biases
split Keras' one: ``bias_ih`` carries the forget gate's 1, ``bias_hh`` is all zeros.
"""

from __future__ import annotations

import torch
from torch import nn

FORGET_GATE = {"lstm": (1, 4)}  # (block of the forget gate, gate blocks) in torch's i, f, g, o


@torch.no_grad()
def keras_recurrent_init_(module: nn.Module, cell: str) -> nn.Module:
    """Keras' initialisation of every recurrent weight and bias of ``module``, in place.

    Args:
        module: a recurrent layer or stack of either backend (torch.nn's parameter names).
        cell: ``"rnn"``, ``"lstm"`` or ``"gru"``.

    Returns:
        ``module``.
    """
    for name, p in module.named_parameters():
        leaf = name.rsplit(".", 1)[-1]
        if leaf.startswith("weight_ih"):
            nn.init.xavier_uniform_(p)  # (G*H, F)
        elif leaf.startswith("weight_hh"):
            nn.init.orthogonal_(p)  # (G*H, H)
        elif leaf.startswith(("bias_ih", "bias_hh")):
            nn.init.zeros_(p)  # (G*H,)
            if leaf.startswith("bias_ih") and cell in FORGET_GATE:
                block, gates = FORGET_GATE[cell]
                H = p.shape[0] // gates
                p[block * H : (block + 1) * H] = 1.0  # the forget gate's rows
    return module


@torch.no_grad()
def keras_dense_init_(layer: nn.Linear) -> nn.Linear:
    """Keras' Dense initialisation: Glorot-uniform weights, zero bias, in place."""
    nn.init.xavier_uniform_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer
