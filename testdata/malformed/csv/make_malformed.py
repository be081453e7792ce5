#!/usr/bin/env python3
"""Writes the hostile CSV files of testdata/malformed/csv (run from the repository root); the
tests score them with testdata/r/lm_factor/model.rds."""
from pathlib import Path

OUT = Path("testdata/malformed/csv")
HEADER = "Sepal.Width,Petal.Length,Species"


def write(name, text):
    (OUT / name).write_text(text)


def main():
    # More columns than the columns limit (100,000), all unnamed.
    write("too_many_columns.csv", "," * 100000 + "\n")
    # A number of 1000 digits: beyond the range of a double (it read as +Inf).
    write("huge_number.csv", HEADER + "\n3.5,1.4,setosa\n" + "9" * 1000 + ",1.3,setosa\n")
    # A column name of 100 KB where a model column is missing: the message must not echo it whole.
    write("long_column_name.csv", "x" * 100000 + ",Petal.Length,Species\n3.5,1.4,setosa\n")
    # A row of 200,000 fields under a header of three.
    write("long_row.csv", HEADER + "\n3.5,1.4,setosa\n" + "1," * 200000 + "1\n")


if __name__ == "__main__":
    main()
