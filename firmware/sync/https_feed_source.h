// HttpsFeedSource: the feed's files fetched over HTTPS (HttpsClient) into a staging directory on
// the gate's own disk, from where sync_once verifies and applies them. A download cut off by the
// network is resumed with Range at the next sync; a file that failed verification is forgotten
// (deleted) so that it is fetched afresh; the manifest is always fetched afresh.
#pragma once

#include <string>
#include <string_view>

#include "firmware/feed/feed_sync.h"
#include "firmware/sync/https_client.h"

namespace gate::sync {

class HttpsFeedSource final : public feed::FeedSource {
 public:
  // `staging_dir` must exist and belong to this source alone. `client` must outlive the source.
  HttpsFeedSource(HttpsClient& client, std::string staging_dir)
      : client_(client), dir_(std::move(staging_dir)) {}

  Result<std::string> fetch(std::string_view name, std::uint64_t max_size) override;
  void forget(std::string_view name) override;

  // Deletes every file in the staging directory: after a good sync, nothing there is needed.
  Status clear();

  // Where the file `name` is staged (fetch() returns the same path).
  std::string path_of(std::string_view name) const { return dir_ + "/" + std::string(name); }

 private:
  HttpsClient& client_;
  std::string dir_;
};

}  // namespace gate::sync
