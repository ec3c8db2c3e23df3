// Faults provoked for real against the focal-train executable (issue 12): kill -9 at random moments and in
// the middle of a checkpoint write, a full disk (a small tmpfs in a private mount namespace), the run folder
// removed mid-run, and checkpoints of another model or with a wrong dtype. A tiny Focal model on a folder
// of 20 small images: each run takes a few seconds.
#include "focal/io/atomic_write.h"
#include "focal/io/checkpoint_writer.h"
#include "focal/io/state_dict.h"
#include "focal/zoo/model_zoo.h"
#include "tests/support/test_env.h"
#include "tests/support/tiny_configs.h"
#include "train/checkpoint/pretrained_loader.h"
#include "train/checkpoint/training_checkpoint.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

using namespace focal::train;
namespace fs = std::filesystem;

namespace {

// The tiny Focal model of the training tests on a folder of 20 images of 5 classes, 4 epochs.
std::string tiny_config() {
  focal::test::TinyFocalRun run;
  run.name = "tiny_fault_test";
  run.dataset = "folder";
  run.epochs = 4;
  return focal::test::tiny_focal_yaml(run);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A folder data set of 5 classes x 4 images, made from the fuzz seed corpus (present in every checkout).
fs::path image_folder(const fs::path& dir) {
  const fs::path corpus = fs::path(FOCAL_SOURCE_DIR) / "tests/fuzz/corpus";
  const std::vector<std::string> files = {
      "jpeg/rgb444.jpg", "jpeg/rgb420.jpg", "jpeg/rgb422.jpg", "jpeg/progressive.jpg", "jpeg/gray.jpg",
      "jpeg/q100.jpg",   "png/rgb.png",     "png/palette.png", "png/gray.png",         "png/rgba.png"};
  const fs::path root = dir / "images";
  for (int c = 0; c < 5; ++c) {
    fs::create_directories(root / ("class" + std::to_string(c)));
    for (int i = 0; i < 4; ++i) {
      const std::string& f = files[static_cast<size_t>((c * 4 + i) % files.size())];
      fs::copy_file(corpus / f,
                    root / ("class" + std::to_string(c)) /
                        ("img" + std::to_string(i) + fs::path(f).extension().string()),
                    fs::copy_options::overwrite_existing);
    }
  }
  return root;
}

struct Setup {
  fs::path dir, config, images;
  explicit Setup(const std::string& name) : dir(focal::test::temp_dir(name)) {
    config = dir / "tiny.yaml";
    std::ofstream(config) << tiny_config();
    images = image_folder(dir);
  }
  // The focal-train command line for a run under `root` (--output: the run folder is run_dir(root)),
  // with configuration overrides `opts` (KEY VALUE pairs).
  std::vector<std::string> argv(const fs::path& root, const std::vector<std::string>& opts = {}) const {
    std::vector<std::string> a = {FOCAL_TRAIN_EXE, "--cfg",    config.string(), "--data-path",
                                  images.string(), "--output", root.string()};
    if (!opts.empty()) a.emplace_back("--opts");
    a.insert(a.end(), opts.begin(), opts.end());
    return a;
  }
  static fs::path run_dir(const fs::path& root) { return root / "tiny_fault_test" / "default"; }
};

// The exit status of a child that could not take the unprivileged user `spawn` asked for.
constexpr int kNoUser = 126;

// A child process running `argv` with stdout and stderr in `log`, as user and group `as_user` (no
// supplementary groups) when given: a test run as root cannot otherwise meet a permission error.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& log, std::optional<uid_t> as_user = {}) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    if (as_user && (setgroups(0, nullptr) != 0 || setresgid(*as_user, *as_user, *as_user) != 0 ||
                    setresuid(*as_user, *as_user, *as_user) != 0)) {
      _exit(kNoUser);
    }
    std::vector<char*> args;
    for (const auto& s : argv) args.push_back(const_cast<char*>(s.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// waitpid's status as text: "exit 0", "signal 9".
std::string wait_status(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  return "signal " + std::to_string(WTERMSIG(status));
}

std::string run(const std::vector<std::string>& argv, const fs::path& log) {
  return wait_status(spawn(argv, log));
}

std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> found;
  if (!fs::exists(dir)) return found;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp") != std::string::npos) found.push_back(e.path().string());
  }
  return found;
}

// True while `pid` runs (a finished child stays a zombie until wait_status reaps it).
bool alive(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
}

// Waits until a file whose name starts with `prefix` is created or moved into `dir` (inotify), or `pid`
// ends; true when the file appeared.
bool wait_for_file(const fs::path& dir, const std::string& prefix, pid_t pid, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!fs::exists(dir)) {
    if (std::chrono::steady_clock::now() > deadline || !alive(pid)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const int fd = inotify_init1(IN_NONBLOCK);
  REQUIRE(fd >= 0);
  REQUIRE(inotify_add_watch(fd, dir.c_str(), IN_CREATE | IN_MOVED_TO) >= 0);
  alignas(inotify_event) char buffer[4096];
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const ssize_t n = poll(&p, 1, 5) > 0 ? read(fd, buffer, sizeof buffer) : 0;  // wakes at the event
    if (n <= 0) {
      if (!alive(pid)) break;
      continue;
    }
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buffer + off);
      if (ev->len > 0 && std::string(ev->name).rfind(prefix, 0) == 0) seen = true;
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
  }
  close(fd);
  return seen;
}

// Makes the checkpoint write of child `pid` (to "last.pth.tmp<pid>") go into a pipe that the test reads:
// once the first bytes of the checkpoint arrive, the child is certainly inside the write, and is killed
// there. True when that happened (false when the child ended first).
bool kill_inside_checkpoint_write(const fs::path& run_dir, pid_t pid) {
  fs::create_directories(run_dir);
  const fs::path pipe =
      run_dir / ("last.pth.tmp" + std::to_string(pid));  // io::temporary_sibling in the child
  REQUIRE(mkfifo(pipe.c_str(), 0644) == 0);
  const int fd = open(pipe.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(fd >= 0);
  char buffer[4096];
  bool inside = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!inside && alive(pid) && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5) > 0 && (p.revents & POLLIN)) inside = read(fd, buffer, sizeof buffer) > 0;
  }
  if (inside) kill(pid, SIGKILL);
  close(fd);
  return inside;
}

void require_same_run(const TrainingCheckpoint& a, const TrainingCheckpoint& b) {
  CHECK(a.epoch == b.epoch);
  CHECK(a.step == b.step);
  REQUIRE(a.model.size() == b.model.size());
  for (size_t i = 0; i < a.model.size(); ++i) {
    INFO("model " << a.model[i].first);
    CHECK(torch::equal(a.model[i].second, b.model[i].second));
  }
  REQUIRE(a.model_ema.has_value() == b.model_ema.has_value());
  if (a.model_ema) {
    for (size_t i = 0; i < a.model_ema->size(); ++i) {
      INFO("model_ema " << (*a.model_ema)[i].first);
      CHECK(torch::equal((*a.model_ema)[i].second, (*b.model_ema)[i].second));
    }
  }
  CHECK(torch::equal(a.rng_torch, b.rng_torch));
  CHECK(a.max_accuracy == b.max_accuracy);
}

}  // namespace

TEST_CASE(
    "kill -9 at random moments and during checkpoint writes: last.pth always loads and the restart "
    "ends bit-identical to an uninterrupted run",
    "[train][faults]") {
  Setup s("fault_kill");
  const fs::path ref = Setup::run_dir(s.dir / "reference"), killed = Setup::run_dir(s.dir / "killed");
  // Enough epochs that most of a run is training (start-up is a second); every kill leaves work to resume.
  const std::vector<std::string> kEpochs = {"TRAIN.EPOCHS", "10"};
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(run(s.argv(s.dir / "reference", kEpochs), s.dir / "reference.log") == "exit 0");
  const double full_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Every other kill comes in the middle of writing a checkpoint, the others at a random moment of the run
  // (seeded: the seed is printed).

  const unsigned seed = std::random_device{}();
  INFO("kill schedule seed " << seed << ", uninterrupted run " << full_s << " s");
  std::mt19937 rng(seed);
  int kills = 0, during_write = 0, finished = 0;
  bool resumed = false, last_start_resumed = false;  // a restart found a last.pth to take up
  // It goes on until there were 3 kills, one inside a write, and a restart that took up last.pth. A run that
  // finishes before that (the machine got faster than the reference run) is started again from nothing.
  for (int attempt = 0; attempt < 24 && finished == 0 && (kills < 3 || during_write == 0 || !resumed);
       ++attempt) {
    last_start_resumed = fs::exists(killed / "last.pth");
    resumed = resumed || last_start_resumed;
    const pid_t pid = spawn(s.argv(s.dir / "killed", kEpochs), s.dir / "killed.log");
    bool at_write = attempt % 2 == 0;
    if (at_write) {
      at_write = kill_inside_checkpoint_write(killed, pid);
    } else {
      std::this_thread::sleep_for(
          std::chrono::duration<double>(std::uniform_real_distribution<double>(0.1, 0.5)(rng) * full_s));
    }
    const bool killed_it = kill(pid, SIGKILL) == 0;
    const std::string status = wait_status(pid);
    if (status == "exit 0") {
      ++finished;
      if (kills < 3 || during_write == 0 || !resumed) {  // too early: start over
        REQUIRE(focal::test::run_command("rm -rf '" + (s.dir / "killed").string() + "'") == 0);
        kills = during_write = finished = 0;
        resumed = false;
      }
      continue;
    }
    REQUIRE(status == "signal 9");
    REQUIRE(killed_it);
    ++kills;
    during_write += at_write;
    // Whatever the moment, last.pth (when one exists yet) is a whole checkpoint.
    if (fs::exists(killed / "last.pth")) CHECK_NOTHROW(load_training_checkpoint(killed / "last.pth"));
  }
  UNSCOPED_INFO(kills << " kills, " << during_write << " of them inside a checkpoint write");
  CHECK(kills >= 3);
  CHECK(during_write >= 1);
  CHECK(resumed);
  if (finished == 0) {
    last_start_resumed = fs::exists(killed / "last.pth");
    REQUIRE(run(s.argv(s.dir / "killed", kEpochs), s.dir / "killed.log") == "exit 0");
  }
  // "Resuming"/"resumed": the last start took up last.pth (the log is that start's).
  if (last_start_resumed) CHECK(read_text(s.dir / "killed.log").find("esum") != std::string::npos);
  require_same_run(load_training_checkpoint(ref / "last.pth"), load_training_checkpoint(killed / "last.pth"));
  CHECK(temporaries(killed).empty());  // a restart removes what a killed write left behind
}

TEST_CASE("a full disk while saving: a clear error, the previous checkpoint intact, no temporary file",
          "[train][faults]") {
  if (focal::test::run_command("unshare -rm true 2>/dev/null") != 0) {
    FOCAL_SKIP_MISSING("unprivileged mount namespaces (unshare -rm), needed for a private tmpfs");
  }
  Setup s("fault_disk_full");
  // One epoch in an ordinary folder tells the sizes: the disk gets room for everything epoch 0 writes,
  // the temporaries of the small files of epoch 1, and half a checkpoint more.
  const fs::path probe = Setup::run_dir(s.dir / "probe");
  REQUIRE(run(s.argv(s.dir / "probe", {"TRAIN.EPOCHS", "1"}), s.dir / "probe.log") == "exit 0");
  auto pages = [](uintmax_t bytes) { return (bytes + 4095) / 4096; };
  uintmax_t used = 0, largest_small = 0;
  for (const auto& e : fs::recursive_directory_iterator(probe)) {
    if (!e.is_regular_file()) continue;
    if (e.path().filename() == "best.pth" || e.path().filename() == "ckpt_epoch_0.pth") continue;  // links
    used += pages(e.file_size());
    if (e.path().extension() != ".pth") largest_small = std::max(largest_small, pages(e.file_size()));
  }
  const uintmax_t checkpoint = pages(fs::file_size(probe / "last.pth"));
  const uintmax_t size_kib = 4 * (used + 2 * largest_small + checkpoint / 2 + 8);

  const fs::path mount = s.dir / "disk";
  fs::create_directories(mount);
  const fs::path run_dir = Setup::run_dir(mount);
  // The tmpfs lives as long as the namespace: the checks run inside it, after focal-train.
  const fs::path out = s.dir / "disk_full.log";
  std::string command = "unshare -rm sh -c 'mount -t tmpfs -o size=" + std::to_string(size_kib) + "k tmpfs " +
                        mount.string() + " && \"$0\" \"$@\" > " + out.string() +
                        " 2>&1; echo \"status $?\" >> " + out.string() + "; ls -a " + run_dir.string() +
                        " >> " + out.string() + "; cp " + (run_dir / "last.pth").string() + " " +
                        (s.dir / "last_after_full.pth").string() + "'";
  for (const auto& a : s.argv(mount, {"TRAIN.EPOCHS", "3"})) command += " '" + a + "'";
  INFO("tmpfs of " << size_kib << " KiB; " << command);
  REQUIRE(focal::test::run_command(command) == 0);
  const std::string log = read_text(out);
  INFO(log);
  CHECK(log.find("status 1") != std::string::npos);  // an error exit, not a crash
  CHECK(log.find("focal-train: error: ") != std::string::npos);
  CHECK(log.find("the disk is full") != std::string::npos);
  CHECK(log.find(run_dir.string() + "/last.pth") != std::string::npos);
  CHECK(log.find(".tmp") == std::string::npos);  // the listing of the run folder has no temporary file
  const auto previous = load_training_checkpoint(s.dir / "last_after_full.pth");
  CHECK(previous.epoch == 0);
}

TEST_CASE("the run folder removed mid-run: a clear error naming it, no crash", "[train][faults]") {
  Setup s("fault_folder_gone");
  const fs::path run_dir = Setup::run_dir(s.dir / "gone");
  const pid_t pid = spawn(s.argv(s.dir / "gone"), s.dir / "gone.log");
  const bool saw = wait_for_file(run_dir, "ckpt_epoch_0.pth", pid, 60);
  // rm, not std::filesystem::remove_all: LibTorch's shared library exports its own copy of that function,
  // which the dynamic linker may bind instead of libstdc++'s, and it crashes.
  REQUIRE(focal::test::run_command("rm -rf '" + run_dir.string() + "'") == 0);
  const std::string status = wait_status(pid);
  REQUIRE(saw);
  const std::string log = read_text(s.dir / "gone.log");
  INFO(log);
  CHECK(status == "exit 1");
  CHECK(log.find("focal-train: error: " + run_dir.string()) != std::string::npos);
  CHECK(log.find("no longer exists") != std::string::npos);
}

TEST_CASE("an unreadable image is substituted in training but left out of validation's figures",
          "[train][faults]") {
  Setup s("fault_unreadable_val");
  // The folder has no validation split, so validation reads the same 20 images plus the damaged one.
  std::ofstream(s.images / "class0" / "damaged.jpg", std::ios::binary) << "\xFF\xD8\xFF not a JPEG";
  const pid_t pid = spawn(s.argv(s.dir / "run", {"TRAIN.EPOCHS", "1", "DATA.MAX_UNREADABLE_SHARE", "0.1"}),
                          s.dir / "run.log");
  const std::string status = wait_status(pid);
  const std::string log = read_text(s.dir / "run.log");
  INFO(log);
  REQUIRE(status == "exit 0");
  CHECK(log.find("damaged.jpg") != std::string::npos);
  CHECK(log.find("(20 images, 1 unreadable)") != std::string::npos);
  CHECK(log.find("(21 images") == std::string::npos);
}

TEST_CASE("a checkpoint of another model or with a wrong dtype names the tensors and changes no weight",
          "[train][faults]") {
  Setup s("fault_wrong_ckpt");
  auto config = focal::Config::from_file(s.config.string());
  torch::manual_seed(0);
  auto model = focal::create_model_from_config(config);
  const auto before = focal::io::module_state_dict(*model);
  auto unchanged = [&] {
    const auto now = focal::io::module_state_dict(*model);
    REQUIRE(now.size() == before.size());
    for (size_t i = 0; i < now.size(); ++i) {
      INFO(now[i].first);
      CHECK(torch::equal(now[i].second, before[i].second));
    }
  };
  // Another model: none of the names match.
  focal::io::StateDict other = {{"encoder.layer.0.weight", torch::ones({3, 3})},
                                {"encoder.layer.0.bias", torch::ones({3})}};
  const fs::path other_path = s.dir / "other.pth";
  focal::io::save_state_dict(other_path.string(), other);
  CHECK_THROWS_WITH(load_pretrained(*model, other_path.string()),
                    Catch::Contains("another model") && Catch::Contains("encoder.layer.0.weight") &&
                        Catch::Contains("no weight was changed"));
  unchanged();
  // This model's tensors, one stored as integers and one reshaped: both named, nothing loaded, the
  // neighbour tables (re-initialised when their size changes) untouched too.
  auto mine = before;
  std::string int_name, shape_name;
  for (auto& [name, t] : mine) {
    if (int_name.empty() && t.dim() == 2 && name.find("weight") != std::string::npos) {
      int_name = name;
      t = t.to(torch::kLong);
    } else if (shape_name.empty() && t.dim() == 1 && name.find("norm") != std::string::npos) {
      shape_name = name;
      t = torch::zeros({t.size(0) + 1});
    } else {
      t = t + 1;  // would change the model if anything were loaded
    }
  }
  REQUIRE(!int_name.empty());
  REQUIRE(!shape_name.empty());
  const fs::path bad_path = s.dir / "bad.pth";
  focal::io::save_state_dict(bad_path.string(), mine);
  CHECK_THROWS_WITH(load_pretrained(*model, bad_path.string()),
                    Catch::Contains(int_name + ": checkpoint dtype Long vs model Float") &&
                        Catch::Contains(shape_name) && Catch::Contains("no weight was changed"));
  unchanged();
  // Resuming (strict): the same names in the error, and the weights as they were.
  CHECK_THROWS_WITH(focal::io::load_state_dict(*model, mine, /*strict=*/true, bad_path.string()),
                    Catch::Contains(int_name) && Catch::Contains(shape_name));
  unchanged();
}

// An output folder the run cannot read or write. The tests run as root, for whom permission bits mean
// nothing: focal-train then runs as the unprivileged user nobody (65534). Without root, chmod suffices
// unless the user is exempt from it (CAP_DAC_OVERRIDE), and then the test skips, saying so.
TEST_CASE("an output folder that cannot be read or written: a clear error naming it, no crash",
          "[train][faults]") {
  Setup s("fault_unwritable");
  std::optional<uid_t> as_user;
  if (::geteuid() == 0) {
    as_user = 65534;
  } else {
    const fs::path probe = s.dir / "probe";
    fs::create_directories(probe);
    fs::permissions(probe, fs::perms::none);
    const bool exempt = ::access(probe.c_str(), R_OK) == 0 || ::access(probe.c_str(), W_OK) == 0;
    fs::permissions(probe, fs::perms::owner_all);
    if (exempt) FOCAL_SKIP("this user is exempt from permission bits and is not root: cannot lock a folder");
  }
  const fs::path run_dir_of_locked = Setup::run_dir(s.dir / "locked");
  struct Case {
    std::string name;
    fs::path locked;  // the folder given its mode
    fs::perms mode;
    fs::path root;  // --output
    std::string message;
  };
  const std::vector<Case> cases = {
      {"--output folder without any permission", s.dir / "locked", fs::perms::none, s.dir / "locked",
       "output folder " + run_dir_of_locked.string() + " cannot be created: Permission denied"},
      {"run folder read-only", Setup::run_dir(s.dir / "readonly"),
       fs::perms::owner_read | fs::perms::owner_exec | fs::perms::others_read | fs::perms::others_exec,
       s.dir / "readonly",
       "output folder " + Setup::run_dir(s.dir / "readonly").string() + " is not writable"},
      {"run folder write-only (cannot be listed)", Setup::run_dir(s.dir / "writeonly"),
       fs::perms::owner_write | fs::perms::owner_exec | fs::perms::others_write | fs::perms::others_exec,
       s.dir / "writeonly",
       "output folder " + Setup::run_dir(s.dir / "writeonly").string() + " cannot be read"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    fs::create_directories(c.locked);
    fs::permissions(c.locked, c.mode);
    const fs::path log = s.dir / (c.locked.filename().string() + ".log");
    const std::string status = wait_status(spawn(s.argv(c.root), log, as_user));
    const std::string text = read_text(log);
    INFO(text);
    REQUIRE(status != "exit " + std::to_string(kNoUser));  // the user switch itself worked
    CHECK(status == "exit 1");  // an error exit, neither a crash (signal) nor a run that went ahead
    CHECK(text.find("focal-train: error: " + c.message) != std::string::npos);
    fs::permissions(c.locked, fs::perms::owner_all);
  }
}
