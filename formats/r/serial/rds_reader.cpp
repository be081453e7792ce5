// The item reader of R's serialization format (serialize.c: R_Unserialize, ReadItem).
#include "formats/r/serial/rds_reader.hpp"

#include <pthread.h>

#include <exception>
#include <utility>

#include "formats/r/serial/rds_internal.hpp"
#include "lib/util/error.hpp"
#include "lib/util/errors.hpp"

namespace mb::r {
namespace rds {
namespace {

bool is_chain(int type) { return type == kList || type == kLang || type == kClos || type == kProm || type == kDot; }

std::string type_text(int type) { return std::to_string(type); }

std::string tag_path(const std::string& tag, size_t index, bool attributes) {
  if (attributes) return "@" + tag;
  if (!tag.empty()) return "$" + tag;
  return "[[" + std::to_string(index + 1) + "]]";
}

}  // namespace

size_t Reader::add_ref(RPtr obj, bool open) {
  refs_.push_back(std::move(obj));
  open_.push_back(open ? 1 : 0);
  return refs_.size() - 1;
}

uint64_t Reader::read_length(size_t binary_size) {
  size_t at = in_.offset();
  int32_t len = in_.read_int("a vector length");
  uint64_t n;
  if (len == -1) {
    uint32_t hi = static_cast<uint32_t>(in_.read_int("the upper half of a long vector length"));
    uint32_t lo = static_cast<uint32_t>(in_.read_int("the lower half of a long vector length"));
    if (hi > 65536) in_.fail_at(at, "invalid long vector length (upper part " + std::to_string(hi) + ")");
    n = (uint64_t{hi} << 32) | lo;
  } else if (len < 0) {
    in_.fail_at(at, "invalid vector length " + std::to_string(len));
  } else {
    n = static_cast<uint64_t>(len);
  }
  if (n > in_.capacity(binary_size))
    in_.fail_at(at, "vector length " + std::to_string(n) + " exceeds what the remaining " +
                        std::to_string(in_.remaining()) +
                        " bytes of the stream can hold (truncated or corrupt stream)");
  return n;
}

RPtr Reader::read_item(RPtr* dotted_tail) {
  DepthGuard guard(*this);
  int32_t flags = in_.read_int("an item header");
  return dispatch(flags, dotted_tail);
}

RPtr Reader::dispatch(int32_t flags, RPtr* dotted_tail) {
  int type = flags & 0xFF;
  switch (type) {
    case kNilValue: return make_object(RType::Null);
    case kGlobalEnv: return make_object(RType::GlobalEnv);
    case kEmptyEnv: return make_object(RType::EmptyEnv);
    case kBaseEnv: return make_object(RType::BaseEnv);
    case kUnbound: return make_object(RType::UnboundValue);
    case kMissingArg: return make_object(RType::MissingArg);
    case kBaseNamespace: return make_object(RType::BaseNamespace);
    case kRef: return read_ref(flags);
    case kPersist: return read_string_vec_ref(RType::Persist);
    case kPackage: return read_string_vec_ref(RType::Package);
    case kNamespace: return read_string_vec_ref(RType::Namespace);
    case kAltrep: return read_altrep();
    case kSym: return read_symbol();
    case kEnv: return read_env();
    case kList:
    case kLang:
    case kClos:
    case kProm:
    case kDot: return read_chain(flags, dotted_tail);
    default: break;
  }
  RPtr obj;
  switch (type) {
    case kExtptr: {
      obj = make_object(RType::ExternalPtr);
      size_t ref = add_ref(obj, true);
      RPtr prot = read_item();
      RPtr tag = read_item();
      obj->elements = {std::move(prot), std::move(tag)};
      open_[ref] = 0;
      break;
    }
    case kWeakref:
      obj = make_object(RType::WeakRef);
      add_ref(obj, false);
      break;
    case kSpecial:
    case kBuiltin: obj = read_primitive(type); break;
    case kChar: {  // a CHARSXP where an object is expected: keep it as a one-string vector
      obj = make_object(RType::Character);
      obj->strings.push_back(read_charsxp(flags & ~kHasAttrBit));
      break;
    }
    case kLgl:
    case kInt:
    case kReal:
    case kCplx:
    case kRaw: obj = read_atomic(type); break;
    case kStr: obj = read_strings(); break;
    case kVec:
    case kExpr: obj = read_generic_vector(type); break;
    case kBcode: obj = read_bytecode(); break;
    case kObj: obj = make_object(RType::S4); break;
    case 26: in_.fail("64-bit integer vectors (type 26, R-devel format version 4) are not supported");
    default:
      in_.fail("unknown item type " + type_text(type) + " (flags " + std::to_string(flags) + "); expected an R object");
  }
  if (flags & kHasAttrBit) {
    auto attributes = read_attributes();
    if (type != kChar && type != kBcode) obj->attributes = std::move(attributes);
  }
  if (type != kChar) obj->rds_flags = flags;
  (void)kIsObjectBit;
  return obj;
}

RPtr Reader::read_ref(int32_t flags) {
  size_t at = in_.offset();
  uint32_t index = static_cast<uint32_t>(flags) >> 8;
  if (index == 0) index = static_cast<uint32_t>(in_.read_int("a reference index"));
  if (index == 0 || index > refs_.size())
    in_.fail_at(at, "reference index " + std::to_string(index) + " out of range: expected 1.." +
                        std::to_string(refs_.size()) + " (objects defined so far)");
  if (open_[index - 1]) {
    // A reference back into an object still being read (environment cycle): keep a stub.
    auto stub = make_object(refs_[index - 1]->type);
    stub->text = "<cycle>";
    stub->cycle_target = refs_[index - 1];
    return stub;
  }
  return refs_[index - 1];
}

RPtr Reader::read_symbol() {
  auto obj = make_object(RType::Symbol);
  auto name = read_charsxp_item();
  obj->text = name ? *name : "NA";
  add_ref(obj, false);
  return obj;
}

RPtr Reader::read_string_vec_ref(RType t) {
  auto obj = make_object(t);
  size_t at = in_.offset();
  if (in_.read_int("the persistent-name marker") != 0)
    in_.fail_at(at, "expected 0 before a persistent name vector (names are not supported)");
  uint64_t n = read_length(4);
  for (uint64_t i = 0; i < n; ++i) obj->strings.push_back(read_charsxp_item());
  add_ref(obj, false);
  return obj;
}

RPtr Reader::read_env() {
  auto env = make_object(RType::Environment);
  env->rds_flags = kEnv;
  env->locked = in_.read_int("the environment lock flag") != 0;
  size_t ref = add_ref(env, true);
  env->env = read_item();  // enclosure (a "<cycle>" stub when it is being read)
  RPtr frame = read_item();
  RPtr hashtab = read_item();
  size_t attr_at = in_.offset();
  RPtr attrib = read_item();
  open_[ref] = 0;
  auto take = [&](RObject& pairlist) {
    for (size_t i = 0; i < pairlist.elements.size(); ++i) {
      env->elements.push_back(std::move(pairlist.elements[i]));
      env->tags.push_back(i < pairlist.tags.size() ? std::move(pairlist.tags[i]) : std::string());
    }
  };
  if (frame->type == RType::Pairlist) take(*frame);
  if (hashtab->type == RType::List)
    for (auto& bucket : hashtab->elements)
      if (bucket && bucket->type == RType::Pairlist) take(*bucket);
  env->attributes = to_attributes(std::move(attrib), attr_at);
  return env;
}

RPtr Reader::read_primitive(int type) {
  auto obj = make_object(type == kSpecial ? RType::Special : RType::Builtin);
  size_t at = in_.offset();
  int32_t len = in_.read_int("the length of a primitive's name");
  if (len < 0 || static_cast<uint64_t>(len) > in_.remaining())
    in_.fail_at(at, "invalid length " + std::to_string(len) + " of a primitive function's name");
  obj->text = in_.read_string(static_cast<size_t>(len), "a primitive function's name");
  return obj;
}

std::optional<std::string> Reader::read_charsxp_item() {
  DepthGuard guard(*this);
  size_t at = in_.offset();
  int32_t flags = in_.read_int("a string header");
  if ((flags & 0xFF) != kChar)
    in_.fail_at(at, "expected a string (CHARSXP, type 9), found item type " + type_text(flags & 0xFF));
  return read_charsxp(flags);
}

std::optional<std::string> Reader::read_charsxp(int32_t flags) {
  size_t at = in_.offset();
  int32_t len = in_.read_int("a string length");
  std::optional<std::string> result;
  if (len < -1 || (len >= 0 && static_cast<uint64_t>(len) > in_.remaining()))
    in_.fail_at(
        at, "invalid string length " + std::to_string(len) + " (" + std::to_string(in_.remaining()) + " bytes left)");
  if (len >= 0) {
    std::string s = in_.read_string(static_cast<size_t>(len), "string contents");
    int levels = static_cast<int>(static_cast<uint32_t>(flags) >> 12);
    if (levels & kLatin1Mask) {
      s = latin1_to_utf8(s, false);
    } else if (!(levels & (kUtf8Mask | kBytesMask | kAsciiMask)) && !native_encoding_.empty()) {
      const std::string& e = native_encoding_;
      if (e == "latin1" || e == "ISO-8859-1" || e == "ISO8859-1" || e == "ISO_8859-1") s = latin1_to_utf8(s, false);
      else if (e == "CP1252" || e == "WINDOWS-1252" || e == "windows-1252") s = latin1_to_utf8(s, true);
    }
    result = std::move(s);
  }
  if (flags & kHasAttrBit) read_item();  // old streams: read and ignored, as R does
  return result;
}

RPtr Reader::read_atomic(int type) {
  RPtr obj;
  switch (type) {
    case kLgl:
    case kInt: {
      obj = make_object(type == kLgl ? RType::Logical : RType::Integer);
      uint64_t n = read_length(4);
      obj->ints.resize(n);
      in_.read_ints(obj->ints.data(), n, type == kLgl ? "logical vector elements" : "integer vector elements");
      break;
    }
    case kReal: {
      obj = make_object(RType::Double);
      uint64_t n = read_length(8);
      obj->reals.resize(n);
      in_.read_doubles(obj->reals.data(), n, "double vector elements");
      break;
    }
    case kCplx: {
      obj = make_object(RType::Complex);
      uint64_t n = read_length(16);
      obj->reals.resize(2 * n);
      in_.read_doubles(obj->reals.data(), 2 * n, "complex vector elements");
      break;
    }
    default: {
      obj = make_object(RType::Raw);
      uint64_t n = read_length(1);
      obj->bytes.resize(n);
      in_.read_raw(obj->bytes.data(), n);
    }
  }
  return obj;
}

RPtr Reader::read_strings() {
  auto obj = make_object(RType::Character);
  uint64_t n = read_length(8);  // header and length of each CHARSXP
  obj->strings.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    try {
      obj->strings.push_back(read_charsxp_item());
    } catch (Failure& f) {
      f.path.push_back("[" + std::to_string(i + 1) + "]");
      throw;
    }
  }
  return obj;
}

RPtr Reader::read_generic_vector(int type) {
  auto obj = make_object(type == kVec ? RType::List : RType::Expression);
  uint64_t n = read_length(4);
  obj->elements.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    try {
      obj->elements.push_back(read_item());
    } catch (Failure& f) {
      f.path.push_back("[[" + std::to_string(i + 1) + "]]");
      throw;
    }
  }
  return obj;
}

std::vector<std::pair<std::string, RPtr>> Reader::to_attributes(RPtr list, size_t at) {
  std::vector<std::pair<std::string, RPtr>> out;
  if (list->type == RType::Null) return out;
  if (list->type != RType::Pairlist) in_.fail_at(at, "expected a pairlist of attributes, found another object");
  out.reserve(list->elements.size());
  for (size_t i = 0; i < list->elements.size(); ++i)
    out.emplace_back(i < list->tags.size() ? std::move(list->tags[i]) : std::string(), std::move(list->elements[i]));
  return out;
}

std::vector<std::pair<std::string, RPtr>> Reader::read_attributes() {
  size_t at = in_.offset();
  DepthGuard guard(*this);
  int32_t flags = in_.read_int("an attribute list header");
  int type = flags & 0xFF;
  if (type == kNilValue) return {};
  if (type != kList) in_.fail_at(at, "expected a pairlist of attributes (type 2), found item type " + type_text(type));
  attributes_next_ = true;
  return to_attributes(dispatch(flags, nullptr), at);
}

// Pairlist-like cells (LISTSXP, LANGSXP, CLOSXP, PROMSXP, DOTSXP) are stored as
// [ATTRIB] [TAG] CAR and then the CDR as the next item.  The CDR chain is read iteratively;
// consecutive list cells are collected into one Pairlist / Language / Dots node, a closure's
// CDR is its body and a promise's CDR its code.
RPtr Reader::read_chain(int32_t flags, RPtr* dotted_tail) {
  RPtr head;
  RObject* open_list = nullptr;  // the list node that absorbs following list cells
  RPtr* pending = &head;         // where the next node goes (a closure body, a promise code)
  RPtr discarded;
  bool attribute_list = std::exchange(attributes_next_, false);
  int type = flags & 0xFF;
  while (is_chain(type)) {
    std::vector<std::pair<std::string, RPtr>> attributes;
    if (flags & kHasAttrBit) attributes = read_attributes();
    RPtr tag;
    if (flags & kHasTagBit) tag = read_item();
    std::string tag_text = tag && tag->type == RType::Symbol ? tag->text : std::string();
    size_t index = open_list ? open_list->elements.size() : 0;
    RPtr car;
    try {
      car = read_item();
    } catch (Failure& f) {
      f.path.push_back(tag_path(tag_text, index, attribute_list));
      throw;
    }
    if (type == kList || type == kLang || type == kDot) {
      if (!open_list) {
        auto node = make_object(type == kList ? RType::Pairlist : type == kLang ? RType::Language : RType::Dots);
        node->attributes = std::move(attributes);
        node->rds_flags = flags;
        open_list = node.get();
        if (pending) *pending = std::move(node);
        else discarded = std::move(node);  // dotted pair ending a list: dropped
        pending = nullptr;
      }
      open_list->elements.push_back(std::move(car));
      open_list->tags.push_back(std::move(tag_text));
    } else {
      auto node = make_object(type == kClos ? RType::Closure : RType::Promise);
      node->attributes = std::move(attributes);
      node->rds_flags = flags;
      node->env = std::move(tag);  // the closure's / unforced promise's environment
      node->elements = {std::move(car), nullptr};
      RPtr* body = &node->elements[1];
      if (pending) *pending = std::move(node);
      else discarded = std::move(node);
      pending = body;
      open_list = nullptr;
    }
    flags = in_.read_int("the next pairlist cell");
    type = flags & 0xFF;
  }
  RPtr tail;
  {
    DepthGuard guard(*this);
    tail = dispatch(flags, nullptr);
  }
  if (pending) {
    *pending = std::move(tail);
  } else if (tail->type != RType::Null && dotted_tail) {
    *dotted_tail = std::move(tail);
  }
  return head;
}

RPtr Reader::read_stream() {
  std::string_view magic = in_.raw_bytes(std::min<size_t>(2, in_.remaining()), "the format");
  if (magic == "X\n") in_.set_format(Format::Xdr);
  else if (magic == "B\n") in_.set_format(Format::Binary);
  else if (magic == "A\n") in_.set_format(Format::Ascii);
  else if (magic == "RD") in_.fail_at(0, "this is an R workspace (save()/RData) file, not a saveRDS() stream");
  else in_.fail_at(0, "not an R serialization stream: expected 'X\\n', 'B\\n' or 'A\\n' at the start");
  size_t at = in_.offset();
  version_ = in_.read_int("the format version");
  in_.read_int("the writer's R version");
  in_.read_int("the minimal reader's R version");
  if (version_ == 3 || version_ == 4) {
    size_t len_at = in_.offset();
    int32_t n = in_.read_int("the native encoding name length");
    if (n < 0 || n > 63) in_.fail_at(len_at, "invalid native encoding name length " + std::to_string(n));
    native_encoding_ = in_.read_string(static_cast<size_t>(n), "the native encoding name");
  } else if (version_ != 2) {
    in_.unsupported_at(at,
                       "unsupported serialization format version " + std::to_string(version_) + ": expected 2 or 3");
  }
  return read_item();
}

}  // namespace rds

namespace {

// Segments were collected innermost first; very deep paths keep both ends.
std::string join_path(const std::vector<std::string>& segments) {
  std::string out;
  size_t n = segments.size();
  for (size_t k = 0; k < n; ++k) {
    if (n > 40 && k == 20) {
      out += "...";
      k = n - 20;
    }
    out += segments[n - 1 - k];
  }
  return out;
}

struct Job {
  std::string_view bytes;
  const std::string* file;
  const RdsLimits* limits;
  std::string* owned;  // the bytes when the caller gives them up: freed once decompressed
  RPtr result;
  std::exception_ptr error;
};

void run(Job& job) {
  try {
    std::string stream = decompress_rds(job.bytes, *job.file, *job.limits);
    if (job.owned) std::string().swap(*job.owned);
    rds::Reader reader(stream, *job.limits);
    try {
      job.result = reader.read_stream();
    } catch (const rds::Failure& f) {
      std::string place = "byte " + std::to_string(f.offset);
      if (!f.path.empty()) place += " (object " + join_path(f.path) + ")";
      if (f.unsupported) throw Unsupported(*job.file, place, f.message);
      throw Error(*job.file, place, f.message);
    }
  } catch (...) {
    job.error = std::current_exception();
  }
}

void* run_thread(void* arg) {
  run(*static_cast<Job*>(arg));
  return nullptr;
}

RPtr read_job(std::string_view bytes, const std::string& file, const RdsLimits& limits, std::string* owned) {
  // Deeply nested objects recurse; read on a thread with a stack sized for max_depth.
  Job job{bytes, &file, &limits, owned, nullptr, nullptr};
  pthread_attr_t attr;
  bool threaded = pthread_attr_init(&attr) == 0;
  size_t stack = std::max<size_t>(size_t{64} << 20, static_cast<size_t>(limits.max_depth) * 4096);
  pthread_t thread;
  if (threaded && pthread_attr_setstacksize(&attr, stack) == 0 &&
      pthread_create(&thread, &attr, run_thread, &job) == 0) {
    pthread_join(thread, nullptr);
  } else {
    run(job);
  }
  if (threaded) pthread_attr_destroy(&attr);
  if (job.error) std::rethrow_exception(job.error);
  return job.result;
}

}  // namespace

RPtr read_rds(std::string_view bytes, const std::string& file) { return read_rds(bytes, file, RdsLimits{}); }

RPtr read_rds(std::string_view bytes, const std::string& file, const RdsLimits& limits) {
  return read_job(bytes, file, limits, nullptr);
}

RPtr read_rds(std::string&& bytes, const std::string& file) {
  std::string owned = std::move(bytes);
  return read_job(owned, file, RdsLimits{}, &owned);
}

}  // namespace mb::r
