// The planner registry: adding a planner is its own file plus one line in `table()`.
#include "edgeplan/planners/registry.h"

#include "edgeplan/learn/distredge.h"
#include "edgeplan/strategy/basic_planners.h"
#include "edgeplan/strategy/d3_planner.h"
#include "edgeplan/strategy/fused_baselines.h"
#include "edgeplan/strategy/layerwise_baselines.h"
#include "edgeplan/strategy/opt_planner.h"
#include "edgeplan/strategy/planner_spec.h"

namespace edgeplan {

namespace {

using Factory = std::unique_ptr<Planner> (*)(const std::string& spec, const std::vector<Plan>& starts);

struct Entry {
  const char* name;
  bool opt_starts_from_it;  // `opt` runs it and searches from its plan
  Factory make;
};

template <class P>
std::unique_ptr<Planner> plain(const std::string& spec, const std::vector<Plan>&) {
  auto p = std::make_unique<P>();
  if (spec != p->name()) throw Error("planner '" + p->name() + "' takes no settings (only distredge, d3 and opt do)");
  return p;
}

std::unique_ptr<Planner> distredge(const std::string& spec, const std::vector<Plan>&) {
  return DistrEdgePlanner::from_spec(spec);
}

std::unique_ptr<Planner> d3(const std::string& spec, const std::vector<Plan>&) { return D3Planner::from_spec(spec); }

std::unique_ptr<Planner> opt(const std::string& spec, const std::vector<Plan>& starts);

const std::vector<Entry>& table() {
  static const std::vector<Entry> entries = {
      {"single", true, plain<SinglePlanner>},
      {"equal", true, plain<EqualPlanner>},
      {"modnn", true, plain<ModnnPlanner>},
      {"meddnn", true, plain<MednnPlanner>},
      {"coedge", true, plain<CoedgePlanner>},
      {"deepthings", true, plain<DeepthingsPlanner>},
      {"deeperthings", true, plain<DeeperthingsPlanner>},
      {"aofl", true, plain<AoflPlanner>},
      {"neurosurgeon", true, plain<NeurosurgeonPlanner>},
      {"d3", true, d3},
      {"edge-only", true, plain<EdgeOnlyPlanner>},
      {"cloud-only", true, plain<CloudOnlyPlanner>},
      {"distredge", false, distredge},
      {"opt", false, opt},
  };
  return entries;
}

std::unique_ptr<Planner> opt(const std::string& spec, const std::vector<Plan>& starts) {
  std::vector<std::shared_ptr<const Planner>> from;
  for (const Entry& e : table())
    if (e.opt_starts_from_it) from.push_back(e.make(e.name, {}));
  return OptPlanner::from_spec(spec, std::move(from), starts);
}

const Entry& entry(const std::string& spec) {
  const std::string name = planner_base_name(spec);
  for (const Entry& e : table())
    if (name == e.name) return e;
  std::string known;
  for (const auto& n : planner_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown planner '" + name + "' (available: " + known + ")");
}

}  // namespace

const std::vector<std::string>& planner_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const Entry& e : table()) out.push_back(e.name);
    return out;
  }();
  return names;
}

std::unique_ptr<Planner> make_planner(const std::string& spec) { return entry(spec).make(spec, {}); }

std::unique_ptr<Planner> make_planner(const std::string& spec, const std::vector<Plan>& starts) {
  if (starts.empty()) return make_planner(spec);
  if (planner_base_name(spec) != "opt") throw Error("only opt takes starting plans (--start), not '" + spec + "'");
  return entry(spec).make(spec, starts);
}

}  // namespace edgeplan
