"""Pieces of the CLI without a server: time parsing, rendering, progress, download display."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from binance_usdm import models as m
from binance_usdm.cli import cmd_history, progress, render
from binance_usdm.cli.render import Column, Output, Table
from binance_usdm.cli.session import describe
from binance_usdm.cli.timeparse import parse_time
from binance_usdm.downloads import DownloadProgress
from binance_usdm.enums import IncomeType
from binance_usdm.errors import DownloadQuotaExceeded

NOW = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("7d", NOW - timedelta(days=7)),
    ("12h", NOW - timedelta(hours=12)),
    ("30m", NOW - timedelta(minutes=30)),
    ("90s", NOW - timedelta(seconds=90)),
    ("2w", NOW - timedelta(weeks=2)),
    ("1.5d", NOW - timedelta(hours=36)),
    ("now", NOW),
    ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
    ("2024-05-01T12:30", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
    ("2024-05-01 12:30:15", datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)),
    ("2024-05-01T12:30:00+02:00", datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
    ("2024-05-01T12:30:00Z", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
])
def test_parse_time(text: str, expected: datetime) -> None:
    moment = parse_time(text, NOW)
    assert moment == expected and moment.tzinfo is UTC


@pytest.mark.parametrize("text", ["", "7", "7y", "yesterday", "2024-13-01", "-3d"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="ISO date"):
        parse_time(text, NOW)


def test_json_keeps_decimals_exact_and_times_iso() -> None:
    record = m.IncomeRecord(symbol="BTCUSDT", income_type=IncomeType.FUNDING_FEE, income_str="0.00000000",
                            asset="USDT", time_ms=1_700_000_000_123, tran_id=1)
    data = json.loads(render.to_json(record))
    assert data["income"] == "0.00000000"
    assert data["time"] == "2023-11-14T22:13:20.123Z"
    assert data["income_type"] == "FUNDING_FEE"
    assert render.to_json({"n": Decimal("1E+2"), "x": Decimal("123.4500")}, indent=None) == \
        '{"n": "100", "x": "123.4500"}'


def test_fmt_decimal() -> None:
    assert render.fmt_decimal(Decimal("25000.00000000")) == "25000"
    assert render.fmt_decimal(Decimal("0E-8")) == "0"
    assert render.fmt_decimal(Decimal("0.00500")) == "0.005"
    assert render.fmt_decimal(Decimal("1.23456"), 2) == "1.23"
    assert render.fmt_decimal(None) == "-"


def _table() -> Table:
    table = Table("Title", [Column("NAME"), Column("VALUE", "right")])
    table.add("alpha", ("+1.5", "green"))
    table.add("b", "-20")
    return table


def test_plain_table_is_aligned() -> None:
    assert list(render.render_plain(_table())) == [
        "Title",
        "NAME   VALUE",
        "alpha   +1.5",
        "b        -20",
    ]


def test_wide_characters_take_two_columns_in_a_table() -> None:
    """Binance lists symbols such as 币安人生USDT: each CJK character takes two terminal columns."""
    assert (render.text_width("BTCUSDT"), render.text_width("币安人生USDT"), render.text_width("ＢＴＣ")) == (7, 12, 6)
    assert render.clip("币安人生USDT", 12) == "币安人生USDT"
    assert render.clip("币安人生USDT", 6) == "币安…"  # 5 columns: a third CJK character would make 7
    table = Table(None, [Column("SYMBOL"), Column("SIZE")], [["币安人生USDT", Decimal(1)], ["BTCUSDT", Decimal(20)]])
    lines = list(render.render_plain(table))
    assert lines == ["SYMBOL        SIZE", "币安人生USDT     1", "BTCUSDT         20"]
    assert {render.text_width(line) for line in lines} == {18}  # the columns line up on a terminal
    # lines broken at spaces by columns: 'ＢＴＣ' is 3 characters in 6 columns
    assert render.wrap("it has ＢＴＣUSDT in it", 13) == ["it has", "ＢＴＣUSDT in", "it"]
    assert render.wrap("a ＢＴＣ b", 8, indent="  ") == ["a ＢＴＣ", "  b"]
    stacked = [[text for text, _ in line] for line in render.layout(table, 16)]  # too narrow for the grid
    assert stacked[0] == ["SYMBOL  ", "币安人…"]  # cut to the 8 columns left, not to 8 characters
    assert all(sum(map(render.text_width, line)) <= 16 for line in stacked)


def test_output_without_rich_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "has_rich", lambda: False)
    stream = io.StringIO()
    out = Output(stream=stream)
    assert out.fancy is False
    out.table(_table())
    out.fields("Block", [("a", "1"), ("long label", ("2", "red"))])
    assert stream.getvalue() == "Title\nNAME   VALUE\nalpha   +1.5\nb        -20\n\nBlock\na           1\nlong label  2\n"


def test_fancy_output_is_the_same_layout_in_colour() -> None:
    stream = io.StringIO()
    Output(fancy=True, stream=stream).table(_table())
    text = stream.getvalue()
    assert "\x1b[1mTitle\x1b[0m" in text and "\x1b[32m+1.5\x1b[0m" in text
    assert re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines() == list(render.render_plain(_table()))


def test_number_columns_share_their_decimals_and_zero_has_no_exponent() -> None:
    table = Table(None, [Column("A"), Column("PNL", signed=True)])
    table.add("x", Decimal("1.5"))
    table.add("y", Decimal("-0.125"))
    table.add("z", Decimal("0E-8"))
    table.add("w", None)
    assert list(render.render_plain(table)) == ["A     PNL", "x  +1.500", "y  -0.125", "z   0.000", "w       -"]


def test_a_column_empty_in_every_row_is_left_out_wherever_the_table_goes() -> None:
    """Income whose INFO is empty in every row (funding fees): no INFO header making the piped header
    wider than its rows, none in the stacked form either; one row with a value brings the column back,
    and a table without rows keeps its headers. ``None`` (unknown, ``-``) is not empty."""
    table = Table(None, [Column("SYMBOL"), Column("AMOUNT"), Column("INFO"), Column("TRAN ID", "right")])
    table.add("BTCUSDT", Decimal("-1.78"), "", "9689323067")
    table.add("ETHUSDT", Decimal("-1.6"), "", None)
    assert list(render.render_plain(table)) == [
        "SYMBOL   AMOUNT     TRAN ID", "BTCUSDT   -1.78  9689323067", "ETHUSDT   -1.60           -"]
    assert list(render.render_plain(table, 12))[:3] == ["SYMBOL   BTCUSDT", "AMOUNT   -1.78", "TRAN ID  9689323067"]
    table.add("SOLUSDT", Decimal("2"), "rebate", "1")
    assert next(render.render_plain(table)) == "SYMBOL   AMOUNT  INFO       TRAN ID"
    assert list(render.render_plain(Table(None, [Column("A"), Column("INFO")]))) == ["A  INFO"]


def test_layout_abbreviates_then_hides_by_priority_then_stacks() -> None:
    table = Table("T", [Column("SYMBOL"), Column("UNREALIZED PNL", short="PNL"),
                        Column("NOTIONAL", priority=1)])
    table.add("BTCUSDT", Decimal("12.5"), Decimal("14250"))
    assert list(render.render_plain(table, 40)) == ["T", "SYMBOL   UNREALIZED PNL  NOTIONAL", "BTCUSDT            12.5     14250"]
    assert list(render.render_plain(table, 25))[1:3] == ["SYMBOL    PNL  NOTIONAL", "BTCUSDT  12.5     14250"]
    narrow = list(render.render_plain(table, 16))
    assert narrow[1:3] == ["SYMBOL    PNL", "BTCUSDT  12.5"] and "Hidden" in narrow[3] and "NOTIONAL" in narrow[4]
    assert list(render.render_plain(table, 12))[1:4] == ["SYMBOL          BTCUSDT", "UNREALIZED PNL  12.5", "NOTIONAL        14250"]


def test_plural() -> None:
    assert [render.plural(n, "record") for n in (0, 1, 2)] == ["0 records", "1 record", "2 records"]


def test_progress_is_quiet_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.Progress("work", total=10) as bar:
        bar.update(advance=5)
    assert capsys.readouterr().err == ""


def test_progress_plain_counter_without_rich(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(progress, "has_rich", lambda: False)
    with progress.Progress("income", total=4, enabled=True) as bar:
        bar.update(advance=1)
        bar.update(completed=3, description="income: 3 records")
    err = capsys.readouterr().err
    assert "\rincome 25%" in err and "\rincome: 3 records 75%" in err
    with progress.Progress("fetching", enabled=True, unit="bytes") as bar:
        bar.update(completed=10, total=100)
    assert "\rfetching 10/100 bytes" in capsys.readouterr().err


def test_progress_rich_bar(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("rich")
    with progress.Progress("fetching", enabled=True, unit="bytes") as bar:
        bar.update(completed=10, total=100)
    assert bar.completed == 10 and bar.total == 100


def test_download_display_announces_the_id_then_switches_bars(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(progress, "has_rich", lambda: False)
    monkeypatch.setattr(progress, "is_tty", lambda stream: True)
    display = cmd_history._DownloadDisplay("trades", announce=True)
    display(DownloadProgress("waiting", "77", waited=1.0))
    display(DownloadProgress("waiting", "77", waited=3.0))
    display(DownloadProgress("downloading", "77", 10, 100))
    display(DownloadProgress("done", "77", 100, 100))
    display.stop()
    err = capsys.readouterr().err
    assert err.count("download id 77 (resume with --id 77)") == 1
    assert "\rwaiting for trades file 77 3s" in err and "\rfetching trades file 10/100 bytes" in err
    assert err.endswith("\r\x1b[K")


def test_quota_error_names_the_quota() -> None:
    error = DownloadQuotaExceeded(-1000, "Request limit reached.", status_code=400, quota=5,
                                  endpoint="GET /fapi/v1/trade/asyn")
    assert describe(error) == (
        "error -1000: Request limit reached. (the monthly quota of 5 requests is used up) (GET /fapi/v1/trade/asyn)"
    )


def test_importing_the_library_does_not_load_the_cli() -> None:
    import subprocess
    import sys

    code = "import sys, binance_usdm; print(any(n.startswith(('binance_usdm.cli', 'click', 'rich')) for n in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"
