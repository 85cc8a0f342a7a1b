#pragma once

// A blocking raw-socket Kafka client for broker tests: sends hand-built frames (also malformed ones) and reads
// size-prefixed responses with a timeout.

#include "broker/wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace pw::test {

class RawKafkaClient
{
public:
    /// `receiveBufferBytes` > 0 makes a slow reader: a small socket receive buffer, set before connecting so the
    /// advertised window stays small.
    explicit RawKafkaClient(uint16_t port, int receiveBufferBytes = 0)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (receiveBufferBytes > 0)
            ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receiveBufferBytes, sizeof receiveBufferBytes);
        sockaddr_in addr {};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(m_fd);
            m_fd = -1;
        }
        int one = 1;
        if (m_fd >= 0)
            ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~RawKafkaClient()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    RawKafkaClient(const RawKafkaClient&) = delete;
    RawKafkaClient& operator=(const RawKafkaClient&) = delete;

    bool connected() const { return m_fd >= 0; }

    bool sendRaw(const std::vector<uint8_t>& bytes)
    {
        size_t done = 0;
        while (done < bytes.size()) {
            ssize_t n = ::send(m_fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            done += size_t(n);
        }
        return true;
    }

    /// Request header v1 + body, size-prefixed.
    static std::vector<uint8_t> frame(int16_t key, int16_t version, int32_t correlationId,
        const std::vector<uint8_t>& body, bool flexibleHeader = false)
    {
        broker::WireWriter w;
        w.i32(0);
        w.i16(key);
        w.i16(version);
        w.i32(correlationId);
        w.nullableString(std::string("raw-test"));
        if (flexibleHeader)
            w.emptyTaggedFields();
        w.raw(body);
        w.patchI32(0, int32_t(w.size() - 4));
        return w.take();
    }

    bool send(int16_t key, int16_t version, int32_t correlationId, const std::vector<uint8_t>& body)
    {
        return sendRaw(frame(key, version, correlationId, body));
    }

    /// The next response (without its size prefix: correlation id first), or nullopt on timeout/EOF.
    std::optional<std::vector<uint8_t>> receive(int timeoutMs = 5000)
    {
        uint8_t size[4];
        if (!readExactly(size, 4, timeoutMs))
            return std::nullopt;
        const uint32_t n = uint32_t(size[0]) << 24 | uint32_t(size[1]) << 16 | uint32_t(size[2]) << 8 | size[3];
        if (n > (64u << 20))
            return std::nullopt;
        std::vector<uint8_t> body(n);
        if (!readExactly(body.data(), n, timeoutMs))
            return std::nullopt;
        return body;
    }

    /// True when the peer closed the connection within the timeout (any pending data is discarded).
    bool closedByPeer(int timeoutMs = 5000)
    {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
        uint8_t buf[4096];
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p {m_fd, POLLIN, 0};
            int left
                = int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                          .count());
            if (::poll(&p, 1, std::max(left, 1)) <= 0)
                continue;
            ssize_t r = ::recv(m_fd, buf, sizeof buf, 0);
            if (r <= 0)
                return true;
        }
        return false;
    }

private:
    bool readExactly(uint8_t* out, size_t n, int timeoutMs)
    {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
        size_t done = 0;
        while (done < n) {
            int left
                = int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                          .count());
            if (left <= 0)
                return false;
            pollfd p {m_fd, POLLIN, 0};
            if (::poll(&p, 1, left) <= 0)
                return false;
            ssize_t r = ::recv(m_fd, out + done, n - done, 0);
            if (r <= 0)
                return false;
            done += size_t(r);
        }
        return true;
    }

    int m_fd = -1;
};

} // namespace pw::test
