// Lists the repository's JSON files (scenarios, profiles) for tests that must cover them all.
#pragma once
#include <dirent.h>

#include <algorithm>
#include <string>
#include <vector>

inline std::vector<std::string> json_files_in(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 5 && name.substr(name.size() - 5) == ".json") out.push_back(dir + "/" + name);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}
