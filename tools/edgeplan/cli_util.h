// Small helpers shared by the CLI's subcommands.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "edgeplan/model/shape.h"

namespace edgeplan::cli {

inline std::optional<Shape> optional_shape(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return parse_shape(text);
}

// "a,b,,c" -> {"a", "b", "c"} (empty items dropped).
std::vector<std::string> split_commas(const std::string& text);

// Writes text to `path` atomically (temporary file + rename); throws edgeplan::Error.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace edgeplan::cli
