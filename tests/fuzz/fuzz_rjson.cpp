// libFuzzer target: the rjson reader, as `modelbridge inspect FILE --from rjson` reads a file
// (formats::read_model, importer included).  See fuzz_common.hpp and README "Fuzzing".
#include "formats/registry.hpp"
#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MB_FUZZ_GUARD(mb::formats::read_model(fuzz_bytes(data, size), "fuzz.rjson", mb::formats::Format::RJson));
}
