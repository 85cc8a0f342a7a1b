#pragma once

// A TCP relay on 127.0.0.1 that makes a server slow: every chunk the server sends back is held `delayMs` before it is
// passed on, and while stalled nothing is passed on at all. A broker that advertises the relay's port is then a slow
// broker for every client. Header-only, POSIX sockets, one thread per direction per connection.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace pw::test {

class SlowRelay
{
public:
    /// Listens on 127.0.0.1:`listenPort` (0: any free port) and forwards to 127.0.0.1:`targetPort`.
    SlowRelay(uint16_t listenPort, uint16_t targetPort)
        : m_targetPort(targetPort)
    {
        m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr = loopback(listenPort);
        if (::bind(m_listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(m_listener, 64) != 0) {
            ::close(m_listener);
            m_listener = -1;
            return;
        }
        socklen_t len = sizeof addr;
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &len);
        m_port = ntohs(addr.sin_port);
        m_acceptor = std::thread([this] { acceptLoop(); });
    }

    ~SlowRelay()
    {
        m_stop = true;
        if (m_acceptor.joinable())
            m_acceptor.join();
        std::lock_guard lock(m_mutex);
        for (std::thread& t : m_pumps)
            t.join();
        if (m_listener >= 0)
            ::close(m_listener);
    }

    bool listening() const { return m_listener >= 0; }
    uint16_t port() const { return m_port; }
    void setDelay(std::chrono::milliseconds delay) { m_delayMs = int(delay.count()); }
    void setStalled(bool stalled) { m_stalled = stalled; }
    /// Connections accepted so far.
    int connections() const { return m_connections; }

private:
    static sockaddr_in loopback(uint16_t port)
    {
        sockaddr_in addr {};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port);
        return addr;
    }

    void acceptLoop()
    {
        while (!m_stop) {
            pollfd p {m_listener, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0)
                continue;
            const int client = ::accept(m_listener, nullptr, nullptr);
            if (client < 0)
                continue;
            const int server = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in target = loopback(m_targetPort);
            if (::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
                ::close(client);
                ::close(server);
                continue;
            }
            ++m_connections;
            // Both pumps share the two descriptors; the last one to finish closes them.
            auto pair = std::shared_ptr<int[]>(new int[2] {client, server}, [](int* fds) {
                ::close(fds[0]);
                ::close(fds[1]);
                delete[] fds;
            });
            std::lock_guard lock(m_mutex);
            m_pumps.emplace_back([this, pair] { pump(pair[0], pair[1], false, pair); });
            m_pumps.emplace_back([this, pair] { pump(pair[1], pair[0], true, pair); });
        }
    }

    void pump(int from, int to, bool slowed, std::shared_ptr<int[]> keep)
    {
        std::vector<char> buffer(64 * 1024);
        while (!m_stop) {
            pollfd p {from, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0)
                continue;
            const ssize_t n = ::recv(from, buffer.data(), buffer.size(), 0);
            if (n <= 0)
                break;
            if (slowed) {
                std::this_thread::sleep_for(std::chrono::milliseconds(m_delayMs.load()));
                while (m_stalled && !m_stop)
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            for (ssize_t sent = 0; sent < n;) {
                const ssize_t k = ::send(to, buffer.data() + sent, size_t(n - sent), MSG_NOSIGNAL);
                if (k <= 0)
                    return;
                sent += k;
            }
        }
        ::shutdown(to, SHUT_WR);
        (void)keep;
    }

    uint16_t m_targetPort = 0;
    uint16_t m_port = 0;
    int m_listener = -1;
    std::atomic<bool> m_stop {false};
    std::atomic<int> m_delayMs {0};
    std::atomic<bool> m_stalled {false};
    std::atomic<int> m_connections {0};
    std::thread m_acceptor;
    std::mutex m_mutex;
    std::vector<std::thread> m_pumps;
};

} // namespace pw::test
