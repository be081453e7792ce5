// libFuzzer target: the parser of deparsed R code (formulas, calls: formats/r/lang/rparse),
// which reads the formulas and terms of jsonlite models, and the deparser the importers match
// term labels with.
#include "formats/r/lang/rparse.hpp"
#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MB_FUZZ_GUARD({
    mb::r::RPtr node = mb::r::parse_r_expression(fuzz_bytes(data, size), "fuzz.R", "expression");
    (void)mb::r::deparse(*node);
    (void)mb::r::to_sexpr(*node);
  });
}
