#pragma once
// The result of an operation whose failure its caller handles (STYLE.md §3): a value, or why not.
// What the user must see is an Error thrown; what the caller decides about (quarantine a record,
// report a problem, try the next candidate) comes back as a Result, so that an empty string, a
// nullopt beside an out-parameter or a bool can no longer be mistaken for success. A small type of
// our own rather than std::expected, so that the project stays on C++20.
//
//   Result<Json> parse(...);              // a value, or fail("why")
//   if (auto doc = parse(text)) use(*doc); else quarantine(doc.error());
//   Json doc = parse(text).or_throw("cannot read 'x'");   // the caller cannot handle it: Error

#include "util/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace edgectl {

/// Why an operation failed: a message that names the object and the cause (STYLE.md §4), without
/// the context the caller adds.
struct Failure {
    std::string message;
};

/// The failure to return: `return fail("field 'x' is null");`.
inline Failure fail(std::string message) { return Failure{std::move(message)}; }

template <class T = void> class [[nodiscard]] Result {
  public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Failure failure) : state_(std::in_place_index<1>, std::move(failure)) {}

    bool ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    /// The value; calling it on a failure is a logic error (std::bad_variant_access).
    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    /// Why it failed; calling it on a success is a logic error.
    const std::string& error() const { return std::get<1>(state_).message; }

    /// The value, or raise("<context>: <why>", code) for a failure the caller cannot handle (a
    /// VerifyError for Exit::verify_failed, else an Error).
    T or_throw(std::string_view context, Exit code = Exit::error) && {
        if (!ok()) raise(with_context(context, error()), code);
        return std::move(*this).value();
    }

  private:
    std::variant<T, Failure> state_;
};

/// Success without a value, or why not.
template <> class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Failure failure) : failure_(std::move(failure)) {}  // NOLINT: implicit by design

    bool ok() const noexcept { return !failure_; }
    explicit operator bool() const noexcept { return ok(); }
    /// Why it failed; calling it on a success is a logic error (std::bad_optional_access).
    const std::string& error() const { return failure_.value().message; }

    /// Nothing, or Error("<context>: <why>", code) for a failure the caller cannot handle.
    void or_throw(std::string_view context, Exit code = Exit::error) const {
        if (!ok()) raise(with_context(context, error()), code);
    }

  private:
    std::optional<Failure> failure_;
};

}  // namespace edgectl
