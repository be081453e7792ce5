// stats::kmeans objects (docs/r-objects.md, "kmeans"): `$centers` (K x p, row names = the
// cluster ids, column names = the variables).  kmeans has no predict(); a new row belongs to the
// nearest centre by squared Euclidean distance, ties to the lowest id, missing when any
// variable is missing.
#include <fmt/format.h>

#include <cmath>
#include <set>

#include "formats/r/importers/access.hpp"
#include "formats/r/importers/smooth.hpp"
#include "lib/ir/builder.hpp"

namespace mb::r {

ir::Model import_kmeans(const RObject& root, const std::string& file) {
  ir::Model m;
  const RObject* centers_obj = root.get("centers");
  if (!centers_obj) throw Error(file, "$centers", "expected the cluster centres");
  const Matrix c = Member(*centers_obj, file, "$centers").matrix();
  if (centers_obj->dim().size() != 2) throw Error(file, "$centers", "expected a K x p matrix");
  if (c.rows == 0 || c.cols == 0) throw Error(file, "$centers", "no centres");
  if (c.colnames.size() != c.cols)
    throw Error(file, "$centers@dimnames", "the centres have no column names: the inputs have no names");
  std::set<std::string> seen;
  for (size_t f = 0; f < c.cols; ++f) {
    if (!seen.insert(c.colnames[f]).second)
      throw Error(file, "$centers@dimnames", fmt::format("variable '{}' appears twice", c.colnames[f]));
    ir::InputField in;
    in.name = c.colnames[f];
    m.schema.inputs.push_back(in);
    m.features.push_back({c.colnames[f], ir::Expr::input(static_cast<int32_t>(f))});
  }
  ir::Clustering cl;
  cl.k = static_cast<int32_t>(c.rows);
  cl.centers.resize(c.rows * c.cols);
  for (size_t k = 0; k < c.rows; ++k)
    for (size_t f = 0; f < c.cols; ++f) {
      cl.centers[k * c.cols + f] = c.at(k, f);
      if (!std::isfinite(c.at(k, f)))
        throw Error(file, fmt::format("$centers[{}, {}]", k + 1, f + 1), "a centre coordinate is not a finite number");
    }
  m.schema.target.task = ir::Task::Clustering;
  for (size_t k = 0; k < c.rows; ++k)
    m.schema.target.classes.push_back(c.rownames.empty() ? std::to_string(k + 1) : c.rownames[k]);
  m.estimator = std::move(cl);
  m.provenance.source_class = "kmeans";
  m.provenance.family = fmt::format("k-means ({} clusters, {} variables)", c.rows, c.cols);
  ir::validate(m, file);
  return m;
}

}  // namespace mb::r
