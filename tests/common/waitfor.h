#pragma once

#include <chrono>
#include <thread>

namespace pw::test {

/// Checks `pred` every 200 ms until it holds or `timeoutMs` passed; the last check decides.
template<class Pred>
bool waitFor(Pred pred, int timeoutMs)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return pred();
}

} // namespace pw::test
