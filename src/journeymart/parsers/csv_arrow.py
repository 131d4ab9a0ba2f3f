"""A plain CSV file's cells read by Arrow's C++ reader instead of the csv module.

`base.read_csv` reads with Python's csv module: a list per row, then a list per column. Arrow
reads the same cells without a Python object per cell, and each column comes back as its
distinct values plus a code per row, so `base.parse_csv` casts each distinct value once and
builds the column by one take. It is only used on files it provably reads like the csv
module's strict reader does, and returns None for any other file (`base.read_csv` then reads
it, with its reasons for odd input):
- every `"` belongs to a whole quoted field (`"..."` with `""` for a quote, between commas or
  line ends), the only quoting the two readers read alike; the strict reader refuses text
  after a closing quote, the lenient one and Arrow read it differently;
- every row has the header's cell count (Arrow refuses others; the csv module keeps them
  for `base.read_csv` to quarantine as ragged);
- no row is all blank cells and no line before the header is empty: the csv module skips
  such rows (or takes an empty header), Arrow skips only empty lines;
- no title rows (`header_startswith`), no totals footer, no cell over the csv module's field
  size limit, and a header of more than one cell (one cell may be a wrong delimiter).
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

# The text as quote-free runs and quoted fields (quotes around anything but a lone quote; `""`
# is a quote inside), each quoted field filling its cell: a field or line boundary (or the
# text's start and end) on both sides. This is the scan's rule: from an opening quote the
# first match is the longest, and a shorter one ends just before a quote, never at a
# boundary. The atomic group and possessive runs stop the engine from retrying those, so a
# text that fails costs one pass too.
_WHOLE_FIELDS = re.compile(r'(?:[^"]*+(?<![^,\r\n])(?>"[^"]*(?:""[^"]*)*")(?![^,\r\n]))*+[^"]*+')


@dataclass
class Column:
    """A column's cells: its distinct values and, per data row, the index of its value."""

    distinct: list[str]
    codes: np.ndarray


@dataclass
class ArrowCsv:
    header: list[str]  # stripped, as base.csv_rows gives it
    columns: list[Column]  # one per header cell, in header order
    rows: int


def whole_fields_quoted(text: str) -> bool:
    """Every `"` in the text is part of a quoted field that fills its cell. One regex over the
    text instead of a Python step per quoted field (app events, a JSON cell a row: 0.54 ->
    0.21 us a row, BENCHMARKS.md)."""
    return '"' not in text or _WHOLE_FIELDS.fullmatch(text) is not None


def read(raw: bytes, text: str) -> ArrowCsv | None:
    """The cells of `raw` (decompressed bytes; `text` is their decoding by `base.decode`), or
    None when the file is not one this reader provably reads like the csv module."""
    if not text or text[0] in "\r\n" or not whole_fields_quoted(text):
        return None
    body = raw[len(codecs.BOM_UTF8):] if raw.startswith(codecs.BOM_UTF8) else raw
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values='"' in text),
            # every cell as its text: "" stays "", nothing becomes null or a number
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(_first_line_cells(text))},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # ragged rows, mostly
        return None
    if table.num_columns < 2 or table.num_rows < 2 or \
            not all(pa.types.is_string(c.type) for c in table.columns):
        return None
    header = [c[0].as_py().strip() for c in table.columns]
    columns: list[Column] = []
    limit = csv.field_size_limit()
    for chunked in table.columns:
        cells = chunked.combine_chunks().slice(1)
        if len(text) >= limit and pc.max(pc.utf8_length(cells)).as_py() >= limit:
            return None
        encoded = pc.dictionary_encode(cells)
        columns.append(Column(encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False)))
    if _has_blank_row(columns, table.num_rows - 1):
        return None
    last = columns[0].distinct[columns[0].codes[-1]]
    if last.strip().lower().startswith("total"):
        return None
    return ArrowCsv(header, columns, table.num_rows - 1)


def _has_blank_row(columns: list[Column], rows: int) -> bool:
    """Whether a row is blank in every cell. A column without a blank value (most of them:
    the fewest distinct values are tried first) rules every row out, so the rows are looked at
    only when each column has a blank value somewhere (before, every distinct value of every
    column was tested: ~8% of an e-mail activity file's parse, BENCHMARKS.md)."""
    by_size = sorted(columns, key=lambda c: len(c.distinct))
    if not all(any(not v.strip() for v in c.distinct) for c in by_size):
        return False
    blank = np.ones(rows, dtype=bool)
    for column in by_size:
        blank &= np.array([not v.strip() for v in column.distinct], dtype=bool)[column.codes]
    return bool(blank.any())


def _first_line_cells(text: str) -> int:
    """An upper bound of the cells in a row (column_types must name every column; extra
    names are ignored)."""
    line = text[: text.find("\n")] if "\n" in text else text
    return line.count(",") + 1
