#pragma once
// Cleanup that runs however a scope is left, instead of try { … } catch (...) { cleanup; throw; }
// by hand. ScopeExit always runs its action (unless dismissed); ScopeFail only when the scope is
// left by an exception, to undo what a half-done operation made. The action must not throw: it
// runs in a destructor, possibly during unwinding.
//
//   ScopeFail undo([&] { ::unlink(partial.c_str()); });
//   write(partial); rename(partial, final);   // an exception removes the partial file

#include <exception>
#include <utility>

namespace edgectl {

/// Runs action when the scope ends, unless dismiss() was called.
template <class F> class [[nodiscard]] ScopeExit {
  public:
    explicit ScopeExit(F action) : action_(std::move(action)) {}
    ScopeExit(const ScopeExit&) = delete;
    ScopeExit& operator=(const ScopeExit&) = delete;
    ~ScopeExit() {
        if (armed_) action_();
    }
    /// The scope succeeded: the action is not needed.
    void dismiss() noexcept { armed_ = false; }

  private:
    F action_;
    bool armed_ = true;
};

/// Runs action only when the scope is left by an exception thrown after it was made.
template <class F> class [[nodiscard]] ScopeFail {
  public:
    explicit ScopeFail(F action) : action_(std::move(action)), uncaught_(std::uncaught_exceptions()) {}
    ScopeFail(const ScopeFail&) = delete;
    ScopeFail& operator=(const ScopeFail&) = delete;
    ~ScopeFail() {
        if (std::uncaught_exceptions() > uncaught_) action_();
    }

  private:
    F action_;
    int uncaught_;
};

}  // namespace edgectl
