// Crops and pastes of plain [channels][rows][cols] buffers (messages of the replay).
#include <algorithm>
#include <stdexcept>

#include "edgeplan/runtime/part_runner.h"

namespace edgeplan {

namespace {

// Copies `region` between two buffers laid out over `src_region` and `dst_region`.
void copy_rows(const RegionData& src, RegionData& dst, const Region& region) {
  if (!src.region.rows.contains(region.rows) || !src.region.cols.contains(region.cols) ||
      !dst.region.rows.contains(region.rows) || !dst.region.cols.contains(region.cols) || src.channels != dst.channels)
    throw std::logic_error("region copy: rows " + to_string(region.rows) + " cols " + to_string(region.cols) +
                           " are not held by both buffers");
  const std::size_t width = static_cast<std::size_t>(region.cols.size());
  const std::size_t src_w = static_cast<std::size_t>(src.region.cols.size()), src_h = static_cast<std::size_t>(src.region.rows.size());
  const std::size_t dst_w = static_cast<std::size_t>(dst.region.cols.size()), dst_h = static_cast<std::size_t>(dst.region.rows.size());
  for (std::size_t c = 0; c < static_cast<std::size_t>(src.channels); ++c)
    for (int r = region.rows.begin; r < region.rows.end; ++r) {
      const float* from = src.values.data() + (c * src_h + static_cast<std::size_t>(r - src.region.rows.begin)) * src_w +
                          static_cast<std::size_t>(region.cols.begin - src.region.cols.begin);
      float* to = dst.values.data() + (c * dst_h + static_cast<std::size_t>(r - dst.region.rows.begin)) * dst_w +
                  static_cast<std::size_t>(region.cols.begin - dst.region.cols.begin);
      std::copy(from, from + width, to);
    }
}

}  // namespace

RegionData make_region_data(const Region& region, int channels) {
  RegionData d{region, channels, {}};
  d.values.assign(static_cast<std::size_t>(region.rows.size()) * static_cast<std::size_t>(region.cols.size()) *
                      static_cast<std::size_t>(channels),
                  0.0f);
  return d;
}

RegionData crop(const RegionData& from, const Region& want) {
  RegionData out = make_region_data(want, from.channels);
  copy_rows(from, out, want);
  return out;
}

void paste(RegionData& into, const RegionData& piece) { copy_rows(piece, into, piece.region); }

}  // namespace edgeplan
