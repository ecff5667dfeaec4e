#include "util/pipe.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace edgectl;

namespace {

struct Batch {
    std::vector<int> values;
};

}  // namespace

TEST_CASE("pipe: every batch produced reaches take() once, in order, then nullptr") {
    int next = 0;
    Pipeline<Batch> pipe(
        [&](Batch& b) {
            if (next == 100) return false;
            b.values.clear();  // batches come back to be refilled
            for (int i = 0; i < 3; ++i)
                b.values.push_back(next * 3 + i);
            ++next;
            return true;
        },
        4);
    std::vector<int> got;
    while (Batch* b = pipe.take())
        got.insert(got.end(), b->values.begin(), b->values.end());
    REQUIRE(got.size() == 300);
    for (int i = 0; i < 300; ++i)
        CHECK(got[std::size_t(i)] == i);
    CHECK(pipe.take() == nullptr);  // done stays done
}

TEST_CASE("pipe: a producer that has nothing at all gives nullptr at once") {
    Pipeline<Batch> pipe([](Batch&) { return false; });
    CHECK(pipe.take() == nullptr);
}

TEST_CASE("pipe: the producer's exception reaches take() after the batches made before it") {
    std::atomic<int> made{0};
    std::atomic<bool> failed{false};
    Pipeline<Batch> pipe(
        [&](Batch& b) {
            if (made == 5) {
                failed = true;
                throw std::runtime_error("producer failed at batch 5");
            }
            b.values = {made++};
            return true;
        },
        8);
    // Only once the producer has failed does the consumer start: the five batches made before the
    // failure still come first.
    while (!failed)
        std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::vector<int> got;
    try {
        while (Batch* b = pipe.take())
            got.push_back(b->values.at(0));
        FAIL("take() ended without the producer's exception");
    } catch (const std::runtime_error& e) { CHECK(std::string(e.what()) == "producer failed at batch 5"); }
    CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
    // Rethrown once: after that the pipeline is simply finished.
    CHECK(pipe.take() == nullptr);
}

TEST_CASE("pipe: the producer never runs more than depth batches ahead of the consumer") {
    constexpr std::size_t depth = 3;
    std::atomic<int> produced{0};
    Pipeline<Batch> pipe(
        [&](Batch& b) {
            if (produced == 50) return false;
            b.values = {produced++};
            return true;
        },
        depth);
    int taken = 0;
    while (Batch* b = pipe.take()) {
        CHECK(b->values.at(0) == taken);
        ++taken;
        // Give the producer time to run as far ahead as it can: it holds every free batch, the one
        // taken is not yet returned, so it can be at most depth - 1 past the one in hand.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        CHECK(produced.load() - taken <= int(depth) - 1);
    }
    CHECK(taken == 50);
    CHECK(produced == 50);
}

TEST_CASE("pipe: a pipeline destroyed while its producer still has work stops without hanging") {
    std::atomic<int> produced{0};
    auto start = std::chrono::steady_clock::now();
    {
        Pipeline<Batch> pipe(
            [&](Batch& b) {
                b.values = {produced++};
                return true;  // endless
            },
            2);
        Batch* first = pipe.take();
        REQUIRE(first != nullptr);
        CHECK(first->values.at(0) == 0);
        // Let the producer fill every free batch and block waiting for one back.
        while (produced < 2)
            std::this_thread::yield();
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    CHECK(produced <= 2);  // stopped, not run on

    // A producer that is busy, with free batches left, finishes the batch in hand and stops there.
    std::atomic<int> busy{0};
    int before = 0;
    {
        Pipeline<Batch> pipe(
            [&](Batch& b) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
                b.values = {busy++};
                return true;
            },
            8);
        REQUIRE(pipe.take() != nullptr);
        before = busy;
    }
    CHECK(busy <= before + 1);
    CHECK(busy < 8);

    // Destroyed before anything was taken, too.
    {
        Pipeline<Batch> untouched([](Batch& b) {
            b.values = {1};
            return true;
        });
    }
    SUCCEED("the destructor returned");
}
