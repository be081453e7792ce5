// CSV reader, input binder and writer.
#include <doctest/doctest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lib/data/binder.hpp"
#include "lib/data/csv_reader.hpp"
#include "lib/data/csv_writer.hpp"
#include "lib/util/error.hpp"
#include "tests/unit/support.hpp"

using namespace mb;
using namespace mb::data;
using mb::testsupport::error_of;

namespace {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> lines;
};

Table read_all(std::istream& in, CsvReaderOptions opt = {}) {
  CsvReader reader(in, "t.csv", opt);
  Table t;
  t.header = reader.header();
  TextBatch b;
  while (reader.next(b)) {
    REQUIRE(b.rows > 0);
    REQUIRE(b.rows <= opt.batch_rows);
    for (size_t r = 0; r < b.rows; ++r) {
      std::vector<std::string> row;
      for (size_t c = 0; c < reader.columns(); ++c) row.emplace_back(b.field(r, c));
      t.rows.push_back(std::move(row));
      t.lines.push_back(b.lines[r]);
    }
  }
  CHECK(reader.rows_read() == t.rows.size());
  return t;
}

Table read_text(const std::string& text, CsvReaderOptions opt = {}) {
  std::istringstream in(text);
  return read_all(in, opt);
}

// A stream buffer that hands out at most `chunk` bytes per underflow, like a slow pipe.
class ChunkedBuf : public std::streambuf {
 public:
  ChunkedBuf(std::string data, size_t chunk) : data_(std::move(data)), chunk_(chunk) {}

 protected:
  int_type underflow() override {
    if (pos_ >= data_.size()) return traits_type::eof();
    size_t n = std::min(chunk_, data_.size() - pos_);
    char* p = data_.data() + pos_;
    setg(p, p, p + n);
    pos_ += n;
    return traits_type::to_int_type(*p);
  }
  std::streamsize xsgetn(char* s, std::streamsize n) override {
    // Deliver one chunk at most, as read(2) on a pipe does.
    if (gptr() == egptr() && underflow() == traits_type::eof()) return 0;
    std::streamsize got = std::min<std::streamsize>(n, egptr() - gptr());
    std::memcpy(s, gptr(), static_cast<size_t>(got));
    gbump(static_cast<int>(got));
    return got;
  }

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
};

ir::InputField continuous(const std::string& name) {
  ir::InputField f;
  f.name = name;
  return f;
}

}  // namespace

TEST_CASE("csv: header, rows, line numbers") {
  Table t = read_text("a,b,c\n1,2,3\n4,5,6\n");
  CHECK(t.header == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[1] == std::vector<std::string>{"4", "5", "6"});
  CHECK(t.lines == std::vector<uint64_t>{2, 3});
}

TEST_CASE("csv: quotes, escaped quotes, embedded comma and newline") {
  Table t = read_text("x,\"y\"\n\"a,b\",\"he said \"\"hi\"\"\"\n\"line1\nline2\",\"\"\nlast,row\n");
  CHECK(t.header == std::vector<std::string>{"x", "y"});
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0] == std::vector<std::string>{"a,b", "he said \"hi\""});
  CHECK(t.rows[1] == std::vector<std::string>{"line1\nline2", ""});
  CHECK(t.rows[2] == std::vector<std::string>{"last", "row"});
  CHECK(t.lines == std::vector<uint64_t>{2, 3, 5});  // the quoted newline moves later rows
}

TEST_CASE("csv: a quote inside an unquoted field is text") {
  Table t = read_text("a,b\nab\"c,2\n");
  REQUIRE(t.rows.size() == 1);
  CHECK(t.rows[0][0] == "ab\"c");
}

TEST_CASE("csv: CRLF, BOM and a last line without newline") {
  Table t = read_text("\xEF\xBB\xBFid,v\r\n1,\"q\"\r\n2,x\r\n3,y");
  CHECK(t.header == std::vector<std::string>{"id", "v"});
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0] == std::vector<std::string>{"1", "q"});
  CHECK(t.rows[1] == std::vector<std::string>{"2", "x"});
  CHECK(t.rows[2] == std::vector<std::string>{"3", "y"});
  CHECK(t.lines == std::vector<uint64_t>{2, 3, 4});
  // A lone CR inside an unquoted field is text; a final CR is a line end.
  Table u = read_text("a,b\n1\r2,3\r");
  REQUIRE(u.rows.size() == 1);
  CHECK(u.rows[0] == std::vector<std::string>{"1\r2", "3"});
}

TEST_CASE("csv: empty fields and missing tokens") {
  Table t = read_text("a,b,c\n,,\nNA,N/A,NaN\n,x,\n");
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0] == std::vector<std::string>{"", "", ""});
  for (const auto& f : t.rows[1]) CHECK(is_missing_token(f));
  CHECK(is_missing_token(""));
  CHECK_FALSE(is_missing_token("na"));
  CHECK_FALSE(is_missing_token("x"));
  CHECK_FALSE(is_missing_token("0"));
  // A final comma before end of file is a last, empty field.
  Table u = read_text("a,b\n1,");
  REQUIRE(u.rows.size() == 1);
  CHECK(u.rows[0] == std::vector<std::string>{"1", ""});
}

TEST_CASE("csv: blank lines") {
  Table t = read_text("a,b\n1,2\n\n3,4\n\n");
  REQUIRE(t.rows.size() == 2);
  CHECK(t.lines == std::vector<uint64_t>{2, 4});
  // One column: a blank line is a missing value.
  Table u = read_text("a\n1\n\n2\n");
  REQUIRE(u.rows.size() == 3);
  CHECK(u.rows[1][0] == "");
}

TEST_CASE("csv: empty file, header only, empty header") {
  CHECK(error_of([] { read_text(""); }) == "t.csv:line 1: empty file: a header row is required");
  CHECK(error_of([] { read_text("\xEF\xBB\xBF"); }) == "t.csv:line 1: empty file: a header row is required");
  CHECK(error_of([] { read_text("\n1\n"); }) == "t.csv:line 1: the header row is empty");
  Table t = read_text("a,b\n");
  CHECK(t.header.size() == 2);
  CHECK(t.rows.empty());
  Table u = read_text("a,b");
  CHECK(u.header == std::vector<std::string>{"a", "b"});
  CHECK(u.rows.empty());
}

TEST_CASE("csv: duplicate header names") {
  CHECK(error_of([] { read_text("a,b,a,c,b\n"); }) == "t.csv:line 1: duplicate column names: 'a', 'b'");
}

TEST_CASE("csv: ragged rows name the line") {
  CHECK(error_of([] { read_text("a,b,c\n1,2,3\n4,5\n"); }) == "t.csv:line 3: expected 3 fields, found 2");
  CHECK(error_of([] { read_text("a,b\n\"x\ny\",2\n1,2,3\n"); }) == "t.csv:line 4: expected 2 fields, found 3");
}

TEST_CASE("csv: rows before a malformed row come first, then its error") {
  // The caller binds rows 2-3 (and may find its own error there, earlier in the file) before
  // the reader reports line 4.
  std::istringstream in("a,b\n1,2\nx,3\n4\n5,6\n");
  data::CsvReader r(in, "t.csv");
  data::TextBatch b;
  REQUIRE(r.next(b));
  REQUIRE(b.rows == 2);
  CHECK(b.field(1, 0) == "x");
  CHECK(b.lines[1] == 3);
  CHECK(error_of([&] { r.next(b); }) == "t.csv:line 4: expected 2 fields, found 1");
}

TEST_CASE("csv: unterminated quote names the line where it opened") {
  CHECK(error_of([] { read_text("a,b\n1,2\n3,\"abc\n4,5\n6,7\n"); }) ==
        "t.csv:line 3: unterminated quoted field: the quote opened on line 3 is never closed");
  CHECK(error_of([] { read_text("a,b\n\"x\"y,2\n"); }) ==
        "t.csv:line 2: unexpected character 'y' after a closing quote (expected ',' or the end "
        "of the line)");
}

TEST_CASE("csv: a 1 MB field") {
  std::string big(1 << 20, 'z');
  big[12345] = ',';
  big[500000] = '\n';
  big[777777] = '"';
  std::string quoted;
  for (char c : big) {
    quoted += c;
    if (c == '"') quoted += '"';
  }
  std::string text = "a,b\n1,\"" + quoted + "\"\n2,small\n";
  for (size_t buf : {size_t{64}, size_t{1} << 22}) {
    CsvReaderOptions opt;
    opt.buffer_bytes = buf;
    Table t = read_text(text, opt);
    REQUIRE(t.rows.size() == 2);
    CHECK(t.rows[0][1] == big);
    CHECK(t.rows[1][1] == "small");
    CHECK(t.lines == std::vector<uint64_t>{2, 4});
  }
}

TEST_CASE("csv: every buffer boundary and chunk size gives the same table") {
  std::string text =
      "\xEF\xBB\xBF"
      "name,\"val\"\"ue\",note\r\n"
      "alpha,1.5,\"multi\r\nline\"\r\n"
      "\"be,ta\",-2e-3,\r\n"
      "gamma,NA,\"\"\"\"\r\n"
      ",,\r\n"
      "delta,Inf,last";
  Table want = read_text(text);
  REQUIRE(want.rows.size() == 5);
  CHECK(want.header[1] == "val\"ue");
  CHECK(want.rows[0][2] == "multi\r\nline");
  CHECK(want.rows[2][2] == "\"");
  CHECK(want.lines == std::vector<uint64_t>{2, 4, 5, 6, 7});
  for (size_t buf = 4; buf <= 80; ++buf) {
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}}) {
      for (size_t batch : {size_t{1}, size_t{2}, size_t{8192}}) {
        CAPTURE(buf);
        CAPTURE(chunk);
        CAPTURE(batch);
        ChunkedBuf sb(text, chunk);
        std::istream in(&sb);
        CsvReaderOptions opt;
        opt.buffer_bytes = buf;
        opt.batch_rows = batch;
        Table got = read_all(in, opt);
        CHECK(got.header == want.header);
        CHECK(got.rows == want.rows);
        CHECK(got.lines == want.lines);
      }
    }
  }
}

TEST_CASE("csv: reads from a pipe descriptor") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::string text = "a,b\n";
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + ",\"r" + std::to_string(i) + "\"\n";
  std::thread writer([&] {
    size_t off = 0;
    while (off < text.size()) {
      ssize_t n = write(fds[1], text.data() + off, std::min<size_t>(1000, text.size() - off));
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
  });
  CsvReaderOptions opt;
  opt.buffer_bytes = 4096;
  CsvReader reader(fds[0], "-", opt);
  TextBatch b;
  size_t n = 0;
  bool ok = true;
  while (reader.next(b))
    for (size_t r = 0; r < b.rows; ++r, ++n)
      ok = ok && b.field(r, 0) == std::to_string(n) && b.field(r, 1) == "r" + std::to_string(n) && b.lines[r] == n + 2;
  writer.join();
  close(fds[0]);
  CHECK(ok);
  CHECK(n == 20000);
}

// ---------------------------------------------------------------------------------------------
// Numbers

TEST_CASE("numbers: parse_number accepts what R and Python write") {
  double v = 0;
  CHECK((parse_number("1.5", v) && v == 1.5));
  CHECK((parse_number("  -2e-3 ", v) && v == -2e-3));
  CHECK((parse_number("+7", v) && v == 7));
  CHECK((parse_number(".5", v) && v == 0.5));
  CHECK((parse_number("Inf", v) && v == std::numeric_limits<double>::infinity()));
  CHECK((parse_number("-Inf", v) && v == -std::numeric_limits<double>::infinity()));
  CHECK((parse_number("inf", v) && std::isinf(v)));
  CHECK((parse_number("1e400", v) && std::isinf(v)));
  CHECK_FALSE(parse_number("abc", v));
  CHECK_FALSE(parse_number("1.5x", v));
  CHECK_FALSE(parse_number("1,5", v));
  CHECK_FALSE(parse_number("", v));
  CHECK_FALSE(parse_number("+-1", v));
  CHECK_FALSE(parse_number("0x10", v));
}

TEST_CASE("numbers: 17 significant digits read back exactly") {
  std::mt19937_64 rng(42);
  std::string text = "x\n";
  std::vector<double> want;
  for (int i = 0; i < 20000; ++i) {
    double d;
    do {
      d = std::bit_cast<double>(rng());
    } while (!std::isfinite(d));
    want.push_back(d);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    text += buf;
    text += '\n';
  }
  ir::Schema schema;
  schema.inputs.push_back(continuous("x"));
  std::istringstream in(text);
  CsvReader reader(in, "n.csv");
  InputBinder binder(schema, reader.header(), "n.csv", ir::UnseenLevel::Error);
  TextBatch tb;
  eval::Batch batch;
  size_t i = 0, exact = 0;
  while (reader.next(tb)) {
    binder.bind(tb, batch);
    for (size_t r = 0; r < batch.rows; ++r, ++i)
      exact += std::bit_cast<uint64_t>(batch.columns[0][r]) == std::bit_cast<uint64_t>(want[i]);
  }
  CHECK(i == want.size());
  CHECK(exact == want.size());
}

TEST_CASE("numbers: shortest output reads back bit-identically (1e6 doubles)") {
  std::mt19937_64 rng(7);
  size_t bad = 0, longer_than_17 = 0;
  char buf[kMaxNumberChars + 1];
  for (int i = 0; i < 1000000; ++i) {
    uint64_t bits = rng();
    if (i % 4 == 0) bits &= 0x800FFFFFFFFFFFFFull;  // subnormals and zeros
    double d = std::bit_cast<double>(bits);
    if (!std::isfinite(d)) continue;
    size_t n = format_number(d, buf);
    buf[n] = 0;
    double back = std::strtod(buf, nullptr);  // an independent parser
    bad += std::bit_cast<uint64_t>(back) != bits;
    // Shortest: never more significant digits than %.17g needs.
    longer_than_17 += n > 24;
  }
  CHECK(bad == 0);
  CHECK(longer_than_17 == 0);
  CHECK(format_number(3.0) == "3");
  CHECK(format_number(0.1) == "0.1");
  CHECK(format_number(-2.5e-300) == "-2.5e-300");
  CHECK(format_number(4.9406564584124654e-324) == "5e-324");
  CHECK(format_number(std::numeric_limits<double>::quiet_NaN()) == "NA");
  CHECK(format_number(std::numeric_limits<double>::infinity()) == "Inf");
  CHECK(format_number(-std::numeric_limits<double>::infinity()) == "-Inf");
}

// ---------------------------------------------------------------------------------------------
// Binder

namespace {

ir::Schema iris_like() {
  ir::Schema s;
  s.inputs.push_back(continuous("width"));
  ir::InputField sp;
  sp.name = "species";
  sp.kind = ir::FieldKind::Categorical;
  sp.levels = {"setosa", "versicolor", "virginica"};
  s.inputs.push_back(sp);
  ir::InputField size;
  size.name = "size";
  size.kind = ir::FieldKind::Ordinal;
  size.levels = {"4", "8", "16"};
  s.inputs.push_back(size);
  return s;
}

std::string bind_error(const std::string& text, ir::UnseenLevel policy = ir::UnseenLevel::Error) {
  return error_of([&] {
    ir::Schema s = iris_like();
    std::istringstream in(text);
    CsvReader reader(in, "in.csv");
    InputBinder binder(s, reader.header(), "in.csv", policy);
    TextBatch tb;
    eval::Batch b;
    while (reader.next(tb)) binder.bind(tb, b);
  });
}

}  // namespace

// Spellings of numbers and of what is no plain number, for the reader's numbers read on the way.
std::vector<std::string> number_spellings(size_t random_count) {
  std::vector<std::string> v = {"0",
                                "-0",
                                "1",
                                "-1",
                                "0.5",
                                "-0.0450910433",
                                "1.65472096",
                                "007.25",
                                "1.",
                                ".5",
                                "+1",
                                " 1",
                                "1 ",
                                "1e5",
                                "1E5",
                                "1e+5",
                                "1e-5",
                                "1.5e-07",
                                "-2.5E+10",
                                "1e0005",
                                "1e22",
                                "1e23",
                                "1e-22",
                                "1e-23",
                                "123456789012345678",
                                "1234567890123456789",
                                "12345678901234567890",
                                "9007199254740992",
                                "9007199254740993",
                                "-9007199254740993",
                                "0.9007199254740993",
                                "0.12345678901234567",
                                "123456789012345.6",
                                "1234567890123456.7",
                                "0.0000000000000000000001",
                                "1.0000000000000000000001",
                                "100000000000000000000000",
                                "NA",
                                "NaN",
                                "N/A",
                                "",
                                "Inf",
                                "-Inf",
                                "\"2.5\"",
                                "\"-0\""};
  std::mt19937_64 rng(2026);
  const char* formats[] = {"%.9g", "%.17g", "%.3f", "%.6e", "%.0f", "%.12g", "%g"};
  for (size_t i = 0; i < random_count; ++i) {
    double d;
    switch (rng() % 3) {
      case 0: d = std::normal_distribution<double>(0, 1)(rng); break;
      case 1:
        d = std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng), static_cast<int>(rng() % 140) - 70);
        break;
      default: d = static_cast<double>(static_cast<int64_t>(rng() % 2000000) - 1000000) / std::pow(10.0, rng() % 8);
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, formats[rng() % 7], d);
    v.emplace_back(buf);
  }
  return v;
}

TEST_CASE("csv: numbers read on the way are strtod's, and the binder's values do not change") {
  const std::vector<std::string> spell = number_spellings(3000);
  const size_t kOdd = spell.size() - 3000;  // the spellings before the random ones
  std::mt19937_64 rng(13);
  constexpr size_t kCols = 4;
  std::string text = "a,b,c,d\n";
  for (int r = 0; r < 6000; ++r) {
    for (size_t c = 0; c < kCols; ++c) {
      if (c) text += ',';
      // Mostly ordinary numbers, the odd spellings now and then.
      text += rng() % 4 ? spell[kOdd + rng() % (spell.size() - kOdd)] : spell[rng() % spell.size()];
    }
    text += rng() % 50 ? "\n" : "\r\n";
    if (rng() % 500 == 0) text += "\n";  // a blank line
  }
  text += "1.25,2.5,-3,4e2";  // the last row without its line end
  ir::Schema schema;
  for (const char* n : {"a", "b", "c", "d"}) schema.inputs.push_back(continuous(n));
  const std::vector<std::string> header = {"a", "b", "c", "d"};

  // What every cell binds to, read from the text alone.
  auto bind_all = [&](CsvReader& reader, bool on_the_way, size_t& read, size_t& cells) {
    InputBinder binder(schema, reader.header(), "n.csv", ir::UnseenLevel::Error);
    if (on_the_way) reader.read_numbers(binder.number_columns(reader.columns()));
    std::vector<uint64_t> bits;
    TextBatch tb;
    eval::Batch b;
    while (reader.next(tb)) {
      for (size_t c = 0; c < kCols; ++c) {
        for (size_t r = 0; r < tb.rows; ++r) {
          ++cells;
          if (!on_the_way) continue;
          REQUIRE(tb.numbers.size() == kCols);
          const double v = tb.numbers[c][r];
          if (std::isnan(v)) continue;
          ++read;
          const std::string field(tb.field(r, c));
          char* end = nullptr;
          const double want = std::strtod(field.c_str(), &end);
          CAPTURE(field);
          CHECK(end == field.c_str() + field.size());
          CHECK(std::bit_cast<uint64_t>(v) == std::bit_cast<uint64_t>(want));
        }
      }
      try {
        binder.bind(tb, b);
        for (size_t r = 0; r < tb.rows; ++r)
          for (size_t c = 0; c < kCols; ++c) bits.push_back(std::bit_cast<uint64_t>(b.columns[c][r]));
      } catch (const Error& e) {
        bits.push_back(std::hash<std::string>{}(e.what()));  // the same error, the same line
      }
    }
    return bits;
  };
  size_t read = 0, cells = 0;
  std::istringstream plain_in(text);
  CsvReaderOptions plain_opt;
  plain_opt.batch_rows = 1000;
  CsvReader plain(plain_in, "n.csv", plain_opt);
  const std::vector<uint64_t> want = bind_all(plain, false, read, cells);
  for (size_t buffer : {size_t{64}, size_t{100}, size_t{4096}, size_t{1} << 22}) {
    CAPTURE(buffer);
    CsvReaderOptions opt;
    opt.buffer_bytes = buffer;
    opt.batch_rows = 1000;
    std::istringstream in(text);
    CsvReader reader(in, "n.csv", opt);
    read = cells = 0;
    CHECK(bind_all(reader, true, read, cells) == want);
    if (buffer >= 4096) CHECK(read > cells / 2);  // most cells took the way under test
  }
  // Rows in memory (a chunk of the file), as `score` reads them.
  const size_t body = text.find('\n') + 1;
  CsvReader chunk(std::vector<char>(text.begin() + static_cast<std::ptrdiff_t>(body), text.end()), "n.csv", header, 2,
                  plain_opt);
  read = cells = 0;
  CHECK(bind_all(chunk, true, read, cells) == want);
  CHECK(read > cells / 2);
}

TEST_CASE("csv: what is no plain number is not read on the way") {
  const std::string pad = "1.5,2.5\n1.5,2.5\n1.5,2.5\n1.5,2.5\n1.5,2.5\n1.5,2.5\n1.5,2.5\n1.5,2.5\n";
  const std::vector<std::string> odd = {"-", "--1", "1e", "1e+", "abc", "1.5x", "0x10", "1..5", "1.5.", "1e5x", "1.5 "};
  std::string text = "a,b\n" + pad;
  for (const auto& t : odd) text += t + ",1.5\n";
  text += pad + pad;
  std::istringstream in(text);
  CsvReader reader(in, "n.csv");
  reader.read_numbers({true, true});
  TextBatch tb;
  REQUIRE(reader.next(tb));
  REQUIRE(tb.rows == 8 + odd.size() + 16);
  size_t read = 0;
  for (size_t r = 0; r < tb.rows; ++r) {
    CAPTURE(tb.field(r, 0));
    if (r >= 8 && r < 8 + odd.size()) CHECK(std::isnan(tb.numbers[0][r]));
    else read += tb.numbers[0][r] == 1.5;
  }
  CHECK(read > 8);
}

TEST_CASE("csv: a number read on the way keeps its line in messages") {
  std::string text = "a,b\n";
  for (int r = 0; r < 3000; ++r) text += "1.5,-2.25\n";
  text += "1.5,x\n";
  for (int r = 0; r < 10; ++r) text += "1.5,-2.25\n";
  ir::Schema schema;
  schema.inputs.push_back(continuous("a"));
  schema.inputs.push_back(continuous("b"));
  std::istringstream in(text);
  CsvReader reader(in, "n.csv");
  InputBinder binder(schema, reader.header(), "n.csv", ir::UnseenLevel::Error);
  reader.read_numbers(binder.number_columns(reader.columns()));
  TextBatch tb;
  eval::Batch b;
  std::string error;
  try {
    while (reader.next(tb)) binder.bind(tb, b);
  } catch (const Error& e) {
    error = e.what();
  }
  CHECK(error == "n.csv:line 3002: column 'b': 'x' is not a number");
}

TEST_CASE("binder: by name, extra columns ignored, codes and missing values") {
  ir::Schema s = iris_like();
  std::istringstream in(
      "extra,size,species,width\n"
      "x,8,versicolor, 1.25 \n"
      "y,NA,,-Inf\n"
      "z,16, virginica ,NaN\n"
      "w,4,N/A,3\n");
  CsvReader reader(in, "in.csv");
  InputBinder binder(s, reader.header(), "in.csv", ir::UnseenLevel::Error);
  CHECK(binder.columns() == std::vector<int>{3, 2, 1});
  TextBatch tb;
  eval::Batch b;
  REQUIRE(reader.next(tb));
  binder.bind(tb, b);
  REQUIRE(b.rows == 4);
  REQUIRE(b.columns.size() == 3);
  CHECK(b.columns[0][0] == 1.25);
  CHECK(b.columns[0][1] == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(b.columns[0][2]));
  CHECK(b.columns[0][3] == 3);
  CHECK(b.columns[1][0] == 1);
  CHECK(std::isnan(b.columns[1][1]));
  CHECK(b.columns[1][2] == 2);  // blanks around a label: matched after trimming
  CHECK(std::isnan(b.columns[1][3]));
  CHECK(b.columns[2][0] == 1);
  CHECK(std::isnan(b.columns[2][1]));
  CHECK(b.columns[2][2] == 2);
  CHECK(b.columns[2][3] == 0);
}

TEST_CASE("binder: a missing required column is named") {
  CHECK(bind_error("width,size,colour\n") ==
        "in.csv:line 1: missing column 'species' required by the model (columns present: width, "
        "size, colour)");
  CHECK(bind_error("colour\n") ==
        "in.csv:line 1: missing columns 'width', 'species', 'size' required by the model "
        "(columns present: colour)");
}

TEST_CASE("binder: unseen levels") {
  CHECK(bind_error("width,species,size\n1,setosa,4\n2,rose,4\n") ==
        "in.csv:line 3: column 'species': level 'rose' was not seen in training (known levels: "
        "setosa, versicolor, virginica)");
  // Labels match exactly as text: 4.0 is not the level 4.
  CHECK(bind_error("width,species,size\n1,setosa,4.0\n") ==
        "in.csv:line 2: column 'size': level '4.0' was not seen in training (known levels: 4, 8, "
        "16)");
  CHECK(bind_error("width,species,size\n1,Setosa,4\n", ir::UnseenLevel::Missing) == "<no error>");
  ir::Schema s = iris_like();
  std::istringstream in("width,species,size\n1,rose,32\n2,setosa,8\n");
  CsvReader reader(in, "in.csv");
  InputBinder binder(s, reader.header(), "in.csv", ir::UnseenLevel::Missing);
  TextBatch tb;
  eval::Batch b;
  REQUIRE(reader.next(tb));
  binder.bind(tb, b);
  CHECK(std::isnan(b.columns[1][0]));
  CHECK(std::isnan(b.columns[2][0]));
  CHECK(b.columns[1][1] == 0);
  CHECK(b.columns[2][1] == 1);
}

TEST_CASE("binder: a non-number names the line and column") {
  CHECK(bind_error("width,species,size\n1,setosa,4\n\"multi\nline\",setosa,4\nabc,setosa,4\n") ==
        "in.csv:line 3: column 'width': 'multi\nline' is not a number");
  CHECK(bind_error("width,species,size\n1,setosa,4\n2,setosa,4\nabc,setosa,4\n") ==
        "in.csv:line 4: column 'width': 'abc' is not a number");
  // A long field is cut in the message.
  CHECK(bind_error("width,species,size\n" + std::string(200, 'x') + ",setosa,4\n") ==
        "in.csv:line 2: column 'width': '" + std::string(80, 'x') + "... (200 bytes)' is not a number");
}

// ---------------------------------------------------------------------------------------------
// Writer

TEST_CASE("writer: quoting and numbers") {
  std::ostringstream out;
  {
    CsvWriter w(out, "o.csv", 16);  // tiny buffer: flushes mid-row
    w.field(std::string_view("plain"));
    w.field(std::string_view("a,b"));
    w.field(std::string_view("say \"hi\""));
    w.field(std::string_view(" lead"));
    w.field(std::string_view("multi\nline"));
    w.field(std::string_view(""));
    w.end_row();
    w.field(0.1);
    w.field(1e21);
    w.field(std::numeric_limits<double>::quiet_NaN());
    w.field(-std::numeric_limits<double>::infinity());
    w.field(42.0);
    w.field(std::string_view(std::string(100, 'q')));
    w.end_row();
    w.flush();
  }
  CHECK(out.str() ==
        "plain,\"a,b\",\"say \"\"hi\"\"\",\" lead\",\"multi\nline\",\n"
        "0.1,1e+21,NA,-Inf,42," +
            std::string(100, 'q') + "\n");
  // What we write, we read back.
  std::istringstream in("h1,h2,h3,h4,h5,h6\n" + out.str());
  Table t = read_all(in);
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0] == std::vector<std::string>{"plain", "a,b", "say \"hi\"", " lead", "multi\nline", ""});
}

TEST_CASE("writer: prediction tables in SPEC layout") {
  ir::Target cls;
  cls.task = ir::Task::Classification;
  cls.classes = {"no", "yes, really"};
  std::istringstream in("id,x\nr1,1\nr2,2\n");
  CsvReader reader(in, "in.csv");
  TextBatch tb;
  REQUIRE(reader.next(tb));
  eval::Predictions p;
  p.rows = 2;
  p.label = {1, -1};
  p.prob = {0.25, 0.75, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  std::ostringstream out;
  {
    CsvWriter w(out);
    PredictionWriterOptions opt;
    opt.keep = {"id"};
    PredictionWriter pw(w, cls, reader.header(), "in.csv", opt);
    pw.write_header();
    pw.write(tb, p);
    w.flush();
  }
  CHECK(out.str() ==
        "id,class,probability(no),\"probability(yes, really)\"\n"
        "r1,\"yes, really\",0.25,0.75\n"
        "r2,NA,NA,NA\n");

  ir::Target reg;
  CHECK(prediction_columns(reg, true) == std::vector<std::string>{"prediction", "link"});
  ir::Target km;
  km.task = ir::Task::Clustering;
  CHECK(prediction_columns(km, false) == std::vector<std::string>{"cluster"});

  CHECK(error_of([&] {
          CsvWriter w(out);
          PredictionWriterOptions opt;
          opt.keep = {"nope"};
          PredictionWriter pw(w, cls, reader.header(), "in.csv", opt);
        }) == "in.csv:line 1: --keep column 'nope' is not in the input (columns present: id, x)");
}

TEST_CASE("writer: regression with link, to a file descriptor") {
  char path[] = "/tmp/mb_test_csv_XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  ir::Target reg;
  eval::Predictions p;
  p.rows = 3;
  p.value = {0.5, 1.0 / 3.0, std::numeric_limits<double>::quiet_NaN()};
  p.link = {0.0, -0.6931471805599453, std::numeric_limits<double>::quiet_NaN()};
  {
    CsvWriter w(fd, path, 8);
    PredictionWriterOptions opt;
    opt.want_link = true;
    PredictionWriter pw(w, reg, {}, "in.csv", opt);
    pw.write_header();
    pw.write(TextBatch{}, p);
    w.flush();
  }
  close(fd);
  std::ifstream in(path);
  std::stringstream got;
  got << in.rdbuf();
  std::remove(path);
  CHECK(got.str() ==
        "prediction,link\n"
        "0.5,0\n"
        "0.3333333333333333,-0.6931471805599453\n"
        "NA,NA\n");
}

TEST_CASE("binder: an R logical reads as as.logical() does") {
  ir::Schema s;
  ir::InputField f;
  f.name = "flag";
  f.kind = ir::FieldKind::Categorical;
  f.levels = {"FALSE", "TRUE"};
  f.logical = true;
  s.inputs.push_back(f);
  auto codes = [&](const std::string& text) {
    std::istringstream in(text);
    CsvReader reader(in, "in.csv");
    InputBinder binder(s, reader.header(), "in.csv", ir::UnseenLevel::Error);
    TextBatch tb;
    eval::Batch b;
    REQUIRE(reader.next(tb));
    binder.bind(tb, b);
    return b.columns[0];
  };
  const auto c = codes("flag\nTRUE\nFALSE\nT\nF\ntrue\nfalse\nTrue\nFalse\n1\n0\n2\n-0.5\n0.0\nNA\n");
  const std::vector<double> want = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0};
  REQUIRE(c.size() == want.size() + 1);
  for (size_t i = 0; i < want.size(); ++i) CHECK(c[i] == want[i]);
  CHECK(std::isnan(c.back()));
  // What as.logical() makes NA is not a value: an unseen level, as for any factor.
  CHECK_THROWS_WITH_AS(codes("flag\nyes\n"), doctest::Contains("level 'yes' was not seen"), Error);
  // Without the flag (a factor whose levels are FALSE and TRUE) only the labels match.
  s.inputs[0].logical = false;
  CHECK_THROWS_AS(codes("flag\n0\n"), Error);
}
