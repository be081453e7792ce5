#include "lib/eval/links.hpp"

#include <cfloat>
#include <cmath>

namespace mb::eval {

double inverse_link(ir::Link link, double eta, double power) {
  constexpr double eps = DBL_EPSILON;
  switch (link) {
    case ir::Link::Identity: return eta;
    case ir::Link::Logit: {
      // family.c logit_linkinv: exp(eta) clamped at +-30, then x / (1 + x).
      if (std::isnan(eta)) return eta;
      const double t = eta < -30 ? eps : (eta > 30 ? 1 / eps : std::exp(eta));
      return t / (1 + t);
    }
    case ir::Link::Probit: {
      if (std::isnan(eta)) return eta;
      const double thresh = 8.125890664701906;  // -qnorm(.Machine$double.eps)
      const double e = std::min(std::max(eta, -thresh), thresh);
      return 0.5 * std::erfc(-e / std::sqrt(2.0));
    }
    case ir::Link::Cloglog: {
      if (std::isnan(eta)) return eta;
      return std::max(std::min(-std::expm1(-std::exp(eta)), 1 - eps), eps);
    }
    case ir::Link::Loglog: return std::exp(-std::exp(-eta));
    case ir::Link::Cauchit: {
      if (std::isnan(eta)) return eta;
      const double thresh = 1433540284805664.8;  // -qcauchy(.Machine$double.eps)
      const double e = std::min(std::max(eta, -thresh), thresh);
      return 0.5 + std::atan(e) / M_PI;
    }
    case ir::Link::Log: return std::isnan(eta) ? eta : std::max(std::exp(eta), eps);
    case ir::Link::Inverse: return 1 / eta;
    case ir::Link::InverseSquare: return 1 / std::sqrt(eta);
    case ir::Link::Sqrt: return eta * eta;
    case ir::Link::Power: return std::pow(eta, 1 / power);
  }
  return eta;
}

const char* link_name(ir::Link link) {
  switch (link) {
    case ir::Link::Identity: return "identity";
    case ir::Link::Logit: return "logit";
    case ir::Link::Probit: return "probit";
    case ir::Link::Cloglog: return "cloglog";
    case ir::Link::Loglog: return "loglog";
    case ir::Link::Cauchit: return "cauchit";
    case ir::Link::Log: return "log";
    case ir::Link::Inverse: return "inverse";
    case ir::Link::InverseSquare: return "1/mu^2";
    case ir::Link::Sqrt: return "sqrt";
    case ir::Link::Power: return "power";
  }
  return "?";
}

}  // namespace mb::eval
