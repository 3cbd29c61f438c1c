"""Jena climate: Chollet's defaults, the -9999 wind sentinel, downloads kept in tmp_path."""

from __future__ import annotations

import io
import zipfile

import pytest
from data_files import write_jena

from gatework.datamodules import JenaClimateDataModule, download
from gatework.datamodules.jena import FILE, URL


def test_chollet_defaults_on_a_file_in_the_real_format(jena_file):
    dm = JenaClimateDataModule(path=str(jena_file))
    dm.setup()
    spec = dm.spec
    assert (spec.input_len, spec.n_inputs, spec.horizon, spec.n_ahead) == (120, 14, 24, 1)
    assert spec.target_names == ("T (degC)",) and spec.target_input_index == (1,)
    assert [len(r) for r in dm.ranges.values()] == [2000, 1000, 1000]
    assert [len(d) for d in dm.datasets.values()] == [2000 - 858, 1000 - 858, 1000 - 858]
    x, y = next(iter(dm.val_dataloader()))
    assert x.shape == (142, 120, 14) and y.shape == (142, 1)
    text = dm.describe()
    assert "table: 4,000 rows, 2009-01-01 00:10:00 .. 2009-01-28 18:40:00" in text
    assert (
        "scaler: fit on train rows only, 2009-01-01 00:10:00 .. 2009-01-14 21:20:00 (2,000 rows)"
        in text
    )


@pytest.mark.parametrize(
    ("policy", "value", "note"),
    [
        ("zero", 0.0, "2 sensor-failure values -9999 set to 0"),
        ("keep", -9999.0, "2 sensor-failure values -9999 kept"),
    ],
)
def test_wind_sentinel_policies(tmp_path, policy, value, note):
    path = write_jena(tmp_path / FILE, 2000, wind_sentinel_rows=(3, 1500))
    dm = JenaClimateDataModule(path=str(path), wind_sentinel=policy, input_len=24, horizon=6)
    dm.setup()
    assert dm.table.frame["wv (m/s)"].iloc[[3, 1500]].tolist() == [value, value]
    assert dm.table.frame["wv (m/s)"].iloc[4] == pytest.approx(
        11 + 4 / 10
    )  # untouched rows keep their value
    assert f"wv (m/s): {note}" in dm.describe()


def test_wind_sentinel_error_names_the_line(tmp_path):
    path = write_jena(tmp_path / FILE, 2000, wind_sentinel_rows=(3, 1500))
    dm = JenaClimateDataModule(path=str(path), wind_sentinel="error")
    with pytest.raises(
        ValueError, match=r"line 5: column 'wv \(m/s\)' holds the sensor-failure value -9999"
    ):
        dm.setup()
    with pytest.raises(ValueError, match=r"data.wind_sentinel must be one of"):
        JenaClimateDataModule(wind_sentinel="drop")


def zipped(csv_path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.write(csv_path, FILE)
    return buffer.getvalue()


def test_download_caches_unzips_and_records_the_checksum(tmp_path, monkeypatch, jena_file):
    payload, calls = zipped(jena_file), []

    def fake_download(url, dest):
        calls.append(url)
        dest.write_bytes(payload)

    monkeypatch.setattr(download, "_urlretrieve", fake_download)
    cache = tmp_path / "cache"
    dm = JenaClimateDataModule(cache_dir=str(cache))
    with pytest.raises(
        FileNotFoundError, match=r"call prepare_data\(\) to download it, or download"
    ):
        dm.setup()
    dm.prepare_data()
    dm.setup()
    assert calls == [URL] and len(dm.datasets["train"]) == 1142
    record = (cache / f"{FILE}.zip.sha256").read_text().split()
    assert record[0] == download.sha256sum(cache / f"{FILE}.zip") and record[-1] == URL
    JenaClimateDataModule(cache_dir=str(cache)).prepare_data()  # cached: no second download
    assert calls == [URL]
    # a corrupt cached archive no longer matches the recorded checksum: downloaded again
    (cache / FILE).unlink()
    (cache / f"{FILE}.zip").write_bytes(payload[:-10])
    JenaClimateDataModule(cache_dir=str(cache)).prepare_data()
    assert calls == [URL, URL] and (cache / f"{FILE}.zip").read_bytes() == payload
    # and a download that does not match the record is refused, and not kept
    (cache / FILE).unlink()
    (cache / f"{FILE}.zip").unlink()
    payload = payload[:-10]
    with pytest.raises(ValueError, match=r"another sha256 than the expected [0-9a-f]{64}"):
        JenaClimateDataModule(cache_dir=str(cache)).prepare_data()
    assert not (cache / f"{FILE}.zip").exists()


def test_failed_download_says_where_to_get_the_file(tmp_path, monkeypatch):
    def offline(url, dest):
        raise OSError("network unreachable")

    monkeypatch.setattr(download, "_urlretrieve", offline)
    dm = JenaClimateDataModule(cache_dir=str(tmp_path))
    with pytest.raises(
        FileNotFoundError,
        match=r"could not download .*jena_climate_2009_2016.csv.zip \(network unreachable\); "
        r"download .* unzip it and pass data.path=",
    ):
        dm.prepare_data()
    assert not list(tmp_path.iterdir())  # no partial file left behind
