"""The rows of docs/results.md: each a train.py command, the metric it is read by, the book's value.

Table 1: Géron's synthetic series (HOML 2nd ed., ch. 15), validation MSE after 20 epochs of Adam.
Table 2: the CTA rail ridership (HOML 3rd ed., ch. 15), validation MAE in riders; needs the
CTA file. Table 3: Chollet's Jena temperature forecast (*Deep Learning with Python*, 2nd ed.,
ch. 10), MAE in °C; needs the Jena file. Rows without a published value are ours: the attempts
to beat the tables.
"""

from __future__ import annotations

from dataclasses import dataclass

SEEDS = (42, 1, 2)
FILES = {1: "", 2: "cta", 3: "jena"}  # the data file each table needs ("": embedded)


@dataclass(frozen=True)
class Row:
    """One line of a results table.

    Args:
        table: 1, 2 or 3.
        key: short name, unique in its table (``--rows`` selects by it).
        label: what the row is, as the book names it.
        args: the ``python train.py`` arguments, as typed (``data.path`` is added for files).
        published: the book's validation value, as printed ("" for our own rows).
        published_test: the book's test value, where it gives one.
        metric: the validation metric compared with ``published``; the test column reads the
            same metric under ``test/``.
        kind: ``"train"`` (one train.py run per seed) or ``"sarima"`` (statsmodels, no seed).
        note: what the page says next to the row.
    """

    table: int
    key: str
    label: str
    args: str
    published: str = ""
    published_test: str = ""
    metric: str = "val/mse"
    kind: str = "train"
    note: str = ""

    @property
    def overrides(self) -> tuple[str, ...]:
        return tuple(self.args.split())

    @property
    def file(self) -> str:
        return FILES[self.table]


def book(table: int, base: str, metric: str):
    """A row factory for one table: every row starts from ``base`` and reads ``metric``."""

    def row(key: str, label: str, args: str, published: str = "", **kw) -> Row:
        kw.setdefault("metric", metric)
        return Row(table, key, label, f"{base} {args}".strip(), published, **kw)

    return row


KERAS = "model.rnn.init=keras"  # the books' recurrent models start from Keras' initialisation
S2S = "data.target_mode=sequence data.n_ahead=10"
OURS = "model.rnn.hidden_size=64 model.rnn.num_layers=2 scheduler=cosine model.optimizer.lr=0.003"
t1 = book(1, "experiment=geron_synthetic", "val/mse")
TABLE_1 = [
    t1("naive", "naive: the last value", "model=naive", "0.020"),
    t1("linear", "linear: Flatten, Dense(1)", "model=linear", "0.0042"),
    t1("rnn1", "SimpleRNN(1), no head",
       f"model=rnn model.rnn.hidden_size=1 model.rnn.head=false {KERAS}", "0.014",
       note="seeds 1 and 2 give 0.0150 and 0.0140, the book's 0.014; seed 42 sits on a "
       "plateau at 0.145 for all 20 epochs (about the series' variance: the one unit forecasts "
       "nearly the mean): a single unit's fate hangs on its starting weights"),
    t1("rnn1_head", "SimpleRNN(1) + Dense(1)", f"model=rnn model.rnn.hidden_size=1 {KERAS}",
       note="the same plateau at seed 42 (0.144); seeds 1 and 2: 0.0111 and 0.0110"),
    t1("deep", "deep RNN: SimpleRNN(20) ×2 + Dense(1)",
       f"model=rnn model.rnn.hidden_size=20 model.rnn.num_layers=2 {KERAS}", "0.0026–0.0029"),
    t1("deep_out", "deep RNN: SimpleRNN 20, 20, 1 (the last layer the output)",
       f"model=rnn model.rnn.hidden_size=[20,20,1] model.rnn.head=false {KERAS}",
       "0.0026–0.0029"),
    t1("naive10", "10 ahead: naive (the last value, repeated)", "model=naive data.n_ahead=10",
       "0.257"),
    t1("seq2vec10", "10 ahead: SimpleRNN(20) ×2 + Dense(10)",
       f"model=rnn model.rnn.hidden_size=20 model.rnn.num_layers=2 data.n_ahead=10 {KERAS}",
       "0.0085", note="above the book: at a constant learning rate the validation MSE swings "
       "between 0.0083 and 0.0113 over the last six epochs of these runs, and the table reads "
       "the last one; the book's 0.0085 is one such epoch. The seq2seq rows train the same "
       "stack on every step and do better"),
    t1("s2s_rnn", "10 ahead, seq2seq: SimpleRNN(20) ×2, lr 0.01",
       f"model=seq2seq model.rnn.cell=rnn model.rnn.hidden_size=20 model.rnn.num_layers=2 "
       f"model.optimizer.lr=0.01 {S2S} {KERAS}", "0.0058–0.0096"),
    t1("s2s_lstm", "10 ahead, seq2seq: LSTM(20) ×2",
       f"model=seq2seq model.rnn.cell=lstm model.rnn.hidden_size=20 model.rnn.num_layers=2 "
       f"{S2S} {KERAS}", "0.0086"),
    t1("s2s_gru", "10 ahead, seq2seq: GRU(20) ×2",
       f"model=seq2seq model.rnn.cell=gru model.rnn.hidden_size=20 model.rnn.num_layers=2 "
       f"{S2S} {KERAS}", "0.0103"),
    t1("conv_gru", "10 ahead, seq2seq: Conv1D(20, 4, stride 2) + GRU(20) ×2",
       f"model=conv_gru model.filters=20 model.conv_activation=none model.rnn.hidden_size=20 "
       f"{S2S} {KERAS}", "0.0080", note="trained on Y[:, 3::2], the convolution linear, as the "
       "book"),
    t1("wavenet", "10 ahead, seq2seq: WaveNet, Conv1D(20, 2) at rates 1, 2, 4, 8 ×2",
       f"model=wavenet model.residual=false model.filters=20 "
       f"model.dilations=[1,2,4,8,1,2,4,8] {S2S}", "0.0072",
       note="above the book, cause not found: the validation MSE is still falling at epoch 20 "
       "in every seed, and Keras' Glorot initialisation of the convolutions (tried at seed 42: "
       "0.0111) does not close the gap"),
    t1("wavenet_res", "10 ahead, seq2seq: residual WaveNet, 32 filters, rates 1 .. 32",
       f"model=wavenet {S2S}"),
    t1("best1", "1 step: GRU(64) ×2 trained on every step's next value, cosine lr 0.003",
       f"model=seq2seq data.target_mode=sequence data.n_ahead=1 {OURS} model.rnn.cell=gru"),
    t1("best10", "10 ahead, seq2seq: LSTM(64) ×2, cosine lr 0.003",
       f"model=seq2seq {S2S} {OURS} model.rnn.cell=lstm"),
]  # fmt: skip

MULTI = "data.inputs=[bus,rail] data.next_day_type=true"  # bus, rail, the next day's type
RAIL_DAY = "data.inputs=[rail] data.next_day_type=true"
GRU_MAE = (
    "model=gru model.optimizer._target_=torch.optim.Adam ~model.optimizer.momentum "
    f"model.optimizer.lr=0.003 model.loss=mae {KERAS}"
)
t2 = book(2, "experiment=ridership_geron", "val/mae")
TABLE_2 = [
    t2("naive7", "naive: the value 7 days earlier", "model=seasonal_naive model.period=7",
       "42,143", note="the book's 42,143 is over 2019-03 .. 05: ours there gives it to the digit "
       "(docs/data.md); the table's period starts at the first window, 2019-02-26"),
    Row(2, "sarima", "SARIMA(1,0,0)(0,1,1,7), refit every day", "", "32,041", metric="val/mae",
        kind="sarima", note="statsmodels, fit from 2019-01-01 up to the day before each forecast, "
        "as the book; no test column: 860 refits"),
    Row(2, "sarima_book", "SARIMA, the same forecasts over the book's 2019-03 .. 05", "",
        "32,041", metric="val/mae_book_period", kind="sarima"),
    t2("linear", "linear: Dense(1) on the 56-day window",
       "model=linear model.optimizer.lr=0.02", "37,866"),
    t2("rnn1", "SimpleRNN(1), no head",
       f"model.rnn.hidden_size=1 model.rnn.head=false {KERAS}", "> 100,000"),
    t2("rnn32", "SimpleRNN(32) + Dense(1)", KERAS, "27,703"),
    t2("rnn32_1e6", "SimpleRNN(32) + Dense(1), the book's scaling (÷ 1e6)",
       f"data.scale=1e6 {KERAS}", "27,703",
       note="above the book (the notebook's own run gives 29,015): with these uncentred inputs "
       "(around 0.6) Keras' initialisation trains less well than torch.nn's (next row, within "
       "the notebook's figure); without gradient clipping (Keras has none, our trainer clips "
       "at 1) seeds 42 and 1 gave 30,821 and 33,264, so clipping is not the gap"),
    t2("rnn32_1e6_torch", "the same, torch.nn's initialisation", "data.scale=1e6", "27,703"),
    t2("deep3", "SimpleRNN(32) ×3 + Dense(1), lr 0.01",
       f"model.rnn.num_layers=3 model.optimizer.lr=0.01 {KERAS}", "31,211"),
    t2("multi", "multivariate: bus, rail, next day's type", f"{MULTI} {KERAS}", "22,062"),
    t2("bus_rail", "bus and rail together: rail", f"{MULTI} data.targets=[bus,rail] {KERAS}",
       "25,330", metric="val/mae/rail"),
    t2("ahead14", "14 days ahead in one shot (Dense(14)), all 14 steps",
       f"{MULTI} data.n_ahead=14 {KERAS}", "35,017"),
    t2("s2s14_h1", "seq2seq, 14 ahead at every step: +1 day",
       f"model=seq2seq {MULTI} data.target_mode=sequence data.n_ahead=14 {KERAS}", "25,519",
       metric="val/mae_h1"),
    t2("s2s14_h14", "seq2seq, 14 ahead at every step: +14 days",
       f"model=seq2seq {MULTI} data.target_mode=sequence data.n_ahead=14 {KERAS}", "34,322",
       metric="val/mae_h14"),
    t2("multi_gru", "multivariate: GRU(32), Adam lr 0.003, MAE loss", f"{MULTI} {GRU_MAE}"),
    t2("bus_rail_revin", "bus and rail together, RevIN, GRU(32), Adam, MAE loss: rail",
       f"{MULTI} data.targets=[bus,rail] model.instance_norm=revin {GRU_MAE}",
       metric="val/mae/rail"),
    t2("rnn32_revin", "SimpleRNN(32) + Dense(1), RevIN", f"model.instance_norm=revin {KERAS}"),
    t2("revin", "rail, next day's type: GRU(32), RevIN, Adam lr 0.003, MAE loss",
       f"{RAIL_DAY} model.instance_norm=revin {GRU_MAE}"),
    *(t2(f"revin_{n}d", f"as revin, {n}-day window, lookback", f"{RAIL_DAY} "
         f"model.instance_norm=revin {GRU_MAE} data.input_len={n} data.lookback=true",
         note="lookback: every window length is scored on the same days, val 2019-01 .. 05 "
         "and test from 2019-06, its inputs reading the days before")
      for n in (14, 28, 56, 112)),
]  # fmt: skip

JENA = "model.optimizer._target_=torch.optim.RMSprop"  # Chollet: rmsprop, MSE, best epoch kept
t3 = book(3, f"data=jena {JENA} callbacks.early_stopping.patience=1000", "val/mae")
TABLE_3 = [
    t3("naive", "common-sense baseline: the last temperature", "model=naive", "2.44",
       published_test="2.62"),
    t3("dense", "Dense(16), ReLU, on the flattened window",
       "model=dense model.hidden_sizes=[16] trainer.max_epochs=10"),
    t3("conv1d", "Conv1D(8, 24) ×3 with pooling", "model=conv1d model.filters=8 "
       "model.kernel_size=24 model.pool_size=2 trainer.max_epochs=10"),
    t3("lstm16", "LSTM(16)", "model=lstm model.rnn.hidden_size=16 trainer.max_epochs=10",
       "2.36", published_test="2.55"),
    t3("lstm32_dropout", "LSTM(32), recurrent dropout 0.25",
       "model=lstm model.rnn.hidden_size=32 model.rnn.recurrent_dropout=0.25 "
       "trainer.max_epochs=50", published_test="2.45",
       note="the book adds Dropout(0.5) before the head, which our Recurrent lacks"),
    t3("gru_stacked", "GRU(32) ×2, recurrent dropout 0.5",
       "model=gru model.rnn.hidden_size=32 model.rnn.num_layers=2 "
       "model.rnn.recurrent_dropout=0.5 trainer.max_epochs=50", published_test="2.39",
       note="the book adds Dropout(0.5) before the head"),
]  # fmt: skip

ROWS = [*TABLE_1, *TABLE_2, *TABLE_3]


@dataclass(frozen=True)
class Target:
    """A goal for our rows: the best of ``rows`` below ``below``, or below ``reference``'s mean.

    Args:
        text: the goal as the page states it.
        table: the table the rows are in.
        rows: the candidate row keys.
        split: ``"val"`` or ``"test"``: which column the goal reads.
        below: a fixed threshold, or None to read ``reference``.
        reference: a row key whose mean (same split) is the threshold.
    """

    text: str
    table: int
    rows: tuple[str, ...]
    split: str = "val"
    below: float | None = None
    reference: str = ""


TARGETS = [
    Target("synthetic, 1 step: val MSE below 0.0026, the best published", 1,
           ("best1", "deep", "deep_out", "linear"), below=0.0026),
    Target("synthetic, 10 ahead: val MSE below 0.0058, the best published", 1,
           ("best10", "s2s_rnn", "s2s_lstm", "s2s_gru", "conv_gru", "wavenet", "wavenet_res"),
           below=0.0058),
    Target("CTA multivariate: val MAE below 20,000", 2, ("multi", "multi_gru", "bus_rail",
           "bus_rail_revin"), below=20_000),
    Target("CTA test period: a recurrent model below the weekly naive forecast", 2,
           ("rnn32", "rnn32_1e6", "deep3", "multi", "multi_gru", "bus_rail_revin", "rnn32_revin",
            "revin"),
           split="test", reference="naive7"),
]  # fmt: skip
