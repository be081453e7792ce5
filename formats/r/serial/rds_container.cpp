// Decompression of the .rds container: gzip (zlib), bzip2, xz or none, chosen by magic bytes.
#include <bzlib.h>
#include <lzma.h>
#include <zlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "formats/r/serial/rds_reader.hpp"
#include "lib/util/error.hpp"

namespace mb::r {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

std::string gib_text(uint64_t n) {
  if (n % (uint64_t{1} << 30) == 0) return std::to_string(n >> 30) + " GiB";
  if (n % (uint64_t{1} << 20) == 0) return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}

// How many bytes a compressed stream may inflate to, and the limit that says so.
struct Budget {
  uint64_t bytes;
  std::string why;
};

Budget budget_of(uint64_t compressed, const RdsLimits& limits) {
  constexpr uint64_t kFloor = uint64_t{64} << 20;
  const uint64_t ratio = limits.decompression_ratio;
  const uint64_t relative = ratio != 0 && compressed > UINT64_MAX / ratio ? UINT64_MAX : compressed * ratio;
  if (std::max(kFloor, relative) < limits.max_decompressed_bytes)
    return {std::max(kFloor, relative),
            fmt::format("{} times the compressed size of {} bytes (and 64 MiB) (decompression-ratio; raise it with "
                        "MODELBRIDGE_LIMITS=decompression-ratio=N)",
                        ratio, compressed)};
  return {limits.max_decompressed_bytes,
          "the limit of " + gib_text(limits.max_decompressed_bytes) +
              " (decompressed-bytes; raise it with MODELBRIDGE_LIMITS=decompressed-bytes=N)"};
}

// Output buffer that grows in chunks and enforces the decompressed-size limit.
class Sink {
 public:
  Sink(const std::string& file, const char* what, const Budget& budget)
      : file_(file), what_(what), limit_(budget.bytes), why_(budget.why) {}
  // Makes room for at least one more chunk; returns the writable region.
  char* reserve(size_t& avail) {
    if (used_ >= limit_)
      throw Error(file_, "decompressed byte " + std::to_string(used_),
                  std::string("decompressed ") + what_ + " data exceeds " + why_);
    size_t chunk = std::clamp<size_t>(out_.size(), size_t{1} << 16, size_t{1} << 24);
    // Room reserved (the size the stream says it has): fill it before growing.
    if (out_.capacity() > used_) chunk = std::min(chunk, out_.capacity() - used_);
    uint64_t cap = std::min<uint64_t>(limit_ - used_, chunk);
    out_.resize(used_ + static_cast<size_t>(cap));
    avail = static_cast<size_t>(cap);
    return out_.data() + used_;
  }
  void commit(size_t n) { used_ += n; }
  // The expected size, when the stream tells it: reserved at once (within the limit) instead of
  // grown by doubling, which would hold the old and the new buffer at the same time.
  void expect(uint64_t bytes) {
    if (bytes > 0 && bytes < limit_) out_.reserve(static_cast<size_t>(bytes) + (size_t{1} << 16));
  }
  std::string finish() {
    out_.resize(used_);
    return std::move(out_);
  }
  size_t used() const { return used_; }

 private:
  const std::string& file_;
  const char* what_;
  uint64_t limit_;
  std::string why_;
  std::string out_;
  size_t used_ = 0;
};

[[noreturn]] void truncated(const std::string& file, const char* what, size_t consumed, size_t produced) {
  throw Error(file, "compressed byte " + std::to_string(consumed),
              std::string("truncated or corrupt ") + what + " data: expected more compressed input (" +
                  std::to_string(produced) + " bytes decompressed so far)");
}

std::string inflate_gzip(std::string_view in, const std::string& file, const Budget& limit) {
  Sink sink(file, "gzip", limit);
  // A gzip member ends with its size modulo 2^32 (a hint only: the data decides).
  if (in.size() >= 18) {
    const auto* tail = reinterpret_cast<const unsigned char*>(in.data() + in.size() - 4);
    sink.expect(uint32_t{tail[0]} | uint32_t{tail[1]} << 8 | uint32_t{tail[2]} << 16 | uint32_t{tail[3]} << 24);
  }
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) throw Error(file, "", "cannot initialise zlib");
  struct Guard {
    z_stream* z;
    ~Guard() { inflateEnd(z); }
  } guard{&zs};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  size_t fed = 0;
  for (;;) {
    // zlib counts in uInt; feed at most 1 GiB at a time.
    if (zs.avail_in == 0 && fed < in.size()) {
      size_t n = std::min<size_t>(in.size() - fed, size_t{1} << 30);
      zs.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    size_t avail = 0;
    char* out = sink.reserve(avail);
    zs.next_out = reinterpret_cast<Bytef*>(out);
    zs.avail_out = static_cast<uInt>(std::min<size_t>(avail, size_t{1} << 30));
    uInt before = zs.avail_out;
    int rc = inflate(&zs, Z_NO_FLUSH);
    sink.commit(before - zs.avail_out);
    size_t consumed = fed - zs.avail_in;
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members are one stream, as R's gzfile reads them.
      std::string_view rest = in.substr(consumed);
      if (rest.size() >= 2 && static_cast<unsigned char>(rest[0]) == 0x1f &&
          static_cast<unsigned char>(rest[1]) == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && fed == in.size()) truncated(file, "gzip", consumed, sink.used());
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      throw Error(file, "compressed byte " + std::to_string(consumed),
                  std::string("corrupt gzip data: ") + (zs.msg ? zs.msg : "inflate failed"));
  }
  return sink.finish();
}

std::string decompress_bzip2(std::string_view in, const std::string& file, const Budget& limit) {
  Sink sink(file, "bzip2", limit);
  size_t pos = 0;
  while (pos < in.size()) {
    bz_stream bz{};
    if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK) throw Error(file, "", "cannot initialise bzip2");
    struct Guard {
      bz_stream* b;
      ~Guard() { BZ2_bzDecompressEnd(b); }
    } guard{&bz};
    size_t fed = pos;
    bool ended = false;
    while (!ended) {
      if (bz.avail_in == 0 && fed < in.size()) {
        size_t n = std::min<size_t>(in.size() - fed, size_t{1} << 30);
        bz.next_in = const_cast<char*>(in.data() + fed);
        bz.avail_in = static_cast<unsigned>(n);
        fed += n;
      }
      size_t avail = 0;
      char* out = sink.reserve(avail);
      bz.next_out = out;
      bz.avail_out = static_cast<unsigned>(std::min<size_t>(avail, size_t{1} << 30));
      unsigned before = bz.avail_out;
      unsigned in_before = bz.avail_in;
      int rc = BZ2_bzDecompress(&bz);
      sink.commit(before - bz.avail_out);
      size_t consumed = fed - bz.avail_in;
      if (rc == BZ_STREAM_END) {
        ended = true;
        pos = consumed;
      } else if (rc != BZ_OK) {
        throw Error(file, "compressed byte " + std::to_string(consumed),
                    "corrupt bzip2 data (libbz2 code " + std::to_string(rc) + ")");
      } else if (bz.avail_in == 0 && fed == in.size() && before == bz.avail_out && in_before == 0) {
        truncated(file, "bzip2", consumed, sink.used());
      }
    }
    // Another concatenated bzip2 stream?  Anything else after the end is ignored.
    if (!starts_with(in.substr(pos), "BZh")) break;
  }
  return sink.finish();
}

std::string decompress_xz(std::string_view in, const std::string& file, const Budget& limit) {
  Sink sink(file, "xz", limit);
  lzma_stream xz = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
    throw Error(file, "", "cannot initialise liblzma");
  struct Guard {
    lzma_stream* x;
    ~Guard() { lzma_end(x); }
  } guard{&xz};
  xz.next_in = reinterpret_cast<const uint8_t*>(in.data());
  xz.avail_in = in.size();
  for (;;) {
    size_t avail = 0;
    char* out = sink.reserve(avail);
    xz.next_out = reinterpret_cast<uint8_t*>(out);
    xz.avail_out = avail;
    lzma_ret rc = lzma_code(&xz, xz.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
    sink.commit(avail - xz.avail_out);
    size_t consumed = in.size() - xz.avail_in;
    if (rc == LZMA_STREAM_END) break;
    if (rc == LZMA_BUF_ERROR) truncated(file, "xz", consumed, sink.used());
    if (rc != LZMA_OK)
      throw Error(file, "compressed byte " + std::to_string(consumed),
                  "corrupt xz data (liblzma code " + std::to_string(static_cast<int>(rc)) + ")");
  }
  return sink.finish();
}

}  // namespace

std::string decompress_rds(std::string_view bytes, const std::string& file, const RdsLimits& limits) {
  const Budget limit = budget_of(bytes.size(), limits);
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b)
    return inflate_gzip(bytes, file, limit);
  if (starts_with(bytes, "BZh")) return decompress_bzip2(bytes, file, limit);
  if (starts_with(bytes, std::string_view("\xFD"
                                          "7zXZ\0",
                                          6)))
    return decompress_xz(bytes, file, limit);
  if (bytes.size() > limits.max_decompressed_bytes)
    throw Error(file, "",
                "serialization stream exceeds the limit of " + gib_text(limits.max_decompressed_bytes) +
                    " (decompressed-bytes; raise it with MODELBRIDGE_LIMITS=decompressed-bytes=N)");
  return std::string(bytes);
}

bool looks_like_rds(std::string_view head) {
  auto u = [&](size_t i) { return static_cast<unsigned char>(head[i]); };
  if (head.size() >= 2 && u(0) == 0x1f && u(1) == 0x8b) return true;
  if (head.size() >= 4 && starts_with(head, "BZh") && head[3] >= '1' && head[3] <= '9') return true;
  if (starts_with(head, std::string_view("\xFD"
                                         "7zXZ\0",
                                         6)))
    return true;
  if (head.size() < 6 || head[1] != '\n') return false;
  auto plausible = [](uint32_t v) { return v >= 2 && v <= 4; };
  switch (head[0]) {
    case 'X': return plausible(u(2) << 24 | u(3) << 16 | u(4) << 8 | u(5));
    case 'B': return plausible(u(5) << 24 | u(4) << 16 | u(3) << 8 | u(2));
    case 'A': return head[2] >= '2' && head[2] <= '4' && (head[3] == '\n' || head[3] == '\r');
    default: return false;
  }
}

}  // namespace mb::r
