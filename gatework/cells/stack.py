"""Stacked (and optionally bidirectional) recurrent layers built from one cell class."""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gatework.cells.base import RecurrentCell, State
from gatework.cells.recurrence import Bidirectional, Recurrence


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")


class RecurrentLayer(nn.Module):
    """``num_layers`` recurrences stacked, each uni- or bidirectional, like torch.nn.RNN/LSTM/GRU.

    Layer k > 0 reads the D·H-wide output of layer k − 1 (after ``dropout`` in training).
    Subclasses set ``cell_class`` and ``torch_class`` and spell out the constructor.

    Shape (``batch_first=True``, the default; ``False`` swaps B and T of ``x`` and ``out``):
        x: (B, T, F); state: h (L·D, B, H), or (h, c) for LSTM; None means zeros.
        out: (B, T, D·H), the last layer's hidden states; state as above, after the last step.
    """

    cell_class: ClassVar[type[RecurrentCell]]
    torch_class: ClassVar[type[nn.Module]]
    torch_options: ClassVar[tuple[str, ...]] = ()  # cell options torch_class also takes

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = True,
        dropout: float = 0.0,
        bidirectional: bool = False,
        recurrent_dropout: float = 0.0,
        layer_norm: bool = False,
        **cell_kwargs,
    ):
        super().__init__()
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"num_layers must be an int >= 1, got {num_layers!r}")
        _check_fraction("dropout", dropout)
        _check_fraction("recurrent_dropout", recurrent_dropout)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        self.bidirectional, self.recurrent_dropout = bidirectional, recurrent_dropout
        self.layer_norm, self.cell_kwargs = layer_norm, cell_kwargs
        D = 2 if bidirectional else 1

        def recurrence(k: int, reverse: bool) -> Recurrence:
            width = input_size if k == 0 else D * hidden_size
            cell = self.cell_class(
                width, hidden_size, bias=bias, layer_norm=layer_norm, **cell_kwargs
            )
            return Recurrence(cell, reverse, recurrent_dropout)

        self.layers = nn.ModuleList(
            Bidirectional(recurrence(k, False), recurrence(k, True))
            if bidirectional
            else recurrence(k, False)
            for k in range(num_layers)
        )

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def recurrences(self) -> list[tuple[str, Recurrence]]:
        """Every (layer, direction) in torch.nn's order, named ``l0``, ``l0_reverse``, ..."""
        found = []
        for k, layer in enumerate(self.layers):
            dirs = (layer.fwd, layer.bwd) if self.bidirectional else (layer,)
            found += [(f"l{k}" + ("_reverse" if d else ""), r) for d, r in enumerate(dirs)]
        return found

    def forward(
        self, x: Tensor, state: Tensor | State | None = None
    ) -> tuple[Tensor, Tensor | State]:
        """Run all layers over ``x``; see the class docstring for shapes."""
        return self.run(x, state)

    def run(
        self, x: Tensor, state: Tensor | State | None = None, trace: dict[str, Tensor] | None = None
    ) -> tuple[Tensor, Tensor | State]:
        """``forward``, optionally filling ``trace`` with time-major (T, B, H) values per key."""
        x = self._check_input(x)
        if self.batch_first:
            x = x.transpose(0, 1)  # (T, B, F)
        B, D = x.shape[1], self.num_directions
        states = self._split_state(state, B, x)  # L·D tuples of (B, H)
        finals = []
        for k, layer in enumerate(self.layers):
            if k > 0 and self.dropout > 0.0:
                x = F.dropout(x, self.dropout, self.training)
            keys = [f"l{k}", f"l{k}_reverse"]
            traces = [None, None] if trace is None else [{}, {}]
            if self.bidirectional:
                x, st = layer(x, states[k * D : (k + 1) * D], traces)  # (T, B, 2H)
            else:
                x, s = layer(x, states[k], traces[0])  # (T, B, H)
                st = [s]
            finals += st
            if trace is not None:
                for key, tr in zip(keys, traces, strict=True):
                    trace.update({f"{key}.{name}": v for name, v in tr.items()})
        out = x.transpose(0, 1) if self.batch_first else x  # (B, T, D·H)
        n_states = len(self.cell_class.state_names)
        stacked = tuple(torch.stack([s[i] for s in finals]) for i in range(n_states))
        return out, stacked if n_states > 1 else stacked[0]  # (L·D, B, H)

    def _check_input(self, x: Tensor) -> Tensor:
        layout = "(B, T, F)" if self.batch_first else "(T, B, F)"
        if x.dim() != 3 or x.shape[-1] != self.input_size or 0 in x.shape:
            raise ValueError(
                f"{type(self).__name__} expects input {layout} with F = input_size = "
                f"{self.input_size} (batch_first={self.batch_first}), got shape "
                f"{tuple(x.shape)}; reshape the input or change input_size"
            )
        return x

    def _split_state(self, state: Tensor | State | None, B: int, like: Tensor) -> list[State]:
        n_states = len(self.cell_class.state_names)
        LD, H = self.num_layers * self.num_directions, self.hidden_size
        if state is None:
            return [tuple(like.new_zeros(B, H) for _ in range(n_states)) for _ in range(LD)]
        parts = (state,) if isinstance(state, Tensor) else tuple(state)
        if len(parts) != n_states or any(p.shape != (LD, B, H) for p in parts):
            got = [tuple(p.shape) for p in parts]
            raise ValueError(
                f"{type(self).__name__} state must be {n_states} tensor(s) of shape "
                f"(num_layers*num_directions, B, H) = {(LD, B, H)}, got {got}"
            )
        return [tuple(p[j] for p in parts) for j in range(LD)]

    def extra_repr(self) -> str:
        opts = "".join(f", {k}={v!r}" for k, v in self.cell_kwargs.items())
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"batch_first={self.batch_first}, dropout={self.dropout}, "
            f"bidirectional={self.bidirectional}, recurrent_dropout={self.recurrent_dropout}, "
            f"layer_norm={self.layer_norm}{opts}"
        )

    @classmethod
    def from_torch(cls, module: nn.Module) -> RecurrentLayer:
        """The same layer with the weights of ``module`` (a torch.nn RNN, LSTM or GRU)."""
        if not isinstance(module, cls.torch_class) or getattr(module, "proj_size", 0):
            raise ValueError(
                f"{cls.__name__}.from_torch expects a torch.nn.{cls.torch_class.__name__} "
                f"without proj_size, got {module!r}"
            )
        kwargs = {k: getattr(module, k) for k in cls.torch_options}
        layer = cls(
            module.input_size,
            module.hidden_size,
            num_layers=module.num_layers,
            bias=module.bias,
            batch_first=module.batch_first,
            dropout=module.dropout,
            bidirectional=module.bidirectional,
            **kwargs,
        )
        layer.to(module.all_weights[0][0])
        for name, rec in layer.recurrences():
            suffix = "_" + name
            with torch.no_grad():
                for p_name, p in rec.cell.named_parameters():
                    p.copy_(getattr(module, p_name + suffix))
        return layer.train(module.training)

    def to_torch(self) -> nn.Module:
        """The torch.nn module with these weights (no layer norm / reset_after=False there)."""
        if self.layer_norm:
            raise ValueError("layer_norm=True has no torch.nn equivalent; use layer_norm=False")
        if self.cell_kwargs.get("reset_after", True) is False:
            raise ValueError("reset_after=False has no torch.nn equivalent; use reset_after=True")
        extra = {k: self.cell_kwargs[k] for k in self.torch_options}
        module = self.torch_class(
            self.input_size,
            self.hidden_size,
            num_layers=self.num_layers,
            bias=self.bias,
            batch_first=self.batch_first,
            dropout=self.dropout,
            bidirectional=self.bidirectional,
            **extra,
        )
        module.to(
            self.layers[0].fwd.cell.weight_ih
            if self.bidirectional
            else self.layers[0].cell.weight_ih
        )
        with torch.no_grad():
            for name, rec in self.recurrences():
                for p_name, p in rec.cell.named_parameters():
                    getattr(module, f"{p_name}_{name}").copy_(p)
        return module.train(self.training)
