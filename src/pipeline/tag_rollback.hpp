#pragma once
// Puts the result tags back as they were before the build unless disarmed: a build that fails or
// is interrupted after the load must not leave its image under the tags. Private to src/pipeline.

#include "context.hpp"

namespace slim::pipeline {

class TagRollback {
public:
  explicit TagRollback(Context& ctx) : m_ctx(ctx) {}
  /// When armed: every result tag that moved goes back to its image (or away); never throws.
  ~TagRollback();
  TagRollback(const TagRollback&) = delete;
  TagRollback& operator=(const TagRollback&) = delete;
  /// From now on the tags may have moved.
  void arm() noexcept { m_armed = true; }
  /// The build succeeded: the tags stay.
  void disarm() noexcept { m_armed = false; }

private:
  Context& m_ctx;
  bool m_armed = false;
};

} // namespace slim::pipeline
