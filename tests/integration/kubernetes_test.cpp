// A record file mounted from a Kubernetes ConfigMap and served with --watch: the kubelet
// updates such a volume by swapping a `..data` symlink, never by writing the file in place.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>

#include "harness.hpp"

using namespace harness;
namespace fs = std::filesystem;

namespace {

// A ConfigMap volume as the kubelet lays it out:
//   ..2026_12_04_10_00_00.000000001/records.txt   the data of one version
//   ..data -> ..2026_12_04_10_00_00.000000001      the version in service
//   records.txt -> ..data/records.txt              what the pod reads
class ConfigMapVolume {
 public:
  ConfigMapVolume(const std::string& name, const std::string& records) {
    dir_ = fs::path(temp_dir()) / name;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto version = write_version(records);
    fs::create_directory_symlink(version, dir_ / "..data");
    fs::create_symlink("..data/records.txt", dir_ / "records.txt");
    current_ = version;
  }

  std::string records_path() const { return (dir_ / "records.txt").string(); }
  fs::path current_file() const { return dir_ / current_ / "records.txt"; }

  // The kubelet's update: a new version beside the old, `..data_tmp` pointed at it and renamed
  // over `..data` in one rename(2), then the old version removed. `modified` sets the new
  // file's modification time before the swap.
  void update(const std::string& records, std::optional<fs::file_time_type> modified = {}) {
    auto version = write_version(records);
    if (modified) fs::last_write_time(dir_ / version / "records.txt", *modified);
    fs::create_directory_symlink(version, dir_ / "..data_tmp");
    fs::rename(dir_ / "..data_tmp", dir_ / "..data");
    fs::remove_all(dir_ / current_);
    current_ = version;
  }

 private:
  std::string write_version(const std::string& records) {
    auto version = "..2026_12_04_10_00_00." + std::to_string(100000000 + ++versions_);
    fs::create_directory(dir_ / version);
    std::ofstream(dir_ / version / "records.txt", std::ios::binary) << records;
    return version;
  }

  fs::path dir_;
  std::string current_;
  int versions_ = 0;
};

}  // namespace

TEST_CASE("with --watch a ConfigMap update by ..data swap is served", "[kubernetes]") {
  ConfigMapVolume volume("configmap-swap", "app.example,192.0.2.1,60\n");
  ResolverServer server(volume.records_path(), std::nullopt, {"--watch"});
  REQUIRE(text_query(server.port(), "app.example") == "app.example,192.0.2.1,60");

  volume.update("app.example,192.0.2.2,60\nnew.example,192.0.2.3,60\n");
  REQUIRE(server.process().wait_for_count("reloaded " + volume.records_path(), 1));
  CHECK(text_query(server.port(), "app.example") == "app.example,192.0.2.2,60");
  CHECK(text_query(server.port(), "new.example") == "new.example,192.0.2.3,60");

  volume.update("app.example,192.0.2.4,60\n");
  REQUIRE(server.process().wait_for_count("reloaded " + volume.records_path(), 2));
  CHECK(text_query(server.port(), "app.example") == "app.example,192.0.2.4,60");
  CHECK(text_query(server.port(), "new.example") == "new.example,NXDOMAIN,60");
}

TEST_CASE("a ConfigMap swap to a file of the same size and time is seen", "[kubernetes]") {
  // Size and modification time alone would miss this one: only the file's identity differs.
  ConfigMapVolume volume("configmap-same-stamp", "app.example,192.0.2.1,60\n");
  auto first_time = fs::last_write_time(volume.current_file());
  ResolverServer server(volume.records_path(), std::nullopt, {"--watch"});

  volume.update("app.example,192.0.2.7,60\n", first_time);
  REQUIRE(server.process().wait_for_count("reloaded " + volume.records_path(), 1));
  CHECK(text_query(server.port(), "app.example") == "app.example,192.0.2.7,60");
}

TEST_CASE("a ConfigMap swap to a bad file is refused and the old records stay", "[kubernetes]") {
  ConfigMapVolume volume("configmap-bad", "kept.example,192.0.2.1,60\n");
  ResolverServer server(volume.records_path(), std::nullopt, {"--watch"});

  volume.update("fine.example,192.0.2.2,60\nbroken..example,192.0.2.3,60\n");
  REQUIRE(server.process().wait_for_log("reload refused"));
  CHECK(server.process().log().find(volume.records_path() + ":2:8: empty label") !=
        std::string::npos);
  CHECK(text_query(server.port(), "kept.example") == "kept.example,192.0.2.1,60");
  CHECK(text_query(server.port(), "fine.example") == "fine.example,NXDOMAIN,60");

  // The volume is fixed by the next update, which the watch picks up like any other.
  volume.update("kept.example,192.0.2.5,60\n");
  REQUIRE(server.process().wait_for_count("reloaded " + volume.records_path(), 1));
  CHECK(text_query(server.port(), "kept.example") == "kept.example,192.0.2.5,60");
}
