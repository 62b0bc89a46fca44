#include "tag_rollback.hpp"

#include <exception>

namespace slim::pipeline {

TagRollback::~TagRollback() {
  if (!m_armed) {
    return;
  }
  cancel::Shield shield; // after Ctrl-C too
  for (std::size_t i = 0; i < m_ctx.tags.size() && i < m_ctx.tags_before.size(); ++i) {
    const auto& tag = m_ctx.tags[i];
    const auto& before = m_ctx.tags_before[i];
    try {
      std::string now;
      try {
        now = m_ctx.client.inspect_image(tag).value("Id", "");
      } catch (const engine::EngineError& e) {
        if (e.status() == 404) {
          continue; // never tagged
        }
        throw;
      }
      if (before && *before == now) {
        continue;
      }
      if (before) {
        auto colon = tag.rfind(':');
        m_ctx.client.tag_image(*before, tag.substr(0, colon), tag.substr(colon + 1));
      } else {
        m_ctx.client.remove_image(tag, false);
      }
      SLIM_DEBUG("put the tag {} back as it was", tag);
    } catch (const std::exception& e) {
      SLIM_WARN("could not put the tag {} back as it was: {}", tag, e.what());
    }
  }
}

} // namespace slim::pipeline
