// Byte code (BCODESXP) of compiled closures: parsed to skip it; the first constant of the
// pool, the source expression, replaces it (as R's body() shows for a compiled closure).
#include <string>
#include <vector>

#include "formats/r/serial/rds_internal.hpp"

namespace mb::r::rds {

// A byte-code constant: a language/list cell in `cells` or an ordinary item.
struct Reader::BcNode {
  int cell = -1;
  RPtr item;
};

struct Reader::BcState {
  struct Cell {
    bool lang = false;
    std::vector<std::pair<std::string, RPtr>> attributes;
    std::string tag;
    BcNode car, cdr;
    bool visiting = false;
  };
  std::vector<Cell> cells;
  std::vector<int> reps;  // shared cells: index into `cells`, -1 until defined
  size_t budget = 0;      // nodes the conversion may create (shared cells are copied)
  bool exhausted = false;
};

RPtr Reader::read_bytecode() {
  BcState st;
  size_t at = in_.offset();
  int32_t nreps = in_.read_int("the byte code shared-cell count");
  if (nreps < 0 || static_cast<uint64_t>(nreps) > in_.capacity(4))
    in_.fail_at(at, "invalid byte code shared-cell count " + std::to_string(nreps));
  st.reps.assign(static_cast<size_t>(nreps), -1);
  BcNode first = read_bc1(st);
  if (first.cell < 0 && !first.item) return make_object(RType::Bytecode);
  st.budget = 4 * st.cells.size() + 100000;
  RPtr body = bc_to_object(st, first, 0);
  if (st.exhausted) return make_object(RType::Bytecode);
  return body;
}

Reader::BcNode Reader::read_bc1(BcState& st) {
  DepthGuard guard(*this);
  read_item();  // the code vector (an integer vector); not kept
  size_t at = in_.offset();
  int32_t n = in_.read_int("the byte code constant count");
  if (n < 0 || static_cast<uint64_t>(n) > in_.capacity(4))
    in_.fail_at(at, "invalid byte code constant count " + std::to_string(n));
  BcNode first;
  for (int32_t i = 0; i < n; ++i) {
    int32_t type = in_.read_int("a byte code constant type");
    BcNode c;
    switch (type) {
      case kBcode:
        read_bc1(st);
        c.item = make_object(RType::Bytecode);
        break;
      case kLang:
      case kList:
      case kBcRepDef:
      case kBcRepRef:
      case kAttrLang:
      case kAttrList: c = read_bc_lang(st, type); break;
      default: c.item = read_item();
    }
    if (i == 0) first = std::move(c);
  }
  return first;
}

Reader::BcNode Reader::read_bc_lang(BcState& st, int type) {
  DepthGuard guard(*this);
  BcNode first;
  int prev = -1;
  auto put = [&](BcNode node) {
    if (prev < 0) first = std::move(node);
    else st.cells[prev].cdr = std::move(node);
  };
  for (;;) {
    if (type == kBcRepRef) {
      size_t at = in_.offset();
      int32_t i = in_.read_int("a byte code shared-cell index");
      if (i < 0 || static_cast<size_t>(i) >= st.reps.size())
        in_.fail_at(at, "byte code shared-cell index " + std::to_string(i) + " out of range: expected 0.." +
                            std::to_string(static_cast<int64_t>(st.reps.size()) - 1));
      BcNode node;
      node.cell = st.reps[i];
      if (node.cell < 0) node.item = make_object(RType::Null);
      put(std::move(node));
      return first;
    }
    if (type != kBcRepDef && type != kLang && type != kList && type != kAttrLang && type != kAttrList) {
      put(BcNode{-1, read_item()});  // type was padding before an ordinary item
      return first;
    }
    int32_t pos = -1;
    if (type == kBcRepDef) {
      size_t at = in_.offset();
      pos = in_.read_int("a byte code shared-cell position");
      if (pos < 0 || static_cast<size_t>(pos) >= st.reps.size())
        in_.fail_at(at, "byte code shared-cell position " + std::to_string(pos) + " out of range");
      type = in_.read_int("a byte code cell type");
    }
    bool has_attr = type == kAttrLang || type == kAttrList;
    if (type == kAttrLang) type = kLang;
    if (type == kAttrList) type = kList;
    if (type != kLang && type != kList)
      in_.fail("expected a language or list cell (type 6 or 2) in byte code, found type " + std::to_string(type));
    int idx = static_cast<int>(st.cells.size());
    st.cells.emplace_back();
    st.cells[idx].lang = type == kLang;
    if (pos >= 0) st.reps[pos] = idx;
    if (has_attr) {
      auto attributes = read_attributes();
      st.cells[idx].attributes = std::move(attributes);
    }
    RPtr tag = read_item();
    if (tag->type == RType::Symbol) st.cells[idx].tag = tag->text;
    BcNode car = read_bc_lang(st, in_.read_int("a byte code cell type"));
    st.cells[idx].car = std::move(car);
    put(BcNode{idx, nullptr});
    prev = idx;
    type = in_.read_int("a byte code cell type");
  }
}

RPtr Reader::bc_to_object(BcState& st, const BcNode& node, int depth) {
  if (node.cell < 0) return node.item ? node.item : make_object(RType::Null);
  if (st.budget == 0 || depth > limits_.max_depth || st.cells[node.cell].visiting) {
    st.exhausted = st.exhausted || st.budget == 0 || depth > limits_.max_depth;
    return make_object(RType::Null);
  }
  --st.budget;
  auto out = make_object(st.cells[node.cell].lang ? RType::Language : RType::Pairlist);
  out->attributes = st.cells[node.cell].attributes;
  std::vector<int> marked;
  for (int idx = node.cell; idx >= 0 && !st.cells[idx].visiting; idx = st.cells[idx].cdr.cell) {
    st.cells[idx].visiting = true;
    marked.push_back(idx);
    if (st.budget == 0) {
      st.exhausted = true;
      break;
    }
    --st.budget;
    RPtr car = bc_to_object(st, st.cells[idx].car, depth + 1);
    out->elements.push_back(std::move(car));
    out->tags.push_back(st.cells[idx].tag);
  }
  for (int idx : marked) st.cells[idx].visiting = false;
  return out;
}

}  // namespace mb::r::rds
