"""Issue 11: every problem of a CSV file is reported, with its line, in one pass."""

from __future__ import annotations

from data_helpers import inspect


def _errors(report):
    return [(p.location, p.message) for p in report.errors]


def _has(report, location_part, message_part):
    return any(location_part in loc and message_part in msg for loc, msg in _errors(report))


def test_ragged_rows_before_an_unterminated_quote_are_reported(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('a,b,c\n1,2,3\n4,5\n6,7,8\n9,"10,11\n12,13,14\n')
    report = inspect(path)
    assert _has(report, "line 3", "2 values, too few")
    assert _has(report, "line 5", "unterminated quote")


def test_a_ragged_row_does_not_hide_cell_problems(tmp_path):
    path = tmp_path / "r.csv"
    rows = ["a,b,label"] + [f"{i},{i},{i % 2}" for i in range(20)]
    rows[3] = "1,2,3,4"  # too many values
    rows[5] = "7,,1"  # a missing value
    rows[8] = "oops,3,0"  # text in a numeric column
    rows[10] = "5"  # too few values
    path.write_text("\n".join(rows) + "\n")
    report = inspect(path)
    assert _has(report, "line 4", "too many")
    assert _has(report, "line 11", "too few")
    assert _has(report, "line 6", 'column "b" has no value')
    assert _has(report, "line 9", '"oops" in a numeric column')


def test_text_in_a_numeric_column_does_not_hide_other_columns_problems(tmp_path):
    path = tmp_path / "t.csv"
    rows = ["a,b,c,label"] + [f"{i},{i * 2},{i * 3},{i % 2}" for i in range(20)]
    rows[2] = "x,2,3,0"
    rows[4] = "4,,6,1"
    rows[6] = "6,7,1e999,0"
    path.write_text("\n".join(rows) + "\n")
    report = inspect(path)
    assert _has(report, "line 3", '"x" in a numeric column')
    assert _has(report, "line 5", 'column "b" has no value')
    assert _has(report, "line 7", 'column "c" holds an infinite value')


def test_problems_on_the_last_line_of_a_30000_row_file_are_reported(tmp_path):
    for name, last, expect in (
        ("ragged.csv", "1,2", "too few"),
        ("text.csv", "1,zz,0", '"zz" in a numeric column'),
        ("inf.csv", "1,1e999,0", "infinite"),
        ("quote.csv", '1,"2,0', "unterminated quote"),
    ):
        path = tmp_path / name
        rows = ["a,b,label"] + [f"{i},{i * 0.5},{i % 2}" for i in range(30_000)] + [last]
        path.write_text("\n".join(rows) + "\n")
        report = inspect(path)
        assert _has(report, "line 30002", expect), (name, _errors(report))


def test_every_ragged_row_is_counted_with_a_cap_per_kind(tmp_path):
    path = tmp_path / "many.csv"
    rows = ["a,b,label"] + [("1,2" if i % 2 else f"{i},1,0") for i in range(60)]
    path.write_text("\n".join(rows) + "\n")
    report = inspect(path)
    listed = [p for p in report.errors if "too few" in p.message]
    assert len(listed) == 11  # 10 shown, then one "N more like this" line
    assert "20 more like this" in listed[-1].message
