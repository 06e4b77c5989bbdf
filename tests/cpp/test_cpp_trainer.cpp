// The C++ trainer: progress callbacks, cancellation, exceptions thrown by a
// callback, checkpoints and export.
#include "flowbb.hpp"

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

int passed = 0;
int failed = 0;

void check(bool ok, const char *what, int line) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::fprintf(stderr, "test_cpp_trainer.cpp:%d: check failed: %s\n",
                     line, what);
    }
}

#define CHECK(cond) check((cond), #cond, __LINE__)

flowbb::Image gradient(std::uint32_t seed) {
    flowbb::Image im;
    im.width = 8;
    im.height = 8;
    im.channels = 3;
    for (std::uint32_t i = 0; i < 8 * 8 * 3; ++i) {
        im.pixels.push_back(static_cast<std::uint8_t>(i * 7 + seed * 31));
    }
    return im;
}

} // namespace

int main() {
    flowbb::Model model = flowbb::Model::create("tiny", 1);
    flowbb::Trainer trainer(model, R"({"batch_size": 4, "init_batch": 4,
        "warmup_steps": 2, "eval_batch": 4, "seed": 5})");
    std::vector<flowbb::Image> train, test;
    for (std::uint32_t i = 0; i < 4; ++i) {
        train.push_back(gradient(i));
    }
    test.push_back(gradient(9));
    trainer.add_images(train);
    trainer.add_test_images(test);

    int calls = 0;
    flowbb_step_info last = trainer.step(2, [&](const flowbb_step_info &s) {
        ++calls;
        return s.train_bpd > 0;
    });
    CHECK(calls == 2 && last.step == 2);

    try {
        trainer.step(5, [](const flowbb_step_info &) -> bool {
            throw std::runtime_error("stop from the callback");
        });
        CHECK(false);
    } catch (const std::runtime_error &e) {
        CHECK(std::string(e.what()) == "stop from the callback");
    }
    CHECK(trainer.steps_done() == 3);

    try {
        trainer.step(5, [](const flowbb_step_info &) { return false; });
        CHECK(false);
    } catch (const flowbb::Error &e) {
        CHECK(e.status() == FLOWBB_CANCELLED);
    }
    CHECK(trainer.steps_done() == 4);
    CHECK(trainer.evaluate() > 0);

    const std::string path = FLOWBB_TEST_TMP "/cpp_trainer.ckpt";
    trainer.save_checkpoint(path);
    flowbb::Trainer resumed = flowbb::Trainer::load_checkpoint(path);
    CHECK(resumed.steps_done() == 4);
    std::remove(path.c_str());

    flowbb::Model trained = trainer.export_model();
    flowbb::Coder coder(trained);
    CHECK(coder.decompress(coder.compress(test)) == test);

    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
