// Strict JSON field readers shared by the file loaders (plans, profiles, scenarios).
// Each throws the loader's own error type E with a one-line message naming the field.
#pragma once
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace edgeplan::jsonio {

using nlohmann::json;

template <class E>
json parse_text(const std::string& text) {
  try {
    return json::parse(text);  // rejects trailing garbage
  } catch (const json::parse_error& e) {
    std::string msg = e.what();
    for (char& c : msg)
      if (c == '\n' || c == '\r') c = ' ';
    throw E("malformed JSON: " + msg);
  }
}

template <class E>
std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw E(path + ": cannot open " + what + " file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <class E>
void only_keys(const json& j, const std::set<std::string>& allowed, const std::string& where) {
  if (!j.is_object()) throw E(where + ": must be an object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!allowed.count(it.key())) throw E(where + ": unknown field '" + it.key() + "'");
}

template <class E>
const json& field(const json& j, const char* key, const std::string& where) {
  if (!j.is_object()) throw E(where + ": must be an object");
  auto it = j.find(key);
  if (it == j.end()) throw E(where + ": missing field '" + key + "'");
  return *it;
}

template <class E>
const json& object_at(const json& j, const char* key, const std::string& where) {
  const json& v = field<E>(j, key, where);
  if (!v.is_object()) throw E(where + "." + key + ": must be an object");
  return v;
}

template <class E>
const json& array_at(const json& j, const char* key, const std::string& where) {
  const json& v = field<E>(j, key, where);
  if (!v.is_array()) throw E(where + "." + key + ": must be an array");
  return v;
}

template <class E>
std::string string_at(const json& j, const char* key, const std::string& where) {
  const json& v = field<E>(j, key, where);
  if (!v.is_string()) throw E(where + "." + key + ": must be a string");
  return v.get<std::string>();
}

template <class E>
bool bool_at(const json& j, const char* key, const std::string& where, bool fallback) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_boolean()) throw E(where + "." + key + ": must be true or false");
  return it->get<bool>();
}

// A non-negative integer no larger than `max`.
template <class E>
long long index_value(const json& v, const std::string& where, long long max) {
  if (!v.is_number_integer()) throw E(where + ": must be a non-negative integer");
  if (v.is_number_unsigned()) {
    if (v.get<unsigned long long>() > static_cast<unsigned long long>(max)) throw E(where + ": " + v.dump() + " is too large");
    return v.get<long long>();
  }
  const long long x = v.get<long long>();
  if (x < 0) throw E(where + ": must be a non-negative integer, got " + std::to_string(x));
  if (x > max) throw E(where + ": " + std::to_string(x) + " is too large");
  return x;
}

// A finite number in [lo, hi].
template <class E>
double number_value(const json& v, const std::string& where, double lo, double hi) {
  if (!v.is_number()) throw E(where + ": must be a number");
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) {
    std::ostringstream ss;
    ss << where << ": " << v.dump() << " is outside [" << lo << ", " << hi << "]";
    throw E(ss.str());
  }
  return x;
}

template <class E>
double number_at(const json& j, const char* key, const std::string& where, double lo, double hi) {
  return number_value<E>(field<E>(j, key, where), where + "." + key, lo, hi);
}

template <class E>
double number_or(const json& j, const char* key, const std::string& where, double lo, double hi, double fallback) {
  return j.contains(key) ? number_at<E>(j, key, where, lo, hi) : fallback;
}

}  // namespace edgeplan::jsonio
