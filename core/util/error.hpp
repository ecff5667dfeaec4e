#pragma once
// One error model (STYLE.md §3): whatever the user must see becomes an edgectl::Error carrying the
// message and the process exit code; main() has the single try that prints it.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

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

/// Throws message as the error of its exit code: a VerifyError for Exit::verify_failed (so that
/// whoever catches verification failures sees it), else an Error.
[[noreturn]] inline void raise(const std::string& message, Exit code = Exit::error) {
    if (code == Exit::verify_failed) throw VerifyError(message);
    throw Error(message, code);
}

/// Throws Error(message) when cond is false. For checks whose failure the user must see.
inline void require(bool cond, const std::string& message, Exit code = Exit::error) {
    if (!cond) throw Error(message, code);
}

/// A name as messages quote it: 'x.tar.zst'.
inline std::string quote(std::string_view name) {
    std::string out;  // appended: GCC 12's -O2 reports a false -Wrestrict for "'" + std::string
    out.reserve(name.size() + 2);
    return out.append(1, '\'').append(name).append(1, '\'');
}
inline std::string quote(const std::string& name) { return quote(std::string_view(name)); }
inline std::string quote(const char* name) { return quote(std::string_view(name)); }
inline std::string quote(const std::filesystem::path& path) { return quote(std::string_view(path.native())); }

/// "<context>: <cause>": what was being done, or on what, then why it failed (STYLE.md §4), e.g.
/// with_context("cannot import " + quote(path), "entry '../x' leaves the package").
inline std::string with_context(std::string_view context, std::string_view cause) {
    std::string out(context);
    return out.append(": ").append(cause);
}

/// Runs f; an Error it throws is thrown again with context in front of its message, of the same
/// kind and with the same exit code (a VerifyError stays one), so that each layer names what it
/// was doing instead of every message being prefixed by hand.
template <class F> decltype(auto) in_context(std::string_view context, F&& f) {
    try {
        return std::forward<F>(f)();
    } catch (const VerifyError& e) { throw VerifyError(with_context(context, e.what())); } catch (const Error& e) {
        throw Error(with_context(context, e.what()), e.code());
    }
}

}  // namespace edgectl
