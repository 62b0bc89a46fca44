#pragma once
// A squarified treemap layout (Bruls, Huizing, van Wijk): rectangles whose areas are
// proportional to their weights, as close to squares as the greedy row filling gets. Pure.

#include <cstddef>
#include <vector>

namespace slim::report_html {

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
};

/// One rectangle per weight, in the order given, tiling `bounds` (weights <= 0 get empty
/// rectangles at the corner). Sorting the weights descending first gives the squarest result.
std::vector<Rect> squarify(const std::vector<double>& weights, Rect bounds);

} // namespace slim::report_html
