"""CSV/TSV sources: good files and every way a CSV goes wrong, each located."""

from __future__ import annotations

import numpy as np
import pytest
from data_helpers import find, inspect


def write(tmp_path, name, content, encoding="utf-8"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode(encoding))
    return path


def species_rows(n_per_class=20, seed=0):
    rng = np.random.default_rng(seed)
    lines = ["length,width,colour,species"]
    for name, mean in (("setosa", 1.0), ("virginica", 3.0), ("versicolor", 5.0)):
        for _ in range(n_per_class):
            colour = rng.choice(["red", "blue"])
            lines.append(f"{rng.normal(mean, 0.3):.3f},{rng.normal(mean, 0.3):.3f},{colour},{name}")
    return "\n".join(lines) + "\n"


# -- good files -----------------------------------------------------------------


def test_good_csv_summary(tmp_path):
    path = write(tmp_path, "flowers.csv", species_rows())
    report = inspect(path, target_columns=["species"])
    assert report.ok, report.format_text()
    assert report.kind == "csv"
    assert report.samples == 60
    assert report.feature_shape == (4,)  # 2 numbers + one-hot of 2 colours
    assert report.task == "classification"
    assert report.classes == [("setosa", 20), ("versicolor", 20), ("virginica", 20)]
    assert report.nan_count == report.inf_count == 0
    assert report.details["delimiter"] == "," and report.details["header"] is True
    assert report.content_hash.startswith("sha256:")
    types = {c["name"]: c.get("type") for c in report.columns}
    assert types == {
        "length": "numeric",
        "width": "numeric",
        "colour": "categorical",
        "species": "categorical",
    }
    json_ = report.to_json()
    assert {"kind", "samples", "feature_shape", "task", "classes", "problems"} <= set(json_)


def test_integer_categories_and_regression(tmp_path):
    rows = ["x,y"] + [f"{i},{i * 0.5}" for i in range(30)]
    report = inspect(write(tmp_path, "r.csv", "\n".join(rows)))
    assert report.ok and report.task == "regression"
    assert report.target_range == (0.0, 14.5)
    assert report.num_outputs == 1

    rows = ["x,label"] + [f"{i},{i % 3}" for i in range(30)]
    path = write(tmp_path, "c.csv", "\n".join(rows))
    report = inspect(path)
    assert report.task == "classification" and [n for n, _ in report.classes] == ["0", "1", "2"]
    find(report, "treated as class labels", "info")
    assert inspect(path, task="regression").task == "regression"


def test_several_regression_targets(tmp_path):
    rows = ["a,b,t1,t2"] + [f"{i},{i % 7},{i * 2.5},{-i}" for i in range(25)]
    report = inspect(write(tmp_path, "m.csv", "\n".join(rows)), target_columns=["t1", "t2"])
    assert report.ok and report.task == "regression" and report.num_outputs == 2


def test_tsv_semicolon_and_no_header_are_detected(tmp_path):
    tsv = write(tmp_path, "t.tsv", "a\tb\tc\n1\t2\tx\n3\t4\ty\n5\t6\tx\n")
    report = inspect(tsv)
    assert report.details["delimiter"] == "\t" and report.samples == 3

    semi = write(tmp_path, "s.csv", "a;b;c\n1,5;2;x\n3,25;4;y\n7;8;x\n")
    report = inspect(semi)
    assert report.details["delimiter"] == ";"
    find(report, "decimal commas", "info")
    assert report.feature_shape == (2,)

    bare = write(tmp_path, "n.csv", "1,2,x\n3,4,y\n5,6,x\n7,8,y\n")
    report = inspect(bare)
    assert report.details["header"] is False
    assert report.samples == 4
    assert report.details["columns"] == ["column_1", "column_2", "column_3"]


def test_utf8_bom_and_utf16(tmp_path):
    bom = write(tmp_path, "bom.csv", b"\xef\xbb\xbfage,y\n1,a\n2,b\n3,a\n4,b\n")
    report = inspect(bom)
    assert report.ok and report.details["columns"] == ["age", "y"]
    u16 = write(tmp_path, "u16.csv", "age,y\n1,a\n2,b\n3,a\n4,b\n", encoding="utf-16")
    report = inspect(u16)
    assert report.ok and report.details["columns"] == ["age", "y"]
    assert report.details["encoding"] == "utf-16"


# -- malformed files ------------------------------------------------------------


def test_ragged_rows_are_located(tmp_path):
    content = "a,b,c\n1,2,3\n\n4,5\n6,7,8,9\n10,11,12\n"
    report = inspect(write(tmp_path, "ragged.csv", content))
    assert not report.ok
    short = find(report, "2 values, too few", "error")
    long = find(report, "4 values, too many", "error")
    assert short.location == "line 4"  # the blank line 3 counts
    assert long.location == "line 5"
    assert "header (line 1) names 3 columns" in short.message


def test_ragged_row_after_a_quoted_newline(tmp_path):
    content = 'a,b,c\n1,"two\nlines",3\n4,5\n6,7,8\n'
    report = inspect(write(tmp_path, "q.csv", content))
    assert find(report, "too few", "error").location == "line 4"


def test_trailing_delimiter_on_every_row(tmp_path):
    report = inspect(write(tmp_path, "t.csv", "a,b,c\n1,2,3,\n4,5,6,\n"))
    problem = find(report, "every row has 4 values", "error")
    assert "delimiter at the end" in problem.message


def test_non_numeric_cell_in_numeric_column(tmp_path):
    rows = ["age,height,y"] + [f"{20 + i},{150 + i},{'ab'[i % 2]}" for i in range(10)]
    rows[3] = "n/a,153,b"
    path = write(tmp_path, "people.csv", "\n".join(rows) + "\n")
    report = inspect(path)
    problem = find(report, 'column "age" has "n/a" in a numeric column', "error")
    assert problem.location == "line 4"
    find(report, "missing-value markers", "info")
    # declared as a missing-value marker, it becomes a missing value under the policy
    report = inspect(path, na_values=["n/a"])
    assert find(report, 'column "age" has no value', "error").location == "line 4"
    report = inspect(path, na_values=["n/a"], missing="drop")
    assert report.ok and report.samples == 9


def test_many_bad_cells_are_summed_up(tmp_path):
    rows = ["a,y"] + [f"{'x' if i % 3 == 0 and i < 300 else i},{i % 2}" for i in range(1000)]
    report = inspect(write(tmp_path, "many.csv", "\n".join(rows)))
    listed = [p for p in report.problems if "in a numeric column" in p.message]
    assert len(listed) == 11  # ten listed one by one, then one summary line
    assert listed[-1].message.startswith("90 more like this")


def test_empty_and_header_only_files(tmp_path):
    assert "the file is empty" in find(inspect(write(tmp_path, "e.csv", "")), "empty").message
    find(inspect(write(tmp_path, "w.csv", "  \n\n")), "the file is empty", "error")
    find(inspect(write(tmp_path, "h.csv", "a,b,c\n")), "no data rows", "error")


def test_wrong_delimiter_names_the_right_one(tmp_path):
    path = write(tmp_path, "semi.csv", "a;b;c\n1;2;x\n3;4;y\n")
    report = inspect(path, delimiter=",")
    problem = find(report, "every line has a single column", "error")
    assert '";" (semicolon)' in problem.message and "choose it as the delimiter" in problem.message


def test_one_column_file(tmp_path):
    report = inspect(write(tmp_path, "one.csv", "values\n1\n2\n3\n"))
    find(report, "found only one column", "error")


def test_latin1_bytes(tmp_path):
    content = "city,n,y\nBerlin,1,a\nZ\xfcrich,2,b\nParis,3,a\n".encode("latin-1")
    path = write(tmp_path, "latin.csv", content)
    report = inspect(path)
    warning = find(report, "not UTF-8", "warning")
    assert warning.location == "line 3" and "Zürich" in warning.message
    assert report.ok and report.details["encoding"] == "cp1252"
    strict = inspect(path, encoding="utf-8")
    error = find(strict, "cannot be read as utf-8", "error")
    assert error.location == "line 3" and "0xFC" in error.message
    assert inspect(path, encoding="latin-1").ok


def test_unterminated_quote(tmp_path):
    content = 'a,b,c\n1,2,x\n3,"oops,y\n5,6,x\n7,8,y\n'
    report = inspect(write(tmp_path, "quote.csv", content))
    problem = find(report, "closing quote is never found", "error")
    assert problem.location == "line 3"


def test_binary_file_is_refused(tmp_path):
    report = inspect(write(tmp_path, "bin.csv", b"a,b\n1,\x00\x01\x02\xff\n"))
    find(report, "NUL bytes", "error")


def test_nan_and_inf_are_found_by_row_and_column(tmp_path):
    content = "a,b,y\n1,2,x\n2,nan,y\n3,1e999,x\n,4,y\n5,-inf,x\n6,7,y\n"
    path = write(tmp_path, "nf.csv", content)
    report = inspect(path)
    assert not report.ok
    assert report.nan_count == 2 and report.inf_count == 2
    assert find(report, 'column "b" has no value').location == "line 3"
    assert find(report, 'column "a" has no value').location == "line 5"
    inf = [p for p in report.problems if "infinite" in p.message]
    assert [p.location for p in inf] == ["line 4", "line 6"]

    dropped = inspect(path, missing="drop")
    assert dropped.ok and dropped.samples == 2
    assert find(dropped, "dropped 4 row(s)").location == "lines 3, 4, 5, 6"

    filled = inspect(path, missing="fill")
    assert filled.ok and filled.samples == 6
    find(filled, 'column "b" with its mean', "warning")


def test_missing_target_is_dropped_even_when_filling(tmp_path):
    content = "a,y\n1,x\n2,\n3,y\n4,x\n"
    report = inspect(write(tmp_path, "t.csv", content), missing="fill")
    assert report.samples == 3
    assert find(report, "in a target column").location == "line 3"


def test_unknown_and_overlapping_columns(tmp_path):
    path = write(tmp_path, "c.csv", "a,b,c\n1,2,x\n3,4,y\n")
    problem = find(inspect(path, target_columns=["colour"]), 'no column "colour"', "error")
    assert '"a", "b", "c"' in problem.message
    find(inspect(path, target_columns=["c"], feature_columns=["a", "c"]), "both", "error")


def test_constant_identifier_and_single_class(tmp_path):
    rows = ["id,const,v,y"] + [f"user{i},5,{i},{'ab'[i % 2]}" for i in range(30)]
    report = inspect(write(tmp_path, "c.csv", "\n".join(rows)))
    assert report.ok
    assert report.constant_columns == ["const"]
    find(report, "same value (5) in every row", "warning")
    find(report, "identifier", "warning")
    one = ["v,y"] + [f"{i},same" for i in range(5)]
    find(inspect(write(tmp_path, "one.csv", "\n".join(one))), "only one class", "error")


def test_class_imbalance_is_reported(tmp_path):
    rows = ["v,y"] + [f"{i},common" for i in range(60)] + [f"{i},rare" for i in range(5)]
    report = inspect(write(tmp_path, "imb.csv", "\n".join(rows)))
    assert report.ok
    problem = find(report, "imbalanced", "warning")
    assert '"common" has 60' in problem.message and '"rare" only 5' in problem.message


def test_validation_file(tmp_path):
    train = write(tmp_path, "train.csv", species_rows(10))
    val = write(tmp_path, "val.csv", species_rows(3, seed=1))
    report = inspect(train, target_columns=["species"], validation_path=str(val))
    assert report.ok and report.details["validation_samples"] == 9
    assert "+sha256:" in report.content_hash
    bad = write(tmp_path, "bad.csv", "length,width,colour,species\n1,2,red,unknown\n")
    report = inspect(train, target_columns=["species"], validation_path=str(bad))
    problem = find(report, 'class "unknown" does not occur in the training data', "error")
    assert problem.location == "bad.csv, line 2"
    other = write(tmp_path, "other.csv", "x,species\n1,setosa\n")
    find(inspect(train, target_columns=["species"], validation_path=str(other)), "lacks")


def test_changed_file_is_noticed(tmp_path):
    path = write(tmp_path, "a.csv", "a,y\n1,x\n2,y\n3,x\n4,y\n")
    report = inspect(path, content_hash="sha256:" + "0" * 64)
    find(report, "changed since it was connected", "warning")


@pytest.mark.parametrize("policy", ["stop", "drop", "fill"])
def test_inspection_never_modifies_the_file(tmp_path, policy):
    path = write(tmp_path, "m.csv", "a,b,y\n1,,x\n2,3,y\n,4,x\n5,6,y\n")
    inspect(path, missing=policy)  # the helper asserts the sha256 is unchanged
