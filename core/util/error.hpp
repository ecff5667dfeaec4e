#pragma once
// One error model (STYLE.md §3): whatever the user must see becomes an edgectl::Error carrying the
// message and the process exit code; main() has the single try that prints it.

#include <stdexcept>
#include <string>

namespace edgectl {

/// Process exit codes: a contract with scripts and cron (docs/commands.md).
enum class Exit : int {
    ok = 0,
    error = 1,          ///< failed; nothing half-written
    usage = 2,          ///< bad command line
    partial = 3,        ///< done, but some inputs were quarantined or rejected
    verify_failed = 4,  ///< checksum, signature, golden outputs, hostile archive
    locked = 75,        ///< another run holds the store's lock for this command (EX_TEMPFAIL)
};

/// The error a user sees: message text (no "edgectl: error:" prefix) and an exit code.
class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& message, Exit code = Exit::error) : std::runtime_error(message), code_(code) {}
    Exit code() const noexcept { return code_; }

  private:
    Exit code_;
};

/// Shorthand for the failure of a verification step (exit 4).
class VerifyError : public Error {
  public:
    explicit VerifyError(const std::string& message) : Error(message, Exit::verify_failed) {}
};

/// Throws Error(message) when cond is false. For checks whose failure the user must see.
inline void require(bool cond, const std::string& message, Exit code = Exit::error) {
    if (!cond) throw Error(message, code);
}

}  // namespace edgectl
