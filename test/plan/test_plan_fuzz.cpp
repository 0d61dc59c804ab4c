// Property test of the plan loader: mutated plans either load as valid plans or fail with
// a one-line PlanError; nothing crashes and no other exception escapes.
#include <random>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "edgeplan/model/zoo.h"
#include "edgeplan/plan/plan.h"
#include "edgeplan/strategy/simple_plans.h"
#include "plan_fixtures.h"

using namespace edgeplan;
using nlohmann::json;

namespace {

// Loads `text`; returns true if it loaded. Any failure must be a one-line PlanError.
bool load_or_reject(const std::string& text) {
  try {
    const Plan p = parse_plan(text);
    // What loads must be valid, and must survive a round trip unchanged.
    validate_plan(p, plan_graph(p));
    CHECK(parse_plan(plan_to_json(p)) == p);
    return true;
  } catch (const PlanError& e) {
    const std::string msg = e.what();
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(!msg.empty());
    return false;
  }
}

std::string mutate_bytes(std::string s, std::mt19937_64& rng) {
  const char alphabet[] = "{}[],:\"0123456789-.eE xtrufalsn\\";
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    const std::size_t pos = rng() % s.size();
    switch (rng() % 4) {
      case 0: s.erase(pos, 1 + rng() % 8); break;
      case 1: s.insert(pos, 1, alphabet[rng() % (sizeof alphabet - 1)]); break;
      case 2: s[pos] = alphabet[rng() % (sizeof alphabet - 1)]; break;
      default: s[pos] = static_cast<char>(rng() % 256); break;
    }
  }
  return s;
}

// Replaces one random scalar somewhere in the document with a random value.
void mutate_tree(json& j, std::mt19937_64& rng) {
  json* node = &j;
  for (int depth = 0; depth < 8; ++depth) {
    if (!(node->is_object() || node->is_array()) || node->empty()) break;
    auto it = node->begin();
    std::advance(it, static_cast<long>(rng() % node->size()));
    if (rng() % 3 == 0) break;
    node = &*it;
  }
  const json choices[] = {json(-1), json(0), json(1), json(3.5), json("d0"), json(nullptr), json::array(),
                          json::object(), json(1LL << 40), json(static_cast<long long>(rng() % 300)), json(true)};
  switch (rng() % 3) {
    case 0: *node = choices[rng() % (sizeof choices / sizeof choices[0])]; break;
    case 1:
      if (node->is_object() && !node->empty()) node->erase(node->begin());
      else if (node->is_array() && !node->empty()) node->erase(node->begin() + static_cast<long>(rng() % node->size()));
      break;
    default:
      if (node->is_array()) node->push_back(choices[rng() % 4]);
      else if (node->is_object()) (*node)["extra"] = 1;
      break;
  }
}

}  // namespace

TEST_CASE("byte-mutated plans never crash the loader", "[plan][fuzz]") {
  std::mt19937_64 rng(12345);
  const std::string base = valid_plan_text();
  int loaded = 0;
  for (int i = 0; i < 3000; ++i) loaded += load_or_reject(mutate_bytes(base, rng));
  INFO(loaded << " of 3000 byte mutations still loaded");
  CHECK(loaded < 3000);
}

TEST_CASE("structurally mutated plans never crash the loader", "[plan][fuzz]") {
  std::mt19937_64 rng(777);
  const Graph g = build_model("googlenet", Shape{3, 64, 64});
  int loaded = 0;
  for (int i = 0; i < 1500; ++i) {
    json j = json::parse(plan_to_json(make_random_plan(g, static_cast<std::uint64_t>(i) % 50)));
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) mutate_tree(j, rng);
    loaded += load_or_reject(j.dump());
  }
  INFO(loaded << " of 1500 structural mutations still loaded");
  CHECK(loaded < 1500);
}
