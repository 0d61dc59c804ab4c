// The plan loader's message after editing a valid plan ("" if it still loads); every message
// must be one line.
#pragma once
#include <functional>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "edgeplan/plan/plan.h"

inline std::string plan_error_after(const nlohmann::json& valid, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = valid;
  edit(j);
  try {
    edgeplan::parse_plan(j.dump());
  } catch (const edgeplan::PlanError& e) {
    const std::string msg = e.what();
    CHECK(msg.find('\n') == std::string::npos);
    return msg;
  }
  return "";
}
