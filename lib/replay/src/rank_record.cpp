// JSON of a rank's measurements (edgeplan.replay-rank/v1), strictly read back.
#include "edgeplan/replay/rank_record.h"

#include "edgeplan/jsonio/fields.h"

namespace edgeplan {

using nlohmann::json;

namespace {

constexpr const char* kFormat = "edgeplan.replay-rank/v1";

json timings(const std::vector<MessageTiming>& v) {
  json a = json::array();
  for (const MessageTiming& m : v) a.push_back({m.message, m.start_ms, m.end_ms});
  return a;
}

double number(const json& j) {
  if (!j.is_number() || !std::isfinite(j.get<double>())) throw ReplayError("a time is not a finite number");
  return j.get<double>();
}

int integer(const json& j) {
  if (!j.is_number_integer()) throw ReplayError("an index is not an integer");
  return j.get<int>();
}

std::vector<MessageTiming> read_timings(const json& a) {
  if (!a.is_array()) throw ReplayError("message timings are not an array");
  std::vector<MessageTiming> v;
  for (const json& e : a) {
    if (!e.is_array() || e.size() != 3) throw ReplayError("a message timing is not [message, start, end]");
    v.push_back({integer(e[0]), number(e[1]), number(e[2])});
  }
  return v;
}

}  // namespace

std::string rank_record_to_json(const RankRecord& r) {
  json reps = json::array();
  for (const RepeatRecord& rep : r.repeats) {
    json tasks = json::array();
    for (const TaskTiming& t : rep.tasks) tasks.push_back({t.task, t.start_ms, t.end_ms});
    json x = {{"tasks", tasks}, {"sends", timings(rep.sends)}, {"receives", timings(rep.receives)},
              {"image_ms", rep.image_ms}, {"result_ms", rep.result_ms}, {"max_rel_error", rep.max_rel_error}};
    if (rep.head >= 0) x["exit"] = {rep.head, rep.predicted, rep.label, rep.confidence};  // head, predicted, label, confidence
    reps.push_back(x);
  }
  const json j = {{"format", kFormat}, {"rank", r.rank}, {"device", r.device}, {"host", r.host},
                  {"clock_offset_ms", r.clock_offset_ms}, {"clock_rtt_ms", r.clock_rtt_ms}, {"threads", r.threads},
                  {"core", r.core}, {"mpi_library", r.mpi_library}, {"wire_rel_error", r.wire_rel_error}, {"repeats", reps}};
  return j.dump() + "\n";
}

RankRecord parse_rank_record(const std::string& text, const std::string& path) {
  try {
    const json j = jsonio::parse_text<ReplayError>(text);
    if (!j.is_object() || j.value("format", "") != kFormat) throw ReplayError("not an " + std::string(kFormat) + " record");
    RankRecord r;
    r.rank = integer(j.at("rank"));
    r.device = j.at("device").get<std::string>();
    r.host = j.at("host").get<std::string>();
    r.clock_offset_ms = number(j.at("clock_offset_ms"));
    r.clock_rtt_ms = number(j.at("clock_rtt_ms"));
    r.threads = integer(j.at("threads"));
    r.core = integer(j.at("core"));
    r.mpi_library = j.at("mpi_library").get<std::string>();
    r.wire_rel_error = number(j.at("wire_rel_error"));
    for (const json& rep : j.at("repeats")) {
      RepeatRecord x;
      for (const json& t : rep.at("tasks")) {
        if (!t.is_array() || t.size() != 3) throw ReplayError("a task timing is not [task, start, end]");
        x.tasks.push_back({integer(t[0]), number(t[1]), number(t[2])});
      }
      x.sends = read_timings(rep.at("sends"));
      x.receives = read_timings(rep.at("receives"));
      x.image_ms = number(rep.at("image_ms"));
      x.result_ms = number(rep.at("result_ms"));
      x.max_rel_error = number(rep.at("max_rel_error"));
      if (rep.contains("exit")) {
        const json& e = rep.at("exit");
        if (!e.is_array() || e.size() != 4) throw ReplayError("an exit record is not [head, predicted, label, confidence]");
        x.head = integer(e[0]);
        x.predicted = integer(e[1]);
        x.label = integer(e[2]);
        x.confidence = number(e[3]);
      }
      r.repeats.push_back(std::move(x));
    }
    return r;
  } catch (const json::exception& e) {
    throw ReplayError(path + ": malformed rank record: " + std::string(e.what()).substr(0, 200));
  } catch (const ReplayError& e) {
    throw ReplayError(path + ": " + e.what());
  }
}

RankRecord load_rank_record(const std::string& path) {
  return parse_rank_record(jsonio::read_file<ReplayError>(path, "rank record"), path);
}

}  // namespace edgeplan
