// The edgeplan command line: argument handling and output formatting only.
#include <cstdio>
#include <string>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"edgeplan: split one CNN inference across heterogeneous edge devices"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "edgeplan 0.1.0");
  const edgeplan::cli::Runner runners[] = {edgeplan::cli::add_models(app), edgeplan::cli::add_verify(app),
                                           edgeplan::cli::add_plan(app), edgeplan::cli::add_simulate(app),
                                           edgeplan::cli::add_profile(app), edgeplan::cli::add_train(app),
                                           edgeplan::cli::add_bench(app),
                                           edgeplan::cli::add_replay(app), edgeplan::cli::add_replay_rank(app),
                                           edgeplan::cli::add_calibrate_network(app), edgeplan::cli::add_replay_summary(app),
                                           edgeplan::cli::add_export(app), edgeplan::cli::add_infer(app),
                                           edgeplan::cli::add_replan(app), edgeplan::cli::add_train_exits(app),
                                           edgeplan::cli::add_exit_policy(app), edgeplan::cli::add_run_exits(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::string msg = e.what();                       // one line, like every other error
    msg = msg.substr(0, msg.find('\n'));
    std::fprintf(stderr, "edgeplan: error: %s (see --help)\n", msg.c_str());
    return e.get_exit_code();
  }
  try {
    const auto all = app.get_subcommands({});
    for (std::size_t i = 0; i < all.size(); ++i)
      if (all[i]->parsed()) return runners[i]();
  } catch (const std::exception& e) {
    std::string msg = e.what();
    const auto nl = msg.find('\n');
    if (nl != std::string::npos) msg = msg.substr(0, nl);
    std::fprintf(stderr, "edgeplan: error: %s\n", msg.c_str());
    return 1;
  }
  return 0;
}
