// Behaviour of the C++ wrapper: RAII ownership, move-only handles, and
// exceptions that carry the C status and message.
#include "flowbb.hpp"

#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>
#include <utility>

namespace {

int passed = 0;
int failed = 0;

void check(bool ok, const char *what, int line) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::fprintf(stderr, "test_cpp_api.cpp:%d: check failed: %s\n", line,
                     what);
    }
}

#define CHECK(cond) check((cond), #cond, __LINE__)

// Runs `f`, which must throw flowbb::Error with `status` and a message
// containing `needle`.
template <typename F>
void check_throws(F f, flowbb_status status, const std::string &needle,
                  int line) {
    try {
        f();
        check(false, "call did not throw", line);
    } catch (const flowbb::Error &e) {
        check(e.status() == status, "status of the exception", line);
        check(std::string(e.what()).find(needle) != std::string::npos,
              "message of the exception", line);
    }
}

void versions_agree_with_header() {
    CHECK(flowbb::version() == FLOWBB_VERSION_STRING);
    CHECK(flowbb::abi_version() == FLOWBB_ABI_VERSION);
    CHECK(flowbb::status_str(FLOWBB_CORRUPT) == "corrupt data");
}

void failed_status_becomes_exception_with_message() {
    check_throws([] { flowbb::detail::check(FLOWBB_IO, nullptr); }, FLOWBB_IO,
                 "file input/output error", __LINE__);
}

flowbb::Image make_image(std::uint32_t w, std::uint32_t h, std::uint32_t c,
                         std::uint32_t seed) {
    flowbb::Image im;
    im.width = w;
    im.height = h;
    im.channels = c;
    im.pixels.resize(std::size_t(w) * h * c);
    std::uint32_t s = seed;
    for (std::size_t i = 0; i < im.pixels.size(); ++i) {
        s = s * 1664525u + 1013904223u;
        im.pixels[i] = static_cast<std::uint8_t>(i * 3 + (s >> 28));
    }
    return im;
}

void handles_are_move_only() {
    static_assert(!std::is_copy_constructible<flowbb::Model>::value,
                  "Model is move-only");
    static_assert(!std::is_copy_assignable<flowbb::Coder>::value,
                  "Coder is move-only");
    static_assert(std::is_nothrow_move_constructible<flowbb::Model>::value,
                  "Model moves without throwing");
    flowbb::Model a = flowbb::Model::create("tiny", 1);
    flowbb::Model b = std::move(a);
    CHECK(a.get() == nullptr);
    CHECK(b.get() != nullptr);
    // A moved-from model reports a NULL argument instead of crashing.
    check_throws([&] { a.config_json(); }, FLOWBB_NULL_ARGUMENT, "model",
                 __LINE__);
}

void round_trip_is_bit_exact() {
    flowbb::Model model = flowbb::Model::create("tiny", 1);
    flowbb::CoderOptions opts;
    opts.streams(4).seed(7);
    flowbb::Coder coder(model, opts);
    std::vector<flowbb::Image> images = {make_image(13, 10, 3, 1),
                                         make_image(5, 9, 1, 2)};
    flowbb_compress_stats stats{};
    std::vector<std::uint8_t> archive = coder.compress(images, &stats);
    CHECK(stats.archive_bytes == archive.size());
    CHECK(stats.images == 2);
    CHECK(coder.decompress(archive) == images);
    flowbb_archive_info info = flowbb::archive_info(archive);
    CHECK(info.images == 2 && info.streams == 4);
}

void failures_throw_with_status_and_message() {
    check_throws([] { flowbb::Model::create("enormous"); },
                 FLOWBB_INVALID_ARGUMENT, "enormous", __LINE__);
    check_throws([] { flowbb::Model::load("/nonexistent/dir/x.model"); },
                 FLOWBB_IO, "/nonexistent/dir/x.model", __LINE__);
    check_throws([] { flowbb::CoderOptions().sigma_log2(4); },
                 FLOWBB_INVALID_ARGUMENT, "sigma_log2", __LINE__);

    flowbb::Model a = flowbb::Model::create("tiny", 1);
    flowbb::Model b = flowbb::Model::create("tiny", 2);
    flowbb::Coder ca(a), cb(b);
    std::vector<std::uint8_t> archive = ca.compress({make_image(8, 8, 3, 3)});
    check_throws([&] { cb.decompress(archive); }, FLOWBB_MODEL_MISMATCH,
                 "model", __LINE__);
    archive.resize(archive.size() - 7);
    check_throws([&] { ca.decompress(archive); }, FLOWBB_CORRUPT, "archive",
                 __LINE__);
    check_throws([&] { ca.compress({}); }, FLOWBB_INVALID_ARGUMENT,
                 "no images", __LINE__);
}

void model_round_trips_through_bytes() {
    flowbb::Model model = flowbb::Model::create("tiny", 3);
    std::string config = model.config_json();
    CHECK(config.find("\"tiny\"") != std::string::npos);
    flowbb::Model copy = flowbb::Model::from_bytes(model.to_bytes());
    CHECK(copy.config_json() == config);
    flowbb::Model clone = model.clone();
    flowbb::Model::Shape s = clone.tile_shape();
    CHECK(s.channels == 3 && s.height == 8 && s.width == 8);
    std::vector<flowbb::Image> samples = clone.sample(2, 0.5);
    CHECK(samples.size() == 2 && samples[0].pixels.size() == 192);
    double bpd = copy.bpd(samples);
    CHECK(bpd > 0 && bpd < 64);
}

} // namespace

int main() {
    versions_agree_with_header();
    failed_status_becomes_exception_with_message();
    handles_are_move_only();
    round_trip_is_bit_exact();
    failures_throw_with_status_and_message();
    model_round_trips_through_bytes();
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
