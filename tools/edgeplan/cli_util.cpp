// Atomic file output for the CLI.
#include "cli_util.h"

#include "edgeplan/jsonio/atomic_file.h"
#include "edgeplan/model/error.h"

namespace edgeplan::cli {

void write_file_atomic(const std::string& path, const std::string& text) { jsonio::write_file_atomic<Error>(path, text); }

}  // namespace edgeplan::cli
