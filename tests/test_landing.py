"""The landing zone's listing: one listing per channel and day folder (`exports_by_day`) must
list exactly what a path object per day and per file listed before it."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

DAY = date(2026, 1, 5)


def _listed_by_path_objects(channel: str, day: date) -> list:
    """The listing `exports_by_day` replaced: `exists`, `iterdir` and a path per file."""
    from journeymart.landing import ExportFile, _is_dir, printable_name, root

    folder = root() / channel / day.isoformat()
    if not folder.exists():
        return []
    out = []
    for p in folder.iterdir():
        if p.name.startswith(".") or _is_dir(p):
            continue
        name = printable_name(p.name)
        out.append(ExportFile(channel, day, name, str(p) if name == p.name else str(folder / name)))
    return sorted(out, key=lambda f: f.name)


def test_one_listing_per_folder_lists_what_a_path_per_file_did(jm_home: Path, tmp_path: Path) -> None:
    from journeymart.landing import exports_by_day, list_exports

    channel = jm_home / "landing" / "google_ads"
    day = channel / DAY.isoformat()
    day.mkdir(parents=True)
    for name in ["b.csv", "a b%20ü.csv", "#hash?.csv", "-dash.csv", ".hidden.csv", "ends with space .csv"]:
        (day / name).write_text("x" * len(name))
    os.close(os.open(os.fsencode(day) + b"/latin1-\xe9.csv", os.O_CREAT | os.O_WRONLY))  # not UTF-8
    (day / "sub").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f.csv").write_text("secret")
    (day / "link.csv").symlink_to(outside / "f.csv")
    (day / "dirlink").symlink_to(outside)
    (day / "broken.csv").symlink_to(tmp_path / "nowhere.csv")
    (channel / (DAY + timedelta(days=1)).isoformat()).symlink_to(day)  # a day folder that is a link
    (channel / (DAY + timedelta(days=2)).isoformat()).write_text("a file, not a folder")
    (channel / (DAY + timedelta(days=4)).isoformat()).mkdir()  # an empty day

    days = [DAY + timedelta(days=n) for n in range(-1, 6)]
    listed = exports_by_day("google_ads", days)
    for d in days:
        if d == DAY + timedelta(days=2):
            continue  # a file where a day's folder belongs: skipped now (the path objects raised)
        expected = _listed_by_path_objects("google_ads", d)
        assert listed.get(d, []) == expected == list_exports("google_ads", d), d
        assert [f.url for f in listed.get(d, [])] == [f.url for f in expected]
    assert DAY + timedelta(days=2) not in listed
    names = [f.name for f in listed[DAY]]
    assert names == sorted(names) and "latin1-\\xe9.csv" in names and ".hidden.csv" not in names
    assert "sub" not in names and "dirlink" not in names and {"link.csv", "broken.csv"} <= set(names)
    sizes = {f.name: f.size for f in listed[DAY]}
    assert sizes["b.csv"] == len("b.csv") and sizes["#hash?.csv"] == len("#hash?.csv")
    assert exports_by_day("meta_ads", days) == {}  # a channel without a folder
