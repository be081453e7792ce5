#!/usr/bin/env python3
"""Writes the malformed .rds files of tests/unit/test_rds.cpp (run from the repository root).

Each file is damaged in one way.  R 4.2's readRDS() rejects most of them too; it reads
deep_nesting.rds (legal, but deeper than our limit), returns NULL for the reference out of range
and an empty vector with a warning for the unknown ALTREP class.  The byte layout
follows R's serialize.c: "X\\n", version, writer version, minimal reader version, and for
version 3 the native encoding; then items of (flags, payload)."""
import gzip
import struct
from pathlib import Path

OUT = Path("testdata/malformed/rds")
FIX = Path("testdata/r-fixtures/rds")


def i32(v):
    return struct.pack(">i", v)


def header(version=3):
    h = b"X\n" + i32(version) + i32(0x040202) + i32(0x030500)
    if version == 3:
        h += i32(5) + b"UTF-8"
    return h


def charsxp(s, flags=9 | (64 << 12)):
    return i32(flags) + i32(len(s)) + s


def sym(name):
    return i32(1) + charsxp(name)


def f64(v):
    return struct.pack(">d", v)


def altrep(cls, sexptype, state, dotted=False):
    """An ALTREP item of base class `cls` for vectors of `sexptype`, with `state` (already
    encoded; a dotted pair's tail when `dotted`) and no attributes."""
    info = i32(2) + sym(cls) + i32(2) + sym(b"base") + i32(2) + i32(13) + i32(1) + i32(sexptype) + i32(254)
    return i32(238) + info + state + i32(254)


def write(name, data, compress=False):
    (OUT / name).write_bytes(gzip.compress(data, mtime=0) if compress else data)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    gz = (FIX / "double.gz3.rds").read_bytes()
    write("truncated_gzip.rds", gz[: len(gz) * 6 // 10])
    corrupt = bytearray(gz)
    for k in range(20, 40):
        corrupt[k] ^= 0x5A
    write("corrupt_gzip.rds", bytes(corrupt))
    plain = (FIX / "list.none.rds").read_bytes()
    write("truncated_stream.rds", plain[: len(plain) * 7 // 10])
    write("bad_magic.rds", b"Z\n" + plain[2:])
    write("bad_version.rds", b"X\n" + i32(9) + plain[6:])
    # A double vector claiming 2^31-1 elements with 16 bytes of data.
    write("huge_length.rds", header() + i32(14) + i32(0x7FFFFFFF) + b"\0" * 16)
    # A long vector length (-1, upper, lower) claiming 2^48 elements.
    write("huge_long_length.rds", header() + i32(13) + i32(-1) + i32(65536) + i32(0) + b"\0" * 8)
    # list(a, <reference 5>) where only one reference (the symbol) exists.
    write("ref_out_of_range.rds", header() + i32(19) + i32(2) + sym(b"a") + i32((5 << 8) | 255))
    # 20000 nested one-element lists.
    write("deep_nesting.rds", header() + (i32(19) + i32(1)) * 20000 + i32(254), compress=True)
    # An ALTREP object of a package class.
    info = i32(2) + sym(b"vroom_dbl") + i32(2) + sym(b"vroom") + i32(2) + i32(13) + i32(1) + i32(14) + i32(254)
    write("unknown_altrep.rds", header() + i32(238) + info + i32(254) + i32(254))
    write("unknown_type.rds", header() + i32(19) + i32(1) + i32(99))
    write("negative_string_length.rds", header() + i32(16) + i32(1) + i32(9) + i32(-7))
    write("ascii_garbage.rds", b"A\n3\n262658\n197888\n5\nUTF-8\n13\n2\n1\nabc\n")
    write("empty.rds", b"")
    # 48 ALTREP compact_realseq objects of 2^23 elements each (3 GiB once materialised).
    seq = altrep(b"compact_realseq", 14, i32(14) + i32(3) + f64(2.0**23) + f64(1.0) + f64(1.0))
    write("altrep_many_sequences.rds", header() + i32(19) + i32(48) + seq * 48)
    # deferred_string of 1e-300 with scipen = INT_MAX (R's as.character state: source . scipen).
    state = i32(2) + i32(14) + i32(1) + f64(1e-300) + i32(13) + i32(1) + i32(2**31 - 1)
    write("deferred_string_scipen.rds", header() + altrep(b"deferred_string", 16, state, dotted=True)
          + i32(19) + i32(0), compress=False)
    # A gzip stream inflating 1000 to 1 (80 MiB of zeros after a valid header).
    write("gzip_bomb.rds", gzip.compress(header() + b"\0" * (80 << 20), compresslevel=9, mtime=0))


if __name__ == "__main__":
    main()
