#include "sim/soak/rider_pools.h"

namespace gate::sim::soak {

Pools build_pools(const PopulateOptions& population) {
  Pools pools;
  IdentityRecords records;
  for (std::size_t i = 0; i < population.identities; ++i) {
    generate_identity(population, i, records);
    for (const core::Binding& b : records.bindings) {
      bool denied = false;
      for (const core::DenyEntry& d : records.denies)
        denied = denied || d.credential == b.credential;
      Rider rider{b.credential, b.media, std::nullopt};
      if (records.health) rider.test = records.health->last_negative_test;
      const bool code = b.media == core::Media::qr;
      if (denied || b.status == core::BindingStatus::blocked) {
        if (!code) pools.blocked.push_back(rider);
        continue;
      }
      if (b.status == core::BindingStatus::lost) {
        if (!code) pools.lost.push_back(rider);
        continue;
      }
      if (b.status == core::BindingStatus::unbound) {
        if (!code) pools.unbound.push_back(rider);
        continue;
      }
      if (code) {
        if (records.health && records.health->colour == core::HealthColour::green &&
            !records.health->popup) {
          pools.clean_codes.push_back(rider);
        }
        continue;
      }
      if (!records.health) {
        pools.unknown.push_back(rider);
      } else if (records.health->colour == core::HealthColour::red) {
        pools.red.push_back(rider);
      } else if (records.health->colour == core::HealthColour::yellow) {
        pools.yellow.push_back(rider);
      } else if (records.health->popup) {
        pools.popup.push_back(rider);
      } else {
        pools.clean_cards.push_back(rider);
      }
    }
  }
  return pools;
}

}  // namespace gate::sim::soak
