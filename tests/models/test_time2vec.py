"""Time2Vec: shapes, parameters and the linear + periodic equations."""

from __future__ import annotations

import pytest
import torch
from models_testkit import build

from gatework.datamodules.spec import SeriesSpec
from gatework.models import Time2Vec


def test_time2vec_equations_and_shape():
    t2v = Time2Vec(4)
    assert [p.shape for p in t2v.parameters()] == [torch.Size([4]), torch.Size([4])]
    with torch.no_grad():
        t2v.omega.copy_(torch.tensor([0.5, 2 * torch.pi / 7, 1.0, 0.0]))
        t2v.phi.copy_(torch.tensor([-1.0, 0.0, 0.5, 0.25]))
    x = torch.randn(3, 10, 2)
    out = t2v(x)  # (3, 10, 6)
    assert out.shape == (3, 10, 6)
    torch.testing.assert_close(out[..., :2], x)
    tau = torch.arange(10.0)
    torch.testing.assert_close(out[0, :, 2], 0.5 * tau - 1.0)
    torch.testing.assert_close(out[1, :, 3], torch.sin(2 * torch.pi / 7 * tau))
    torch.testing.assert_close(out[2, :, 4], torch.sin(tau + 0.5))
    torch.testing.assert_close(out[0, :, 5], torch.full((10,), torch.sin(torch.tensor(0.25))))


def test_time2vec_widens_every_model_input_once():
    spec = SeriesSpec(input_len=8, n_inputs=2, n_targets=1, n_ahead=2, target_input_index=(0,))
    model = build("linear", spec, time2vec=3)
    assert model.input_size == 5 and model.head.in_features == 8 * 5
    assert sum(p.numel() for p in model.time2vec.parameters()) == 6
    pred = model.forecast(torch.randn(4, 8, 2))
    pred.sum().backward()
    assert model.time2vec.omega.grad is not None and model.time2vec.omega.grad.abs().sum() > 0
    big = Time2Vec(2, length=1000)  # the linear feature starts of order 1 over the window
    assert big(torch.zeros(1, 1000, 0))[0, :, 0].std() < 5  # about 290 without the 1/length
    assert build("linear", spec).time2vec is None
    with pytest.raises(ValueError, match="time2vec must be >= 0"):
        build("linear", spec, time2vec=-1)
