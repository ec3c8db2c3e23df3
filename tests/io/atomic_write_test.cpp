// Atomic writes (focal/io/atomic_write.h) under real write failures: the temporary file of the write is a
// symbolic link to /dev/full, so the kernel answers ENOSPC exactly as a full disk does. The error names the
// target and says the disk is full, the previous file stays as it was, and no temporary file remains. The
// trainer-level test with a full tmpfs is in tests/train/fault_test.cpp.
#include <sys/stat.h>
#include <unistd.h>

#include <torch/torch.h>
// After LibTorch, whose logging header defines a CHECK macro of its own: Catch's must win.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "focal/io/atomic_write.h"
#include "focal/io/checkpoint.h"
#include "focal/io/checkpoint_writer.h"
#include "tests/io/io_test_support.h"
#include "tests/support/test_env.h"

namespace fs = std::filesystem;

namespace {

ino_t inode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_ino;
}

// Points this process's temporary name for `target` at /dev/full.
void fill_disk_for(const fs::path& target) {
  const fs::path tmp = focal::io::temporary_sibling(target);
  fs::remove(tmp);
  fs::create_symlink("/dev/full", tmp);
}

}  // namespace

TEST_CASE("checkpoint copies are hard links where the filesystem allows, else copies", "[io][atomic]") {
  const auto dir = focal::test::temp_dir("io_link_copy");
  const fs::path last = dir / "last.pth", best = dir / "best.pth", epoch = dir / "ckpt_epoch_0.pth";
  focal::test::write_file(last, "checkpoint bytes");
  focal::io::link_or_copy_file(last, best);
  CHECK(inode_of(best) == inode_of(last));
  focal::io::link_or_copy_file(last, epoch, /*allow_link=*/false);
  CHECK(inode_of(epoch) != inode_of(last));
  CHECK(focal::test::read_file(epoch) == "checkpoint bytes");
  // last.pth is replaced by a new file, never rewritten in place: the link keeps the old contents.
  focal::io::save_pickle_file(last.string(), c10::IValue(int64_t{7}));
  CHECK(focal::test::read_file(best) == "checkpoint bytes");
  CHECK(focal::io::read_pickle_file(last.string()).toInt() == 7);
  for (const auto& e : fs::directory_iterator(dir))
    CHECK(e.path().string().find(".tmp") == std::string::npos);
}

TEST_CASE("a full disk: the error names the file and says so, the old file stays, no temporary remains",
          "[io][atomic]") {
  const auto dir = focal::test::temp_dir("io_disk_full");
  const fs::path ckpt = dir / "last.pth";
  focal::io::save_pickle_file(ckpt.string(), c10::IValue(int64_t{1}));

  fill_disk_for(ckpt);
  CHECK_THROWS_WITH(focal::io::save_pickle_file(ckpt.string(), c10::IValue(torch::ones({1000}))),
                    Catch::StartsWith(ckpt.string() + ": ") && Catch::Contains("the disk is full"));
  CHECK(focal::io::read_pickle_file(ckpt.string()).toInt() == 1);
  CHECK_FALSE(fs::exists(fs::symlink_status(focal::io::temporary_sibling(ckpt))));

  // A copy that cannot be a hard link (the leftover name is taken) falls back to copying, and fails the same
  // way; so does a plain copy.
  const fs::path best = dir / "best.pth";
  focal::test::write_file(best, "previous best");
  for (bool allow_link : {true, false}) {
    fill_disk_for(best);
    CHECK_THROWS_WITH(focal::io::link_or_copy_file(ckpt, best, allow_link),
                      Catch::StartsWith(best.string() + ": ") && Catch::Contains("the disk is full"));
    CHECK(focal::test::read_file(best) == "previous best");
    CHECK_FALSE(fs::exists(fs::symlink_status(focal::io::temporary_sibling(best))));
  }

  // The run folder gone: the error says so.
  const fs::path gone = dir / "removed" / "metrics.csv";
  CHECK_THROWS_WITH(
      [&] {
        focal::io::AtomicFileWriter w(gone);
        w.commit();
      }(),
      Catch::StartsWith(gone.string() + ": ") && Catch::Contains("its folder no longer exists"));
}
