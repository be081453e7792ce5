// The item writer of R's serialization format (serialize.c: R_Serialize, WriteItem).
#include "formats/r/serial/rds_writer.hpp"

#include <bzlib.h>
#include <lzma.h>
#include <zlib.h>
#include <algorithm>

#include <cstring>
#include <map>
#include <string_view>
#include <vector>

#include "formats/r/serial/sexp_codes.hpp"
#include "lib/util/error.hpp"

namespace mb::r {
namespace {

using namespace rds::codes;  // NOLINT: SEXP codes and flag bits (sexp_codes.hpp)

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (n < 0 || (n == 1 && c < 0xC2)) return false;
    for (int k = 1; k <= n; ++k)
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n + 1;
  }
  return true;
}
constexpr int32_t kMaxPackedIndex = INT32_MAX >> 8;

// R 4.2.2 as the writer's version (what R_VERSION encodes) and the minimal reader versions R
// writes for formats 2 (R 2.3.0) and 3 (R 3.5.0).
constexpr int32_t rversion(int v, int p, int s) { return v * 65536 + p * 256 + s; }

class Writer {
 public:
  explicit Writer(int version) : version_(version) {}

  std::string run(const RObject& root) {
    out_ += "X\n";
    put_int(version_);
    put_int(rversion(4, 2, 2));
    put_int(version_ == 2 ? rversion(2, 3, 0) : rversion(3, 5, 0));
    if (version_ == 3) {
      put_int(5);
      out_ += "UTF-8";
    }
    item(root);
    return std::move(out_);
  }

 private:
  void put_int(int32_t v) {
    uint32_t u = static_cast<uint32_t>(v);
    char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
                 static_cast<char>(u)};
    out_.append(b, 4);
  }
  void put_double(double d) {
    uint64_t u;
    std::memcpy(&u, &d, 8);
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(u >> (56 - 8 * i));
    out_.append(b, 8);
  }
  void put_length(size_t n) {
    if (n > static_cast<size_t>(INT32_MAX)) {
      put_int(-1);
      put_int(static_cast<int32_t>(n >> 32));
      put_int(static_cast<int32_t>(n & 0xFFFFFFFFu));
    } else {
      put_int(static_cast<int32_t>(n));
    }
  }
  void put_ref(size_t index) {
    if (index > static_cast<size_t>(kMaxPackedIndex)) {
      put_int(kRef);
      put_int(static_cast<int32_t>(index));
    } else {
      put_int(static_cast<int32_t>((index << 8) | kRef));
    }
  }
  void charsxp(const std::optional<std::string>& s) {
    if (!s) {
      put_int(kChar);
      put_int(-1);
      return;
    }
    bool ascii = true;
    for (unsigned char c : *s) ascii = ascii && c < 0x80;
    // The readers hold UTF-8; what is not valid UTF-8 was flagged "bytes" and is kept so.
    put_int(kChar | ((ascii ? kAsciiMask : valid_utf8(*s) ? kUtf8Mask : kBytesMask) << 12));
    put_int(static_cast<int32_t>(s->size()));
    out_ += *s;
  }
  void string_vec(const std::vector<std::optional<std::string>>& v) {
    put_int(0);
    put_length(v.size());
    for (auto& s : v) charsxp(s);
  }

  [[noreturn]] void fail(const std::string& message) {
    std::string p;
    for (auto& seg : path_) p += seg;
    throw Error("", p.empty() ? "the object" : "object " + p, message);
  }

  struct Seg {
    Seg(Writer& w, std::string s) : w(w) { w.path_.push_back(std::move(s)); }
    ~Seg() { w.path_.pop_back(); }
    Writer& w;
  };

  static bool has_class(const RObject& o) {
    for (auto& [k, v] : o.attributes)
      if (k == "class") return true;
    return false;
  }

  int32_t flags(int32_t type, const RObject& o, bool hasattr, bool hastag) {
    int32_t levels = 0;
    bool object = has_class(o);
    if (o.rds_flags >= 0) {
      levels = static_cast<int32_t>(static_cast<uint32_t>(o.rds_flags) >> 12);
      object = (o.rds_flags & kIsObjectBit) != 0 && hasattr;
    } else if (o.type == RType::S4) {
      levels = kS4Mask;
    }
    int32_t f = type | (levels << 12);
    if (object) f |= kIsObjectBit;
    if (hasattr) f |= kHasAttrBit;
    if (hastag) f |= kHasTagBit;
    return f;
  }

  void attributes(const RObject& o) {
    Seg s(*this, "");
    for (size_t i = 0; i < o.attributes.size(); ++i) {
      const auto& [name, value] = o.attributes[i];
      path_.back() = "@" + name;
      put_int(kList | kHasTagBit);
      symbol(name);
      item(value ? *value : null_);
    }
    put_int(kNilValue);
  }

  void symbol(const std::string& name) {
    auto it = symbols_.find(name);
    if (it != symbols_.end()) {
      put_ref(it->second);
      return;
    }
    symbols_[name] = ++refs_;
    put_int(kSym);
    charsxp(name);
  }

  // A pairlist-like chain: LISTSXP, LANGSXP, DOTSXP cells; the first cell carries the attributes.
  void chain(int32_t type, const RObject& o) {
    if (o.unparsed) fail("R code that could not be parsed cannot be written: " + o.text);
    for (size_t i = 0; i < o.elements.size(); ++i) {
      const std::string tag = i < o.tags.size() ? o.tags[i] : std::string();
      const bool hasattr = i == 0 && !o.attributes.empty();
      // Only the first cell of a call has the call's type; its argument cells are LISTSXP.
      put_int(i == 0 ? flags(type, o, hasattr, !tag.empty())
                     : (type == kLang ? kList : type) | (tag.empty() ? 0 : kHasTagBit));
      if (hasattr) attributes(o);
      if (!tag.empty()) symbol(tag);
      Seg s(*this, tag.empty() ? "[[" + std::to_string(i + 1) + "]]" : "$" + tag);
      item(o.elements[i] ? *o.elements[i] : null_);
    }
    put_int(kNilValue);
  }

  void environment(const RObject& o) {
    if (o.text == "<cycle>") {
      // The environment the stub stands for is being written (the stub lies inside it).
      const auto target = o.cycle_target.lock();
      const auto it = target ? envs_.find(target.get()) : envs_.end();
      if (it == envs_.end() || std::find(open_envs_.begin(), open_envs_.end(), it->second) == open_envs_.end())
        fail("a reference back into an environment that is not being written");
      put_ref(it->second);
      return;
    }
    auto it = envs_.find(&o);
    if (it != envs_.end()) {
      put_ref(it->second);
      return;
    }
    size_t ref = ++refs_;
    envs_[&o] = ref;
    put_int(kEnv);
    put_int(o.locked ? 1 : 0);
    open_envs_.push_back(ref);
    if (o.env) {
      Seg s(*this, "<enclosure>");
      item(*o.env);
    } else {
      put_int(kGlobalEnv);
    }
    // Frame: all bindings, unhashed.
    for (size_t i = 0; i < o.elements.size(); ++i) {
      const std::string tag = i < o.tags.size() ? o.tags[i] : std::string();
      put_int(kList | (tag.empty() ? 0 : kHasTagBit));
      if (!tag.empty()) symbol(tag);
      Seg s(*this, "$" + tag);
      item(o.elements[i] ? *o.elements[i] : null_);
    }
    put_int(kNilValue);
    put_int(kNilValue);  // no hash table
    if (o.attributes.empty()) {
      put_int(kNilValue);
    } else {
      attributes(o);
    }
    open_envs_.pop_back();
  }

  void namespace_ref(int32_t type, const RObject& o) {
    std::string key = std::to_string(type);
    for (auto& s : o.strings) key += "\x1f" + s.value_or("\x1eNA");
    auto it = persistent_.find(key);
    if (it != persistent_.end()) {
      put_ref(it->second);
      return;
    }
    persistent_[key] = ++refs_;
    put_int(type);
    string_vec(o.strings);
  }

  void closure_like(int32_t type, const RObject& o) {
    // CLOSXP: [attr] tag = environment, car = formals, cdr = body.
    // PROMSXP: [attr] [tag = environment] car = value, cdr = code.
    const bool hasattr = !o.attributes.empty();
    const bool hastag = type == kClos || (o.env && o.env->type != RType::Null);
    put_int(flags(type, o, hasattr, hastag));
    if (hasattr) attributes(o);
    if (hastag) {
      Seg s(*this, "<environment>");
      if (o.env) {
        item(*o.env);
      } else if (type == kClos && calls_routine(o)) {
        // A closure read from JSON (no environment) that calls a compiled routine by its
        // symbol, as R's family functions do: the stats namespace, where those symbols live.
        RObject ns;
        ns.type = RType::Namespace;
        ns.strings = {std::string("stats"), std::string("4.2.2")};
        namespace_ref(kNamespace, ns);
      } else {
        put_int(kGlobalEnv);
      }
    }
    const RObject& car = o.elements.size() > 0 && o.elements[0] ? *o.elements[0] : null_;
    const RObject& cdr = o.elements.size() > 1 && o.elements[1] ? *o.elements[1] : null_;
    {
      Seg s(*this, type == kClos ? "<formals>" : "<value>");
      if (type == kProm && o.elements.size() > 0 && !o.elements[0]) put_int(kUnbound);
      else item(car);
    }
    Seg s(*this, type == kClos ? "<body>" : "<code>");
    item(cdr);
  }

  // Whether code calls .Call/.External/.C/.Fortran with a C_... routine symbol.
  static bool calls_routine(const RObject& o) {
    if (o.type == RType::Language && o.elements.size() >= 2 && o.elements[0] && o.elements[1] &&
        o.elements[0]->type == RType::Symbol && o.elements[1]->type == RType::Symbol) {
      const std::string& f = o.elements[0]->text;
      if ((f == ".Call" || f == ".External" || f == ".External2" || f == ".C" || f == ".Fortran") &&
          o.elements[1]->text.rfind("C_", 0) == 0)
        return true;
    }
    for (const auto& e : o.elements)
      if (e && (e->type == RType::Language || e->type == RType::Pairlist) && calls_routine(*e)) return true;
    return false;
  }

  void item(const RObject& o) {
    if (++depth_ > 100000) fail("objects nested too deeply");
    struct Down {
      int& d;
      ~Down() { --d; }
    } down{depth_};
    switch (o.type) {
      case RType::Null: put_int(kNilValue); return;
      case RType::GlobalEnv: put_int(kGlobalEnv); return;
      case RType::BaseEnv: put_int(kBaseEnv); return;
      case RType::EmptyEnv: put_int(kEmptyEnv); return;
      case RType::BaseNamespace: put_int(kBaseNamespace); return;
      case RType::MissingArg: put_int(kMissingArg); return;
      case RType::UnboundValue: put_int(kUnbound); return;
      case RType::Symbol: symbol(o.text); return;
      case RType::Environment: environment(o); return;
      case RType::Namespace: namespace_ref(kNamespace, o); return;
      case RType::Package: namespace_ref(kPackage, o); return;
      case RType::Persist: namespace_ref(kPersist, o); return;
      case RType::Pairlist: chain(kList, o); return;
      case RType::Language:
        if (o.elements.empty())
          fail(o.unparsed ? "R code that could not be parsed cannot be written: " + o.text
                          : "a call without a function");
        chain(kLang, o);
        return;
      case RType::Dots:
        if (o.elements.empty()) {
          put_int(kNilValue);
          return;
        }
        chain(kDot, o);
        return;
      case RType::Closure: closure_like(kClos, o); return;
      case RType::Promise: closure_like(kProm, o); return;
      case RType::Bytecode: fail("byte code without its source cannot be written");
      default: break;
    }
    if (o.type == RType::ExternalPtr || o.type == RType::WeakRef) {
      if (auto it = envs_.find(&o); it != envs_.end()) {
        put_ref(it->second);
        return;
      }
      envs_[&o] = ++refs_;
    }
    const bool hasattr = !o.attributes.empty();
    switch (o.type) {
      case RType::Logical:
      case RType::Integer:
        put_int(flags(o.type == RType::Logical ? kLgl : kInt, o, hasattr, false));
        put_length(o.ints.size());
        for (int32_t v : o.ints) put_int(v);
        break;
      case RType::Double:
        put_int(flags(kReal, o, hasattr, false));
        put_length(o.reals.size());
        for (double v : o.reals) put_double(v);
        break;
      case RType::Complex:
        put_int(flags(kCplx, o, hasattr, false));
        put_length(o.reals.size() / 2);
        for (double v : o.reals) put_double(v);
        break;
      case RType::Character:
        put_int(flags(kStr, o, hasattr, false));
        put_length(o.strings.size());
        for (auto& s : o.strings) charsxp(s);
        break;
      case RType::Raw:
        put_int(flags(kRaw, o, hasattr, false));
        put_length(o.bytes.size());
        out_.append(reinterpret_cast<const char*>(o.bytes.data()), o.bytes.size());
        break;
      case RType::List:
      case RType::Expression:
        put_int(flags(o.type == RType::List ? kVec : kExpr, o, hasattr, false));
        put_length(o.elements.size());
        for (size_t i = 0; i < o.elements.size(); ++i) {
          Seg s(*this, "[[" + std::to_string(i + 1) + "]]");
          item(o.elements[i] ? *o.elements[i] : null_);
        }
        break;
      case RType::Special:
      case RType::Builtin:
        if (o.text.empty()) fail("a primitive function without its name");
        put_int(flags(o.type == RType::Special ? kSpecial : kBuiltin, o, hasattr, false));
        put_int(static_cast<int32_t>(o.text.size()));
        out_ += o.text;
        break;
      case RType::ExternalPtr:
        put_int(flags(kExtptr, o, hasattr, false));
        item(o.elements.size() > 0 && o.elements[0] ? *o.elements[0] : null_);
        item(o.elements.size() > 1 && o.elements[1] ? *o.elements[1] : null_);
        break;
      case RType::WeakRef: put_int(flags(kWeakref, o, hasattr, false)); break;
      case RType::S4: put_int(flags(kObj, o, hasattr, false)); break;
      default: fail(std::string("cannot write an R object of type ") + rtype_name(o.type));
    }
    if (hasattr) attributes(o);
  }

  int version_;
  std::string out_;
  size_t refs_ = 0;
  std::map<std::string, size_t> symbols_;
  std::map<const RObject*, size_t> envs_;
  std::map<std::string, size_t> persistent_;
  std::vector<size_t> open_envs_;
  std::vector<std::string> path_;
  int depth_ = 0;
  const RObject null_{};
};

std::string gzip(const std::string& in) {
  z_stream zs{};
  // R's gzfile(): compression level 6, gzip wrapper.
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error("", "", "cannot initialise zlib", kExitInternal);
  std::string out;
  out.resize(deflateBound(&zs, in.size()) + 64);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t n = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw Error("", "", "gzip compression failed", kExitInternal);
  out.resize(n);
  return out;
}

std::string bzip2(const std::string& in) {
  unsigned int cap = static_cast<unsigned int>(in.size() + in.size() / 100 + 600);
  std::string out(cap, '\0');
  int rc = BZ2_bzBuffToBuffCompress(out.data(), &cap, const_cast<char*>(in.data()),
                                    static_cast<unsigned int>(in.size()), 9, 0, 0);
  if (rc != BZ_OK) throw Error("", "", "bzip2 compression failed", kExitInternal);
  out.resize(cap);
  return out;
}

std::string xz(const std::string& in) {
  // R's saveRDS(compress = "xz"): xzfile(compression = 9), CRC32 check.
  std::string out(lzma_stream_buffer_bound(in.size()), '\0');
  size_t pos = 0;
  lzma_ret rc = lzma_easy_buffer_encode(9, LZMA_CHECK_CRC32, nullptr, reinterpret_cast<const uint8_t*>(in.data()),
                                        in.size(), reinterpret_cast<uint8_t*>(out.data()), &pos, out.size());
  if (rc != LZMA_OK) throw Error("", "", "xz compression failed", kExitInternal);
  out.resize(pos);
  return out;
}

}  // namespace

std::string serialize_xdr(const RObject& root, int version) {
  if (version != 2 && version != 3)
    throw Error("", "", "R serialization version " + std::to_string(version) + " is not supported: use 2 or 3");
  return Writer(version).run(root);
}

std::string write_rds(const RObject& root, const RdsWriteOptions& options) {
  std::string stream = serialize_xdr(root, options.version);
  switch (options.compression) {
    case RdsCompression::Gzip: return gzip(stream);
    case RdsCompression::Bzip2: return bzip2(stream);
    case RdsCompression::Xz: return xz(stream);
    case RdsCompression::None: return stream;
  }
  return stream;
}

bool parse_rds_compression(const std::string& name, RdsCompression& out) {
  if (name == "gzip" || name == "gz") out = RdsCompression::Gzip;
  else if (name == "bzip2" || name == "bz2") out = RdsCompression::Bzip2;
  else if (name == "xz") out = RdsCompression::Xz;
  else if (name == "none" || name == "false") out = RdsCompression::None;
  else return false;
  return true;
}

}  // namespace mb::r
