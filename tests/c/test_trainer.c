/*
 * Behaviour of the trainer through the C interface: steps with a progress
 * callback that can stop training, evaluation, checkpoints that resume, and
 * export of the trained model.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define TRAIN_CONFIG                                                         \
    "{\"batch_size\": 4, \"init_batch\": 4, \"warmup_steps\": 2, "           \
    "\"eval_batch\": 4, \"seed\": 5}"

static flowbb_image gradient(uint32_t seed, uint8_t *px)
{
    flowbb_image im;
    uint32_t i;

    for (i = 0; i < 8 * 8 * 3; i++) {
        px[i] = (uint8_t)((i * 7 + seed * 31) & 0xff);
    }
    im.width = 8;
    im.height = 8;
    im.channels = 3;
    im.pixels = px;
    return im;
}

typedef struct progress_log {
    int calls;
    int stop_after;
    uint64_t last_step;
} progress_log;

static bool on_step(void *userdata, const flowbb_step_info *info)
{
    progress_log *log = (progress_log *)userdata;
    log->calls++;
    log->last_step = info->step;
    return log->stop_after == 0 || log->calls < log->stop_after;
}

int main(void)
{
    flowbb_error *err = NULL;
    flowbb_model *model = NULL, *trained = NULL;
    flowbb_trainer *t = NULL, *resumed = NULL;
    flowbb_image images[6];
    uint8_t pixels[6][8 * 8 * 3];
    flowbb_step_info last;
    progress_log log = {0, 0, 0};
    const char *ckpt = FLOWBB_TEST_TMP "/trainer.ckpt";
    double bpd = 0;
    int i;

    for (i = 0; i < 6; i++) {
        images[i] = gradient((uint32_t)i, pixels[i]);
    }
    CHECK_STATUS(FLOWBB_OK, flowbb_model_new("tiny", 1, &model, &err), &err);

    /* Bad settings and calls in the wrong order are reported. */
    CHECK(flowbb_trainer_new(model, "{\"batch_size\": 0}", &t, &err) ==
          FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "batch_size");
    CHECK(flowbb_trainer_new(model, "{oops", &t, &err) == FLOWBB_CORRUPT);
    CHECK_ERROR(&err, FLOWBB_CORRUPT, "training configuration");
    CHECK(flowbb_trainer_new(NULL, NULL, &t, &err) == FLOWBB_NULL_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_NULL_ARGUMENT, "model");
    CHECK_STATUS(FLOWBB_OK, flowbb_trainer_new(model, TRAIN_CONFIG, &t, &err),
                 &err);
    CHECK(flowbb_trainer_step(t, 1, NULL, NULL, NULL, &err) ==
          FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "training images");

    /* Training with a callback that counts the steps. */
    CHECK_STATUS(FLOWBB_OK, flowbb_trainer_add_images(t, images, 4, &err),
                 &err);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_trainer_add_test_images(t, images + 4, 2, &err),
                 &err);
    CHECK_STATUS(FLOWBB_OK, flowbb_trainer_step(t, 3, on_step, &log, &last,
                                                &err),
                 &err);
    CHECK(log.calls == 3 && log.last_step == 3 && last.step == 3);
    CHECK(last.train_bpd > 0 && last.learning_rate > 0);
    CHECK(flowbb_trainer_steps_done(t) == 3);

    /* A callback returning false stops training; the steps done stay. */
    log.calls = 0;
    log.stop_after = 2;
    CHECK(flowbb_trainer_step(t, 10, on_step, &log, &last, &err) ==
          FLOWBB_CANCELLED);
    CHECK_ERROR(&err, FLOWBB_CANCELLED, "cancelled");
    CHECK(log.calls == 2 && last.step == 5);
    CHECK(flowbb_trainer_steps_done(t) == 5);

    CHECK_STATUS(FLOWBB_OK, flowbb_trainer_evaluate(t, &bpd, &err), &err);
    CHECK(bpd > 0 && bpd < 64);

    /* A checkpoint resumes at the same step. */
    CHECK_STATUS(FLOWBB_OK, flowbb_trainer_save_checkpoint(t, ckpt, &err),
                 &err);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_trainer_load_checkpoint(ckpt, &resumed, &err), &err);
    CHECK(flowbb_trainer_steps_done(resumed) == 5);
    CHECK(flowbb_trainer_load_checkpoint(FLOWBB_TEST_TMP "/none.ckpt",
                                         &resumed, &err) == FLOWBB_IO);
    CHECK_ERROR(&err, FLOWBB_IO, "none.ckpt");

    /* The exported model codes images. */
    CHECK_STATUS(FLOWBB_OK, flowbb_trainer_export_model(t, &trained, &err),
                 &err);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_model_bpd(trained, images + 4, 2, &bpd, &err), &err);
    CHECK(bpd > 0 && bpd < 64);

    flowbb_trainer_free(NULL);
    flowbb_trainer_free(t);
    flowbb_trainer_free(resumed);
    flowbb_model_free(trained);
    flowbb_model_free(model);
    remove(ckpt);
    return flowbb_check_summary();
}
