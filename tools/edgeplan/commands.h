// Subcommands of the edgeplan CLI: each registers its options and returns a runner.
#pragma once
#include <functional>

#include <CLI/CLI.hpp>

namespace edgeplan::cli {

// A runner returns the process exit code; it may throw edgeplan::Error (one line).
using Runner = std::function<int()>;

Runner add_models(CLI::App& app);
Runner add_verify(CLI::App& app);
Runner add_simulate(CLI::App& app);
Runner add_plan(CLI::App& app);
Runner add_profile(CLI::App& app);
Runner add_train(CLI::App& app);
Runner add_bench(CLI::App& app);
Runner add_replay(CLI::App& app);
Runner add_replay_rank(CLI::App& app);
Runner add_calibrate_network(CLI::App& app);
Runner add_replay_summary(CLI::App& app);
Runner add_export(CLI::App& app);
Runner add_infer(CLI::App& app);
Runner add_replan(CLI::App& app);
Runner add_train_exits(CLI::App& app);
Runner add_exit_policy(CLI::App& app);
Runner add_run_exits(CLI::App& app);

}  // namespace edgeplan::cli
