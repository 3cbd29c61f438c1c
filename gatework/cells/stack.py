"""A stack of recurrent layers (each one- or two-directional), with torch.nn's interface."""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from gatework.cells.base import RecurrentCell, State
from gatework.cells.direction import BidirectionalLayer, DirectionalLayer


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")


class RecurrentStack(nn.Module):
    """``num_layers`` layers stacked, each uni- or bidirectional, like torch.nn.RNN/LSTM/GRU.

    Layer k > 0 reads the D·H-wide output of layer k − 1 (after ``dropout`` in training).
    Subclasses set ``cell_class`` and ``torch_class`` and spell out the constructor.

    Shape (``batch_first=True``, the default; ``False`` swaps B and T of ``x`` and ``out``):
        x: (B, T, F), or (T, F) unbatched, or a ``PackedSequence``; state: h (L·D, B, H), or
        (h, c) for LSTM ((L·D, H) unbatched); None means zeros.
        out: (B, T, D·H), the last layer's hidden states (a ``PackedSequence`` for packed
        input); state as above, after each sequence's last step. With an LSTM's
        ``proj_size=P``, P replaces H in out and h.
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
        fast: bool = True,
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
        self.layer_norm, self.fast, self.cell_kwargs = layer_norm, fast, cell_kwargs
        layers, width = [], input_size
        for _ in range(num_layers):  # torch.nn's order: each layer forward, then reverse
            dirs = [
                DirectionalLayer(
                    self.cell_class(width, hidden_size, bias, layer_norm=layer_norm, **cell_kwargs),
                    reverse,
                    recurrent_dropout,
                )
                for reverse in ((False, True) if bidirectional else (False,))
            ]
            layers.append(BidirectionalLayer(*dirs) if bidirectional else dirs[0])
            width = len(dirs) * dirs[0].cell.state_sizes["h"]  # what the next layer reads
        self.layers = nn.ModuleList(layers)
        self.state_sizes = dirs[0].cell.state_sizes  # {"h": H (or proj_size), "c": H}

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def directions(self) -> list[tuple[str, DirectionalLayer]]:
        """Every (layer, direction) in torch.nn's order, named ``l0``, ``l0_reverse``, ..."""
        found = []
        for k, layer in enumerate(self.layers):
            dirs = (layer.fwd, layer.bwd) if self.bidirectional else (layer,)
            found += [(f"l{k}" + ("_reverse" if d else ""), r) for d, r in enumerate(dirs)]
        return found

    def forward(
        self, x: Tensor | PackedSequence, state: Tensor | State | None = None
    ) -> tuple[Tensor | PackedSequence, Tensor | State]:
        """Run all layers over ``x``; see the class docstring for shapes."""
        return self.run(x, state)

    def run(
        self,
        x: Tensor | PackedSequence,
        state: Tensor | State | None = None,
        trace: dict[str, Tensor] | None = None,
    ) -> tuple[Tensor | PackedSequence, Tensor | State]:
        """``forward``, optionally filling ``trace`` with time-major (T, B, ·) values per key
        ``l{k}[_reverse].{name}``."""
        packed = x if isinstance(x, PackedSequence) else None
        lengths, unbatched = None, False
        if packed is not None:
            x, lengths = pad_packed_sequence(packed)  # (T, B, F), batch in original order
            lengths = lengths.to(x.device)
        self._check_input(x, packed is not None)
        if x.dim() == 2:  # unbatched (T, F), as torch.nn accepts: a batch of one
            x, unbatched = x.unsqueeze(1), True
        elif self.batch_first and packed is None:
            x = x.transpose(0, 1)  # (T, B, F)
        B, D = x.shape[1], self.num_directions
        states = self._split_state(state, B, x, unbatched)  # L·D tuples of (B, ·)
        finals = []
        for k, layer in enumerate(self.layers):
            if k > 0 and self.dropout > 0.0:
                x = F.dropout(x, self.dropout, self.training)
            keys = [f"l{k}", f"l{k}_reverse"]
            traces = [None, None] if trace is None else [{}, {}]
            if self.bidirectional:
                x, st = layer(x, states[k * D : (k + 1) * D], self.fast, lengths, traces)
            else:
                x, s = layer(x, states[k], self.fast, lengths, traces[0])  # (T, B, H)
                st = [s]
            finals += st
            if trace is not None:
                for key, tr in zip(keys, traces, strict=True):
                    trace.update({f"{key}.{name}": v for name, v in tr.items()})
        n_states = len(self.cell_class.state_names)
        stacked = tuple(torch.stack([s[i] for s in finals]) for i in range(n_states))  # (L·D, B, ·)
        if unbatched:
            x, stacked = x[:, 0], tuple(s[:, 0] for s in stacked)
        elif packed is not None:
            x = _repack(x, lengths, packed)
        elif self.batch_first:
            x = x.transpose(0, 1)  # (B, T, D·H)
        return x, stacked if n_states > 1 else stacked[0]

    def _check_input(self, x: Tensor, packed: bool) -> None:
        layout = "(B, T, F)" if self.batch_first else "(T, B, F)"
        if x.dim() not in (2, 3) or x.shape[-1] != self.input_size or 0 in x.shape:
            shape = f"packed data of width {x.shape[-1]}" if packed else f"shape {tuple(x.shape)}"
            raise ValueError(
                f"{type(self).__name__} expects input {layout} or (T, F) with F = input_size = "
                f"{self.input_size} (batch_first={self.batch_first}), got {shape}; reshape "
                "the input or change input_size"
            )

    def _split_state(
        self, state: Tensor | State | None, B: int, like: Tensor, unbatched: bool
    ) -> list[State]:
        sizes = list(self.state_sizes.values())
        LD = self.num_layers * self.num_directions
        if state is None:
            return [tuple(like.new_zeros(B, s) for s in sizes) for _ in range(LD)]
        parts = (state,) if isinstance(state, Tensor) else tuple(state)
        if unbatched:  # (L·D, H) each, as torch.nn takes them with unbatched input
            parts = tuple(p.unsqueeze(1) if p.dim() == 2 else p for p in parts)
        want = [(LD, B, s) for s in sizes]
        if len(parts) != len(want) or any(p.shape != w for p, w in zip(parts, want, strict=False)):
            got = [tuple(p.shape) for p in parts]
            raise ValueError(
                f"{type(self).__name__} state must be {len(want)} tensor(s) of shape "
                f"(num_layers*num_directions, B, H) = {', '.join(map(str, want))}, got {got}"
            )
        return [tuple(p[j] for p in parts) for j in range(LD)]

    def extra_repr(self) -> str:
        cell = self.directions()[0][1].cell  # the options as the cells hold them now
        opts = "".join(f", {k}={getattr(cell, k)!r}" for k in self.cell_kwargs)
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"batch_first={self.batch_first}, dropout={self.dropout}, "
            f"bidirectional={self.bidirectional}, recurrent_dropout={self.recurrent_dropout}, "
            f"layer_norm={self.layer_norm}{opts}, fast={self.fast}"
        )

    @classmethod
    def from_torch(cls, module: nn.Module) -> RecurrentStack:
        """The same stack with the weights of ``module`` (a torch.nn RNN, LSTM or GRU)."""
        if not isinstance(module, cls.torch_class):
            raise ValueError(
                f"{cls.__name__}.from_torch expects a torch.nn.{cls.torch_class.__name__}, "
                f"got {module!r}"
            )
        kwargs = {k: getattr(module, k) for k in cls.torch_options}
        stack = cls(
            module.input_size,
            module.hidden_size,
            num_layers=module.num_layers,
            bias=module.bias,
            batch_first=module.batch_first,
            dropout=module.dropout,
            bidirectional=module.bidirectional,
            **kwargs,
        )
        stack.to(module.all_weights[0][0])
        with torch.no_grad():
            for name, direction in stack.directions():
                for p_name, p in direction.cell.named_parameters():
                    p.copy_(getattr(module, f"{p_name}_{name}"))
        return stack.train(module.training)

    def to_torch(self) -> nn.Module:
        """The torch.nn module with these weights (ValueError for options torch.nn lacks)."""
        directions = self.directions()
        problem = directions[0][1].cell.torch_incompatibility()
        if problem:
            raise ValueError(problem)
        module = self.torch_class(
            self.input_size,
            self.hidden_size,
            num_layers=self.num_layers,
            bias=self.bias,
            batch_first=self.batch_first,
            dropout=self.dropout,
            bidirectional=self.bidirectional,
            **{k: getattr(directions[0][1].cell, k) for k in self.torch_options},
        )
        module.to(directions[0][1].cell.weight_ih)
        with torch.no_grad():
            for name, direction in directions:
                for p_name, p in direction.cell.named_parameters():
                    getattr(module, f"{p_name}_{name}").copy_(p)
        return module.train(self.training)


def _repack(out: Tensor, lengths: Tensor, like: PackedSequence) -> PackedSequence:
    """(T, B, ·) padded outputs, batch in original order, packed as ``like`` is packed."""
    order = like.sorted_indices
    if order is not None:
        out, lengths = out.index_select(1, order), lengths[order]
    data = pack_padded_sequence(out, lengths.cpu(), enforce_sorted=True).data
    return PackedSequence(data, like.batch_sizes, like.sorted_indices, like.unsorted_indices)
