// Inverse link functions, computed as R's family objects compute them (stats::make.link and
// family.c), including R's clamping near 0 and 1, so GLM predictions match predict.glm exactly.
#pragma once
#include "lib/ir/estimators.hpp"

namespace mb::eval {

double inverse_link(ir::Link link, double eta);
const char* link_name(ir::Link link);  // R's names: "identity", "logit", "1/mu^2", ...

}  // namespace mb::eval
