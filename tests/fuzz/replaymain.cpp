// Runs a libFuzzer entry point over every file of a corpus directory (and mutations of each), so the fuzz targets
// are exercised by the normal test suite without clang's libFuzzer runtime.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR...\n", argv[0]);
        return 2;
    }
    std::mt19937 rng(12345);
    size_t inputs = 0;
    for (int i = 1; i < argc; ++i) {
        std::error_code ec;
        if (!std::filesystem::is_directory(argv[i], ec)) {
            std::fprintf(stderr, "corpus directory %s does not exist\n", argv[i]);
            return 1;
        }
        for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[i])) {
            if (!entry.is_regular_file())
                continue;
            std::ifstream in(entry.path(), std::ios::binary);
            std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
            ++inputs;
            // Cheap mutations: truncations and byte flips of each seed.
            for (int round = 0; round < 200 && !bytes.empty(); ++round) {
                std::vector<uint8_t> mutated = bytes;
                switch (round % 3) {
                case 0:
                    mutated.resize(rng() % mutated.size());
                    break;
                case 1:
                    mutated[rng() % mutated.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
                    break;
                default:
                    mutated[rng() % mutated.size()] = static_cast<uint8_t>(rng());
                    break;
                }
                LLVMFuzzerTestOneInput(mutated.data(), mutated.size());
                ++inputs;
            }
        }
    }
    if (inputs == 0) {
        std::fprintf(stderr, "no corpus files found\n");
        return 1;
    }
    std::printf("replayed %zu inputs\n", inputs);
    return 0;
}
