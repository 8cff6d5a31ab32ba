#include "hal/result.h"

namespace gate {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::timeout:
      return "timeout";
    case Errc::io_error:
      return "io_error";
    case Errc::device_lost:
      return "device_lost";
    case Errc::malformed:
      return "malformed";
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::not_found:
      return "not_found";
    case Errc::storage_error:
      return "storage_error";
    case Errc::unsupported:
      return "unsupported";
  }
  return "unknown";
}

}  // namespace gate
