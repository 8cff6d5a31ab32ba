#include "sim/backoffice/collector_commands.h"

#include <signal.h>

#include <charconv>
#include <filesystem>
#include <iostream>
#include <map>

#include "firmware/store/iso_time.h"
#include "sim/backoffice/collector.h"
#include "sim/backoffice/collector_http.h"
#include "sim/backoffice/registry.h"
#include "sim/https_server/https_server.h"

namespace gate::backoffice {
namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  gate-backoffice collect --db C.db --secrets FILE --tls-dir DIR [--port P]\n"
    "  gate-backoffice trace --db C.db (--credential KEY | --identity ID --registry REG.db |\n"
    "                        --station L1-S07) [--from ISO] [--to ISO]\n"
    "  gate-backoffice gates --db C.db\n";

using Flags = std::map<std::string, std::string>;

int fail(const std::string& message, int code = 1) {
  std::cerr << "gate-backoffice: " << message << "\n";
  return code;
}

int usage(const std::string& what) {
  return fail(what + "\n" + kUsage, 2);
}

// The collector's database, for the commands that read it: it must exist already.
Result<Collector> open_existing(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return make_error(Errc::not_found, "collector database " + path + " does not exist");
  }
  return Collector::open(path, {});
}

int collect(const Flags& flags) {
  for (const char* need : {"db", "secrets", "tls-dir"}) {
    if (!flags.count(need)) return usage("collect needs --" + std::string(need));
  }
  sim::HttpsServerOptions options;
  options.tls_dir = flags.at("tls-dir");
  options.max_body_bytes = kCollectorMaxBodyBytes;
  if (auto it = flags.find("port"); it != flags.end()) {
    const std::string& text = it->second;
    std::uint16_t port = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return usage("--port needs 0-65535, got `" + text + "`");
    }
    options.port = port;
  }
  auto secrets = read_gate_secrets(flags.at("secrets"));
  if (!secrets.ok()) return fail(secrets.error().message);
  const std::size_t gates = secrets->size();
  auto collector = Collector::open(flags.at("db"), std::move(*secrets));
  if (!collector.ok()) return fail(flags.at("db") + ": " + collector.error().message);

  // SIGTERM and SIGINT are blocked before the server's thread starts (it inherits the mask), so
  // only sigwait below takes them: the server stops cleanly, between two requests.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr) != 0) return fail("cannot block signals");
  auto server = sim::HttpsServer::start(options, [&](const sim::HttpRequest& request) {
    return handle_collector_request(*collector, request);
  });
  if (!server.ok()) return fail(server.error().message);
  std::cerr << "gate-backoffice: collecting for " << gates
            << " gates; CA for the gates: " << (*server)->ca_cert_path() << ", server name "
            << sim::HttpsServer::server_name() << "\n";
  std::cout << "listening on " << (*server)->base_url() << std::endl;
  int signal = 0;
  sigwait(&stop_signals, &signal);
  (*server)->stop();
  std::cerr << "gate-backoffice: collector stopped (signal " << signal << ")\n";
  return 0;
}

int trace(const Flags& flags) {
  if (!flags.count("db")) return usage("trace needs --db");
  int subjects = static_cast<int>(flags.count("credential") + flags.count("identity") +
                                  flags.count("station"));
  if (subjects != 1) return usage("trace needs one of --credential, --identity, --station");
  TimeRange range;
  for (const char* bound : {"from", "to"}) {
    auto it = flags.find(bound);
    if (it == flags.end()) continue;
    auto t = store::parse_iso8601(it->second);
    if (!t) return usage("--" + std::string(bound) + " needs an ISO 8601 time with an offset");
    (std::string_view(bound) == "from" ? range.from : range.to) = *t;
  }
  auto collector = open_existing(flags.at("db"));
  if (!collector.ok()) return fail(collector.error().message);
  Result<std::vector<std::string>> found = std::vector<std::string>();
  if (flags.count("credential")) {
    found = collector->passages_of_credential(flags.at("credential"), range);
  } else if (flags.count("station")) {
    found = collector->passages_at_station(flags.at("station"), range);
  } else {
    if (!flags.count("registry")) return usage("trace --identity needs --registry");
    const std::string& path = flags.at("registry");
    if (!std::filesystem::exists(path)) return fail("registry " + path + " does not exist");
    auto registry = Registry::open(path);
    if (!registry.ok()) return fail(path + ": " + registry.error().message);
    found = collector->passages_of_identity(*registry, flags.at("identity"), range);
  }
  if (!found.ok()) return fail(found.error().message);
  std::string out;
  for (const std::string& body : *found) out += body + "\n";
  std::cout << out << std::flush;
  return std::cout ? 0 : fail("cannot write to stdout");
}

int gates(const Flags& flags) {
  if (!flags.count("db")) return usage("gates needs --db");
  auto collector = open_existing(flags.at("db"));
  if (!collector.ok()) return fail(collector.error().message);
  auto summaries = collector->gates();
  if (!summaries.ok()) return fail(summaries.error().message);
  std::string out;
  for (const GateSummary& g : *summaries) {
    out += g.gate + " last_seq=" + std::to_string(g.last_seq) + " rows=" + std::to_string(g.rows);
    if (g.problem != store::ChainProblem::none) {
      out += " problem=" + std::string(store::chain_problem_name(g.problem)) +
             " seq=" + std::to_string(g.problem_seq);
    }
    out += "\n";
  }
  std::cout << out << std::flush;
  return std::cout ? 0 : fail("cannot write to stdout");
}

}  // namespace

bool is_collector_command(const std::string& command) {
  return command == "collect" || command == "trace" || command == "gates";
}

int run_collector_command(const std::string& command, int argc, char** argv) {
  Flags flags;
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag.rfind("--", 0) != 0 || i + 1 >= argc) {
      return usage("unexpected argument `" + flag + "`");
    }
    flags[flag.substr(2)] = argv[++i];
  }
  if (command == "collect") return collect(flags);
  if (command == "trace") return trace(flags);
  return gates(flags);
}

}  // namespace gate::backoffice
