"""Pieces of the CLI without a server: time parsing, rendering, progress, download polling."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from binance_usdm import models as m
from binance_usdm.cli import paging, progress, render
from binance_usdm.cli.render import Column, Output, Table
from binance_usdm.cli.timeparse import parse_time
from binance_usdm.enums import DownloadStatus, IncomeType

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
    record = m.IncomeRecord(symbol="BTCUSDT", income_type=IncomeType.FUNDING_FEE, income=Decimal("0E-8"),
                            asset="USDT", time=m.UtcDateTime.from_ms(1_700_000_000_123), tran_id=1)
    data = json.loads(render.to_json(record))
    assert data["income"] == "0.00000000"
    assert data["time"] == "2023-11-14T22:13:20.123+00:00"
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


def test_output_without_rich_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "has_rich", lambda: False)
    stream = io.StringIO()
    out = Output(stream=stream)
    assert out.fancy is False
    out.table(_table())
    out.fields("Block", [("a", "1"), ("long label", ("2", "red"))])
    assert stream.getvalue() == "Title\nNAME   VALUE\nalpha   +1.5\nb        -20\n\nBlock\na           1\nlong label  2\n"


def test_output_with_rich_renders_a_table() -> None:
    pytest.importorskip("rich")
    stream = io.StringIO()
    out = Output(fancy=True, stream=stream)
    out.table(_table())
    text = stream.getvalue()
    assert "Title" in text and "alpha" in text and "+1.5" in text and "─" in text
    assert "\x1b[" not in text  # not a terminal: no colour codes


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


def _link(status: str, url: str = "") -> m.DownloadLink:
    return m.DownloadLink(download_id="1", status=DownloadStatus(status), url=url)


def test_wait_for_link_polls_until_ready() -> None:
    answers = [_link("processing"), _link("processing"), _link("completed", "https://x/f.csv")]
    sleeps: list[float] = []
    ticks = iter(range(100))
    ops = paging.DownloadOps(request=lambda s, e: m.DownloadId(download_id="1"), link=lambda i: answers.pop(0))
    link = paging.wait_for_link(ops, "1", interval=2, timeout=60, sleep=sleeps.append,
                                clock=lambda: float(next(ticks)))
    assert link.url == "https://x/f.csv" and sleeps == [2, 2]


def test_wait_for_link_times_out_with_the_id() -> None:
    ops = paging.DownloadOps(request=lambda s, e: m.DownloadId(download_id="9"),
                             link=lambda i: _link("processing"))
    ticks = iter([0.0, 5.0, 10.0])
    with pytest.raises(paging.DownloadFailed, match="resume with --id 9"):
        paging.wait_for_link(ops, "9", interval=5, timeout=8, sleep=lambda s: None, clock=lambda: next(ticks))


def test_open_url_refuses_other_schemes() -> None:
    with pytest.raises(paging.DownloadFailed, match="refusing"):
        paging.open_url("file:///etc/passwd")


def test_importing_the_library_does_not_load_the_cli() -> None:
    import subprocess
    import sys

    code = "import sys, binance_usdm; print(any(n.startswith(('binance_usdm.cli', 'click', 'rich')) for n in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"
