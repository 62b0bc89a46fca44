#include "slim/report_html/treemap.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

namespace slim::report_html {

namespace {

// The worst aspect ratio of a row of `areas` laid along a side of length `side`.
double worst(const std::vector<double>& areas, double side) {
  double sum = std::accumulate(areas.begin(), areas.end(), 0.0);
  if (sum <= 0 || side <= 0) {
    return std::numeric_limits<double>::infinity();
  }
  auto [lo, hi] = std::minmax_element(areas.begin(), areas.end());
  double s2 = side * side;
  return std::max(s2 * *hi / (sum * sum), (sum * sum) / (s2 * *lo));
}

} // namespace

std::vector<Rect> squarify(const std::vector<double>& weights, Rect bounds) {
  std::vector<Rect> out(weights.size(), Rect{bounds.x, bounds.y, 0, 0});
  double total = 0;
  for (double w : weights) {
    total += std::max(0.0, w);
  }
  if (total <= 0 || bounds.w <= 0 || bounds.h <= 0) {
    return out;
  }
  double scale = bounds.w * bounds.h / total;
  Rect free = bounds;
  std::vector<std::size_t> row;
  std::vector<double> row_areas;
  auto lay_row = [&] {
    double sum = std::accumulate(row_areas.begin(), row_areas.end(), 0.0);
    bool horizontal = free.w >= free.h; // the row runs along the shorter side
    if (horizontal) {
      double width = free.h > 0 ? sum / free.h : 0;
      double y = free.y;
      for (std::size_t k = 0; k < row.size(); ++k) {
        double h = width > 0 ? row_areas[k] / width : 0;
        out[row[k]] = {free.x, y, width, h};
        y += h;
      }
      free.x += width;
      free.w -= width;
    } else {
      double height = free.w > 0 ? sum / free.w : 0;
      double x = free.x;
      for (std::size_t k = 0; k < row.size(); ++k) {
        double w = height > 0 ? row_areas[k] / height : 0;
        out[row[k]] = {x, free.y, w, height};
        x += w;
      }
      free.y += height;
      free.h -= height;
    }
    row.clear();
    row_areas.clear();
  };
  for (std::size_t i = 0; i < weights.size(); ++i) {
    double area = std::max(0.0, weights[i]) * scale;
    if (area <= 0) {
      continue;
    }
    double side = std::min(free.w, free.h);
    std::vector<double> with = row_areas;
    with.push_back(area);
    if (!row.empty() && worst(with, side) > worst(row_areas, side)) {
      lay_row();
    }
    row.push_back(i);
    row_areas.push_back(area);
  }
  if (!row.empty()) {
    lay_row();
  }
  return out;
}

} // namespace slim::report_html
