// Inverse link functions, computed as R's family objects compute them (stats::make.link and
// family.c), including R's clamping near 0 and 1, so GLM predictions match predict.glm exactly.
#pragma once
#include "lib/ir/estimators.hpp"

namespace mb::eval {

// `power` is Link::Power's lambda (Linear::link_power): eta^(1 / lambda), as R's eta^(1/lambda).
double inverse_link(ir::Link link, double eta, double power = 1);
const char* link_name(ir::Link link);  // R's names: "identity", "logit", "1/mu^2", ...

}  // namespace mb::eval
