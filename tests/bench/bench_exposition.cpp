// Exposition parsing throughput: our ExpositionParser against Go's expfmt TextParser and Python's prometheus_client
// parser, on the same generated file, in one run. The parser source is compiled into this binary with -O2 (see
// tests/bench/CMakeLists.txt) so the figures mean the same in a Debug tree as in a release build.
//
// bench_exposition [--quick] [--reps N]
//   full:   200 families x 500 series (~8 MB), ours 30 repetitions, Go 5, Python 1
//   --quick: 40 families x 100 series, one repetition each (CTest)
#include "sources/expositionparser.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

std::atomic<long> g_allocations {0};

} // namespace

// Counting global allocator: the "allocations per sample" figure.
void* operator new(std::size_t size)
{
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// User+system CPU time of this process. All three parsers are timed in CPU seconds (the peers report theirs the same
/// way, Go's garbage collector threads included) because the machine may be shared and wall time then measures the
/// neighbours.
double cpuSeconds()
{
    rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
        + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Generated
{
    std::string text;
    long samples = 0;
};

/// Families rotate through counter, gauge, histogram and summary; each has `series` sample lines with the labels a
/// Kubernetes-scraped exporter carries (instance, job, pod, namespace; le/quantile where the type has them).
Generated generate(int families, int series)
{
    Generated g;
    g.text.reserve(static_cast<std::size_t>(families) * series * 96);
    static constexpr const char* les[] = {"0.005", "0.01", "0.05", "0.1", "0.5", "1", "5", "+Inf"};
    static constexpr const char* quantiles[] = {"0.5", "0.9", "0.99"};
    unsigned rng = 12345;
    auto next = [&rng] { return rng = rng * 1103515245u + 12345u; };
    auto labels = [](int pod) {
        return fmt::format("instance=\"10.0.{}.{}:80\",job=\"sink\",pod=\"sink-{:04x}\",namespace=\"mart\"", pod / 250,
            pod % 250, pod * 7919 % 0xffff);
    };
    for (int f = 0; f < families; ++f) {
        switch (f % 4) {
        case 0: {
            const std::string name = fmt::format("ops_{:03}_total", f);
            g.text += fmt::format("# HELP {} Operations of kind {}.\n# TYPE {} counter\n", name, f, name);
            for (int s = 0; s < series; ++s, ++g.samples)
                g.text += fmt::format("{}{{{}}} {}\n", name, labels(s), next() % 1000000);
            break;
        }
        case 1: {
            const std::string name = fmt::format("queue_{:03}", f);
            g.text += fmt::format("# HELP {} Queue depth.\n# TYPE {} gauge\n", name, name);
            for (int s = 0; s < series; ++s, ++g.samples)
                g.text += fmt::format("{}{{{}}} {}\n", name, labels(s), (next() % 100000) / 8.0);
            break;
        }
        case 2: {
            const std::string name = fmt::format("lat_{:03}_seconds", f);
            g.text += fmt::format("# HELP {} Commit latency.\n# TYPE {} histogram\n", name, name);
            const int sets = series / 10; // 8 buckets + _sum + _count
            for (int s = 0; s < sets; ++s) {
                unsigned cumulative = 0;
                for (const char* le : les) {
                    cumulative += next() % 100;
                    g.text += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels(s), le, cumulative);
                }
                g.text += fmt::format("{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, labels(s), cumulative * 0.0123,
                    name, labels(s), cumulative);
                g.samples += 10;
            }
            break;
        }
        default: {
            const std::string name = fmt::format("req_{:03}_bytes", f);
            g.text += fmt::format("# HELP {} Request size.\n# TYPE {} summary\n", name, name);
            const int sets = series / 5; // 3 quantiles + _sum + _count
            for (int s = 0; s < sets; ++s) {
                for (const char* q : quantiles)
                    g.text += fmt::format("{}{{{},quantile=\"{}\"}} {}\n", name, labels(s), q, next() % 5000);
                g.text += fmt::format("{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, labels(s), next() % 900000, name,
                    labels(s), next() % 900);
                g.samples += 5;
            }
            break;
        }
        }
    }
    return g;
}

class CountingHandler : public pw::ExpositionHandler
{
public:
    long samples = 0;
    double checksum = 0;
    void sample(const pw::ExpositionSample& s) override
    {
        ++samples;
        checksum += s.value + static_cast<double>(s.labels.size());
    }
};

struct PeerResult
{
    bool ok = false;
    double seconds = 0;
    long samples = 0;
    std::string error;
};

std::string shellQuote(const std::string& s)
{
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

PeerResult runCapture(const std::string& command)
{
    PeerResult r;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) {
        r.error = "cannot start: " + command;
        return r;
    }
    std::string output;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, pipe))
        output += buf;
    const int status = ::pclose(pipe);
    if (status != 0) {
        r.error = fmt::format("'{}' failed (status {}): {}", command, WEXITSTATUS(status), output);
        return r;
    }
    const auto pos = output.rfind("seconds=");
    if (pos == std::string::npos
        || std::sscanf(output.c_str() + pos, "seconds=%lf samples=%ld", &r.seconds, &r.samples) != 2) {
        r.error = "unexpected output from '" + command + "': " + output;
        return r;
    }
    r.ok = true;
    return r;
}

PeerResult runGo(const fs::path& file, int reps)
{
    const fs::path source = fs::path(PATHWATCH_SOURCE_DIR) / "tests/bench/go/expfmtbench";
    const fs::path outDir = fs::path(PATHWATCH_BINARY_DIR) / "tests/bench";
    const fs::path binary = outDir / "expfmtbench";
    if (std::system("command -v go >/dev/null 2>&1") != 0) {
        PeerResult r;
        r.error = "the 'go' tool is missing: install Debian packages golang-go and golang-github-prometheus-common-dev";
        return r;
    }
    // Built offline in GOPATH mode against the Debian-packaged expfmt (no module download).
    const std::string build
        = fmt::format("cd {} && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE={} go build -o {} . 2>&1",
            shellQuote(source), shellQuote((outDir / "go-cache").string()), shellQuote(binary.string()));
    FILE* pipe = ::popen(build.c_str(), "r");
    std::string output;
    char buf[4096];
    while (pipe && std::fgets(buf, sizeof buf, pipe))
        output += buf;
    if (!pipe || ::pclose(pipe) != 0) {
        PeerResult r;
        r.error = "building the Go expfmt benchmark failed (needs golang-github-prometheus-common-dev): " + output;
        return r;
    }
    return runCapture(fmt::format("{} {} {}", shellQuote(binary.string()), shellQuote(file.string()), reps));
}

PeerResult runPython(const fs::path& file, int reps)
{
    static constexpr const char* script = R"PY(
import sys, time
try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    sys.exit("python3-prometheus-client is missing (Debian package python3-prometheus-client)")
text = open(sys.argv[1], encoding="utf-8").read()
reps = int(sys.argv[2])
samples = 0
start = time.process_time()
wall = time.perf_counter()
for i in range(reps):
    n = 0
    for family in text_string_to_metric_families(text):
        n += len(family.samples)
    samples = n
print("seconds=%.6f samples=%d wall=%.6f" % (time.process_time() - start, samples, time.perf_counter() - wall))
)PY";
    if (!fs::exists("/usr/bin/python3")) {
        PeerResult r;
        r.error = "/usr/bin/python3 is missing";
        return r;
    }
    return runCapture(fmt::format("/usr/bin/python3 -c {} {} {}", shellQuote(script), shellQuote(file.string()), reps));
}

} // namespace

int main(int argc, char** argv)
{
    bool quick = false;
    int oursReps = 30;
    int goReps = 5;
    int pyReps = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--quick") {
            quick = true;
        } else if (arg == "--reps" && i + 1 < argc) {
            oursReps = std::atoi(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: %s [--quick] [--reps N]\n", argv[0]);
            return 2;
        }
    }
    if (quick)
        oursReps = goReps = pyReps = 1;

    const Generated input = quick ? generate(40, 100) : generate(200, 500);
    const fs::path file = fs::temp_directory_path() / fmt::format("pathwatch-exposition-{}.txt", ::getpid());
    {
        std::ofstream out(file, std::ios::binary);
        out.write(input.text.data(), static_cast<std::streamsize>(input.text.size()));
    }
    const double megabytes = static_cast<double>(input.text.size()) / 1e6;
    std::printf(
        "input: %s, %.2f MB, %ld samples, %s families\n", file.c_str(), megabytes, input.samples, quick ? "40" : "200");

    // Ours: one warm-up parse (interning, family table, buffers), then timed repetitions with the same parser, as a
    // scrape source reuses it between polls.
    pw::ExpositionParser parser;
    CountingHandler handler;
    const long allocBefore = g_allocations.load();
    auto warm = parser.parse(input.text, pw::ExpositionFormat::PrometheusText, handler);
    const long firstParseAllocations = g_allocations.load() - allocBefore;
    if (!warm || handler.samples != input.samples) {
        std::fprintf(stderr, "our parser failed: %s\n",
            warm ? "wrong sample count" : warm.error().toString().toUtf8().constData());
        fs::remove(file);
        return 1;
    }
    handler.samples = 0;
    const long allocStart = g_allocations.load();
    const double cpuStart = cpuSeconds();
    const auto start = Clock::now();
    for (int i = 0; i < oursReps; ++i) {
        if (!parser.parse(input.text, pw::ExpositionFormat::PrometheusText, handler)) {
            std::fprintf(stderr, "our parser failed on repetition %d\n", i);
            fs::remove(file);
            return 1;
        }
    }
    const double oursWall = std::chrono::duration<double>(Clock::now() - start).count();
    const double oursSeconds = cpuSeconds() - cpuStart;
    const long steadyAllocations = g_allocations.load() - allocStart;
    const double oursMBs = megabytes * oursReps / oursSeconds;
    const double oursSps = static_cast<double>(handler.samples) / oursSeconds;
    std::printf("ours: %.1f MB/s, %.3g samples/s, %.4f allocations/sample steady state (%ld in the first parse), "
                "%d repetitions, %.3f s CPU, %.3f s wall, checksum %.6g\n",
        oursMBs, oursSps, static_cast<double>(steadyAllocations) / static_cast<double>(handler.samples),
        firstParseAllocations, oursReps, oursSeconds, oursWall, handler.checksum);

    // The family model on top (copies every kept sample): reported for context, not the BENCH figure.
    {
        const double t0 = cpuSeconds();
        auto families = pw::parseExpositionFamilies(input.text, pw::ExpositionFormat::PrometheusText);
        const double s = cpuSeconds() - t0;
        std::printf("ours (family model, cold parser): %.1f MB/s, %zu families\n", megabytes / s,
            families ? families->families.size() : 0);
    }

    int failures = 0;
    auto report = [&](const char* peer, const PeerResult& r, int reps) {
        if (!r.ok) {
            std::fprintf(stderr, "FAIL peer %s: %s\n", peer, r.error.c_str());
            ++failures;
            return;
        }
        if (r.samples != input.samples) {
            std::fprintf(
                stderr, "FAIL peer %s counted %ld samples, we generated %ld\n", peer, r.samples, input.samples);
            ++failures;
            return;
        }
        const double mbs = megabytes * reps / r.seconds;
        const double sps = static_cast<double>(r.samples) * reps / r.seconds;
        std::printf("%s: %.2f MB/s, %.3g samples/s, %d repetitions, %.3f s CPU\n", peer, mbs, sps, reps, r.seconds);
        std::printf("BENCH name=exposition_parse ours=%.1fMB/s peer=%s peer_value=%.2fMB/s ratio=%.1f\n", oursMBs, peer,
            mbs, oursMBs / mbs);
    };
    report("go-expfmt", runGo(file, goReps), goReps);
    report("python-prometheus-client", runPython(file, pyReps), pyReps);
    fs::remove(file);
    std::fflush(stdout);
    return failures == 0 ? 0 : 1;
}
