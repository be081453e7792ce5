// The SEXP type codes and flag bits of R's serialization format (serialize.c), shared by the .rds
// reader and writer.
#pragma once
#include <cstdint>

namespace mb::r::rds::codes {

// SEXP type codes (the low byte of an item's flags word) and the pseudo-SEXP codes of references.
enum SexpCode : int32_t {
  kNil = 0,
  kSym = 1,
  kList = 2,
  kClos = 3,
  kEnv = 4,
  kProm = 5,
  kLang = 6,
  kSpecial = 7,
  kBuiltin = 8,
  kChar = 9,
  kLgl = 10,
  kInt = 13,
  kReal = 14,
  kCplx = 15,
  kStr = 16,
  kDot = 17,
  kVec = 19,
  kExpr = 20,
  kBcode = 21,
  kExtptr = 22,
  kWeakref = 23,
  kRaw = 24,
  kObj = 25,
  kAltrep = 238,
  kAttrList = 239,
  kAttrLang = 240,
  kBaseEnv = 241,
  kEmptyEnv = 242,
  kBcRepRef = 243,
  kBcRepDef = 244,
  kPersist = 247,
  kPackage = 248,
  kNamespace = 249,
  kBaseNamespace = 250,
  kMissingArg = 251,
  kUnbound = 252,
  kGlobalEnv = 253,
  kNilValue = 254,
  kRef = 255,
};

// Bits of an item's flags word above the type code.
constexpr int32_t kIsObjectBit = 1 << 8;
constexpr int32_t kHasAttrBit = 1 << 9;
constexpr int32_t kHasTagBit = 1 << 10;
// The levels bits (gp field, bits 12 and up of the flags word, shifted down): a CHARSXP's encoding,
// an S4 object's mark.
constexpr int32_t kBytesMask = 1 << 1, kLatin1Mask = 1 << 2, kUtf8Mask = 1 << 3, kS4Mask = 1 << 4, kAsciiMask = 1 << 6;

}  // namespace mb::r::rds::codes

namespace mb::r::rds {
using namespace codes;  // NOLINT: the reader's internals name the codes unqualified
}  // namespace mb::r::rds
