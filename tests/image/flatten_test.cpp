#include "layer_builder.hpp"
#include "slim/image/flatten.hpp"

#include <gtest/gtest.h>

namespace slim::image {
namespace {

Entry file(std::string p, std::int64_t size, std::uint64_t off = 0) {
  return Entry{.path = std::move(p),
               .type = EntryType::regular,
               .mode = 0644,
               .size = size,
               .data = DataRef{0, off}};
}
Entry dir(std::string p) {
  return Entry{.path = std::move(p), .type = EntryType::directory, .mode = 0755};
}
Entry hardlink(std::string p, std::string target) {
  return Entry{.path = std::move(p), .type = EntryType::hardlink, .link_target = std::move(target)};
}

LayerContents layer(std::vector<Entry> entries, std::vector<Whiteout> whiteouts = {}) {
  LayerContents c;
  c.entries = std::move(entries);
  c.whiteouts = std::move(whiteouts);
  return c;
}

void apply(FileIndex& idx, LayerContents c, WasteTracker* w = nullptr) {
  auto r = apply_layer(idx, std::move(c), w);
  ASSERT_TRUE(r.ok()) << r.error();
}

TEST(Flatten, WhiteoutOfAFileAndOfADirectory) {
  FileIndex idx;
  apply(idx, layer({dir("/a"), file("/a/x", 10), dir("/d"), dir("/d/e"), file("/d/e/f", 5),
                    file("/keep", 1)}));
  apply(idx, layer({}, {{"/a/x", false}, {"/d", false}, {"/nothing", false}}));
  EXPECT_NE(idx.find("/a"), nullptr);
  EXPECT_EQ(idx.find("/a/x"), nullptr);
  EXPECT_EQ(idx.find("/d"), nullptr);
  EXPECT_EQ(idx.find("/d/e/f"), nullptr);
  EXPECT_NE(idx.find("/keep"), nullptr);
}

TEST(Flatten, WhiteoutThenRecreateInALaterLayer) {
  FileIndex idx;
  apply(idx, layer({dir("/d"), file("/d/old", 3)}));
  apply(idx, layer({}, {{"/d", false}}));
  apply(idx, layer({dir("/d"), file("/d/new", 4)}));
  EXPECT_EQ(idx.find("/d/old"), nullptr);
  ASSERT_NE(idx.find("/d/new"), nullptr);
}

TEST(Flatten, OpaqueDirectoryHidesLowerContentButKeepsItsOwn) {
  FileIndex idx;
  apply(idx, layer({dir("/o"), file("/o/lower", 7), dir("/o/sub"), file("/o/sub/deep", 1),
                    file("/other", 2)}));
  // The marker comes after this layer's own entries in tar order: they must survive.
  apply(idx, layer({dir("/o"), file("/o/upper", 3)}, {{"/o", true}}));
  EXPECT_EQ(idx.find("/o/lower"), nullptr);
  EXPECT_EQ(idx.find("/o/sub"), nullptr);
  EXPECT_EQ(idx.find("/o/sub/deep"), nullptr);
  EXPECT_NE(idx.find("/o/upper"), nullptr);
  EXPECT_NE(idx.find("/o"), nullptr);
  EXPECT_NE(idx.find("/other"), nullptr);
}

TEST(Flatten, FileReplacingADirectoryHidesItsChildren) {
  FileIndex idx;
  apply(idx, layer({dir("/p"), file("/p/child", 1)}));
  apply(idx, layer({file("/p", 9)}));
  ASSERT_NE(idx.find("/p"), nullptr);
  EXPECT_EQ(idx.find("/p")->type, EntryType::regular);
  EXPECT_EQ(idx.find("/p/child"), nullptr);
}

TEST(Flatten, HardLinksGetTheirTargetsBytesAcrossLayers) {
  FileIndex idx;
  apply(idx, layer({dir("/a"), file("/a/f", 5, 512)}));
  // Same layer and lower layer targets.
  LayerContents l2 = layer({file("/b", 3, 1024), hardlink("/c", "/b"), hardlink("/l", "/a/f")});
  for (auto& e : l2.entries) {
    e.data.layer = e.type == EntryType::regular ? 1 : 0;
  }
  apply(idx, std::move(l2));
  ASSERT_NE(idx.find("/l"), nullptr);
  EXPECT_EQ(idx.find("/l")->size, 5);
  EXPECT_EQ(idx.find("/l")->data.layer, 0u);
  EXPECT_EQ(idx.find("/l")->data.offset, 512u);
  EXPECT_EQ(idx.find("/c")->data.layer, 1u);
  EXPECT_EQ(idx.find("/c")->data.offset, 1024u);
  // Deleting the target later keeps the link's bytes reachable.
  apply(idx, layer({}, {{"/a/f", false}}));
  EXPECT_EQ(idx.find("/l")->data.offset, 512u);
  // A link to nothing is an error.
  EXPECT_FALSE(apply_layer(idx, layer({hardlink("/z", "/missing")}), nullptr).ok());
}

TEST(Flatten, WasteMatchesDivesDefinition) {
  FileIndex idx;
  WasteTracker w;
  apply(idx,
        layer({dir("/d"), file("/d/a", 100), file("/d/b", 50), file("/x", 1000), file("/y", 10)}),
        &w);
  apply(idx, layer({file("/x", 400)}), &w);   // overwritten: 1000 + 400
  apply(idx, layer({}, {{"/d", false}}), &w); // deleted dir: 150 hidden
  // paths: /d/a 100, /d/b 50, /x 1000+400, /y 10, /d (whiteout) 150
  EXPECT_EQ(w.total_bytes(), 100 + 50 + 1400 + 10 + 150);
  EXPECT_EQ(w.minimum_bytes(), 100 + 50 + 400 + 10 + 150);
  EXPECT_EQ(w.wasted_bytes(), 1400);
  EXPECT_DOUBLE_EQ(w.efficiency(), 710.0 / 1710.0);
  auto worst = w.inefficient(5);
  ASSERT_EQ(worst.size(), 1u);
  EXPECT_EQ(worst[0].first, "/x");
  EXPECT_EQ(worst[0].second.count, 2u);
  WasteTracker empty;
  EXPECT_DOUBLE_EQ(empty.efficiency(), 1.0);
}

// -- the engine's view (FlattenOptions::engine_view) --------------------------------------------

void apply_as_engine(FileIndex& idx, LayerContents c, std::int64_t implicit_mtime = 42) {
  auto r = apply_layer(idx, std::move(c), nullptr,
                       FlattenOptions{.engine_view = true, .implicit_dir_mtime = implicit_mtime});
  ASSERT_TRUE(r.ok()) << r.error();
}

TEST(FlattenEngineView, ALayerWithoutItsParentDirectoryGetsTheEnginesOne) {
  FileIndex idx;
  Entry p = dir("/p");
  p.mode = 0700;
  p.uid = 3;
  p.mtime = 1000;
  p.xattrs["user.k"] = "v";
  apply_as_engine(idx, layer({p, file("/p/a", 1)}));
  EXPECT_EQ(idx.find("/p")->mode, 0700u); // named in its own layer: its own header
  // The next layer has /p/b and /q/.wh.x but no entry for /p or /q: the engine makes them in
  // that layer (0755, root, no xattrs), and they hide the lower /p's metadata, not its files.
  apply_as_engine(idx, layer({file("/p/b", 1), file("/deep/er/f", 1)}, {{"/q/x", false}}));
  const Entry* made = idx.find("/p");
  ASSERT_NE(made, nullptr);
  EXPECT_EQ(made->type, EntryType::directory);
  EXPECT_EQ(made->mode, 0755u);
  EXPECT_EQ(made->uid, 0u);
  EXPECT_EQ(made->mtime, 42);
  EXPECT_TRUE(made->xattrs.empty());
  EXPECT_NE(idx.find("/p/a"), nullptr);
  for (const char* d : {"/q", "/deep", "/deep/er"}) {
    ASSERT_NE(idx.find(d), nullptr) << d;
    EXPECT_EQ(idx.find(d)->type, EntryType::directory) << d;
  }
  // Without the engine's view the lower header stays, and no parent is made.
  FileIndex plain;
  apply(plain, layer({p, file("/p/a", 1)}));
  apply(plain, layer({file("/p/b", 1)}));
  EXPECT_EQ(plain.find("/p")->mode, 0700u);
  apply(plain, layer({file("/deep/er/f", 1)}));
  EXPECT_EQ(plain.find("/deep"), nullptr);
}

TEST(FlattenEngineView, AnOpaqueMarkersDirectoryAndANamedParentAreNotMade) {
  FileIndex idx;
  Entry o = dir("/o");
  o.mode = 0750;
  apply_as_engine(idx, layer({o, file("/o/old", 1), file("/f", 1)}));
  apply_as_engine(idx, layer({}, {{"/o", true}}));
  EXPECT_EQ(idx.find("/o")->mode, 0755u); // the marker's directory is made by the engine
  EXPECT_EQ(idx.find("/o/old"), nullptr);
  Entry named = dir("/n");
  named.mode = 0711;
  apply_as_engine(idx, layer({file("/n/x", 1), named})); // named after its child: still named
  EXPECT_EQ(idx.find("/n")->mode, 0711u);
}

TEST(FlattenEngineView, AMadeDirectoryHidesALowerFile) {
  FileIndex idx;
  apply_as_engine(idx, layer({file("/x", 3)}));
  apply_as_engine(idx, layer({file("/x/y", 1)}));
  ASSERT_NE(idx.find("/x"), nullptr);
  EXPECT_EQ(idx.find("/x")->type, EntryType::directory);
  EXPECT_NE(idx.find("/x/y"), nullptr);
}

TEST(FlattenEngineView, AHardLinksHeaderSetsTheMetadataOfEveryName) {
  FileIndex idx;
  Entry target = file("/d/a", 5, 512);
  target.mode = 0640;
  target.uid = 5;
  target.mtime = 1700000000;
  target.xattrs["user.a"] = "1";
  Entry link = hardlink("/d/b", "/d/a");
  link.mode = 0600;
  link.uid = 7;
  link.gid = 8;
  link.mtime = 1600000000;
  link.xattrs["user.b"] = "2";
  apply_as_engine(idx, layer({dir("/d"), target, link}));
  for (const char* p : {"/d/a", "/d/b"}) {
    const Entry* e = idx.find(p);
    ASSERT_NE(e, nullptr) << p;
    EXPECT_EQ(e->mode, 0600u) << p;
    EXPECT_EQ(e->uid, 7u) << p;
    EXPECT_EQ(e->gid, 8u) << p;
    EXPECT_EQ(e->mtime, 1600000000) << p;
    EXPECT_EQ(e->xattrs.size(), 2u) << p; // added to, never removed
  }
  // The layers' own headers without the engine's view.
  FileIndex plain;
  apply(plain, layer({dir("/d"), target, link}));
  EXPECT_EQ(plain.find("/d/a")->mode, 0640u);
}

} // namespace
} // namespace slim::image
