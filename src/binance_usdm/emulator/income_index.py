"""Positional index of the income history: for every filter `GET /fapi/v1/income` accepts (all records,
one symbol, one incomeType, both), an account's records in answer order, (time, tranId, then insertion).

A query's window is found by binary search on time and its `page=` offset by arithmetic, so the work
of a query is O(log n + limit) whatever the number of records, how rare the symbol or type is, or
which page is asked for. The index holds row ids of the store's `income` table (the rows themselves
stay in SQLite, fetched by rowid) and, per row id, its time and tranId; it is derived data: the store
rebuilds it from the table whenever it may be out of step (after a rolled-back transaction).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter, itemgetter
from typing import Protocol

#: (account, symbol or None, incomeType or None): one filter's record list.
FilterKey = tuple[str, str | None, str | None]


class IndexedRecord(Protocol):
    """The fields of an income row the index orders and filters by."""

    @property
    def account(self) -> str: ...
    @property
    def time(self) -> int: ...
    @property
    def tran_id(self) -> int: ...
    @property
    def symbol(self) -> str: ...
    @property
    def income_type(self) -> str: ...


#: A binary search with its key calls costs about this many elements of a sort by tuples.
_BISECT_COST = 32
_TIME = attrgetter("time")
_TRAN = attrgetter("tran_id")
_FILTERS = attrgetter("account", "symbol", "income_type")
_ROWID = itemgetter(2)


def _distribute(ordered: Iterable[tuple[int, str, str, str]]) -> dict[FilterKey, list[int]]:
    """Row ids given as (rowid, account, symbol, incomeType), in order, split into each filter's list."""
    out: dict[FilterKey, list[int]] = {}
    appenders: dict[tuple[str, str, str], tuple[Callable[[int], None], ...]] = {}
    for rowid, account, symbol, income_type in ordered:
        combo = account, symbol, income_type
        add = appenders.get(combo)
        if add is None:
            add = appenders[combo] = tuple(out.setdefault(key, []).append for key in (
                (account, None, None), (account, symbol, None), (account, None, income_type), combo))
        add_all, add_symbol, add_type, add_both = add
        add_all(rowid)
        add_symbol(rowid)
        add_type(rowid)
        add_both(rowid)
    return out


class IncomeIndex:
    """Row ids of the `income` table per filter, ascending by (time, tranId, rowid)."""

    def __init__(self) -> None:
        #: Time and tranId of each row id (slot 0 and any gap unused).
        self._time = array("q", [0])
        self._tran = array("q", [0])
        self._lists: dict[FilterKey, array[int]] = {}

    def count(self, account: str) -> int:
        """How many records the account has."""
        return len(self._lists.get((account, None, None), ()))

    def add(self, first_rowid: int, rows: Sequence[IndexedRecord]) -> None:
        """Index `rows`, stored with the consecutive row ids `first_rowid`, `first_rowid + 1`, ...
        (above every indexed row id)."""
        if first_rowid < len(self._time):
            raise ValueError(f"row id {first_rowid} is already indexed")
        times, trans = list(map(_TIME, rows)), list(map(_TRAN, rows))
        self._pad(first_rowid)
        self._time.extend(times)
        self._tran.extend(trans)
        order = sorted(range(len(rows)), key=list(zip(times, trans, strict=True)).__getitem__)  # stable: rowid
        self._merge(_distribute((first_rowid + i, *_FILTERS(rows[i])) for i in order))

    @classmethod
    def build(cls, keys: Iterable[tuple[int, int, int]], ordered: Iterable[tuple[int, str, str, str]]) -> IncomeIndex:
        """The index of a whole table: `keys` are its (rowid, time, tranId) ascending by rowid,
        `ordered` its (rowid, account, symbol, incomeType) ascending by (account, time, tranId, rowid)."""
        index = cls()
        times, trans = index._time, index._tran
        for rowid, time, tran in keys:
            index._pad(rowid)
            times.append(time)
            trans.append(tran)
        index._merge(_distribute(ordered))
        return index

    def _pad(self, rowid: int) -> None:
        """Unused slots up to `rowid` (row ids of rows that were never indexed)."""
        gap = rowid - len(self._time)
        if gap > 0:
            self._time.extend(array("q", bytes(8 * gap)))
            self._tran.extend(array("q", bytes(8 * gap)))

    def _merge(self, new: dict[FilterKey, list[int]]) -> None:
        """Place new row ids (each list ascending by the sort key) into each filter's list."""
        for key, added in new.items():
            ids = self._lists.get(key)
            if ids is None:
                self._lists[key] = array("q", added)
            elif self._sort_key(ids[-1]) <= self._sort_key(added[0]):
                ids.extend(added)  # the common case: newer records
            else:  # older records: merge with the part of the list they overlap
                first = bisect_right(ids, self._sort_key(added[0]), key=self._sort_key)
                tail = ids[first:]
                del ids[first:]
                ids.extend(self._merged(tail, array("q", added)))

    def _merged(self, a: array[int], b: array[int]) -> array[int]:
        """Two ascending runs as one. Few into many: each row id of the shorter run is placed by binary
        search in the longer one, whose stretches between them are copied whole; else one stable sort of
        both runs' keys (it merges the two runs in one pass)."""
        short, long = (a, b) if len(a) <= len(b) else (b, a)
        if len(short) * _BISECT_COST > len(long):
            both = [*a, *b]
            keys = sorted(zip(map(self._time.__getitem__, both), map(self._tran.__getitem__, both), both, strict=True))
            return array("q", map(_ROWID, keys))
        out = array("q")
        at = 0
        for rowid in short:
            place = bisect_left(long, self._sort_key(rowid), lo=at, key=self._sort_key)
            out.extend(long[at:place])
            out.append(rowid)
            at = place
        out.extend(long[at:])
        return out

    def _sort_key(self, rowid: int) -> tuple[int, int, int]:
        return self._time[rowid], self._tran[rowid], rowid

    def select(self, key: FilterKey, start: int, end: int, offset: int, limit: int) -> list[int]:
        """Row ids of the records of `key` with start <= time <= end, from the `offset`-th on, at most
        `limit`, in answer order."""
        ids = self._lists.get(key)
        if ids is None:
            return []
        time_of = self._time.__getitem__
        lo = bisect_left(ids, start, key=time_of)
        hi = bisect_right(ids, end, lo=lo, key=time_of)
        first = lo + min(offset, hi - lo)
        return ids[first:min(hi, first + limit)].tolist()
