/*
 * Behaviour of the C interface: versions, statuses, error objects, buffers,
 * and every kind of bad call (NULL pointers, small buffers, corrupt archives,
 * the wrong model), which must return the documented status with a useful
 * message and never crash.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void versions_agree_with_header(void)
{
    CHECK(strcmp(flowbb_version(), FLOWBB_VERSION_STRING) == 0);
    CHECK(flowbb_abi_version() == FLOWBB_ABI_VERSION);
    CHECK(FLOWBB_VERSION_NUMBER == FLOWBB_VERSION_MAJOR * 10000 +
                                       FLOWBB_VERSION_MINOR * 100 +
                                       FLOWBB_VERSION_PATCH);
}

static void statuses_have_stable_values_and_descriptions(void)
{
    CHECK(FLOWBB_OK == 0);
    CHECK(FLOWBB_NULL_ARGUMENT == 1);
    CHECK(FLOWBB_INVALID_ARGUMENT == 2);
    CHECK(FLOWBB_BUFFER_TOO_SMALL == 3);
    CHECK(FLOWBB_IO == 10);
    CHECK(FLOWBB_IMAGE == 11);
    CHECK(FLOWBB_CORRUPT == 12);
    CHECK(FLOWBB_MODEL_MISMATCH == 13);
    CHECK(FLOWBB_NUMERICS_MISMATCH == 14);
    CHECK(FLOWBB_UNSUPPORTED == 20);
    CHECK(FLOWBB_TORCH == 21);
    CHECK(FLOWBB_CANCELLED == 30);
    CHECK(FLOWBB_PANIC == 99);
    CHECK(strcmp(flowbb_status_str(FLOWBB_OK), "success") == 0);
    CHECK(strcmp(flowbb_status_str(FLOWBB_CORRUPT), "corrupt data") == 0);
    CHECK(strcmp(flowbb_status_str(12345), "unknown status") == 0);
    CHECK(strcmp(flowbb_status_str(-1), "unknown status") == 0);
}

static void frees_accept_null(void)
{
    flowbb_bytes empty = {NULL, 0};

    flowbb_error_free(NULL);
    flowbb_bytes_free(NULL);
    flowbb_bytes_free(&empty);
    flowbb_bytes_free(&empty);
    CHECK(empty.data == NULL && empty.len == 0);
    CHECK(flowbb_error_status(NULL) == FLOWBB_OK);
    CHECK(strcmp(flowbb_error_message(NULL), "") == 0);
}

/* A deterministic image: smooth gradients plus a little noise. The pixels
 * are malloc()ed; free them with free(). */
static flowbb_image make_image(uint32_t w, uint32_t h, uint32_t c,
                               uint32_t seed)
{
    flowbb_image im;
    uint8_t *px = (uint8_t *)malloc((size_t)w * h * c);
    uint32_t s = seed, x, y, k;

    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            for (k = 0; k < c; k++) {
                s = s * 1664525u + 1013904223u;
                px[(y * w + x) * c + k] =
                    (uint8_t)(x * 9 + y * 5 + k * 40 + (s >> 28));
            }
        }
    }
    im.width = w;
    im.height = h;
    im.channels = c;
    im.pixels = px;
    return im;
}

static int same_image(const flowbb_image *a, const flowbb_image *b)
{
    return a->width == b->width && a->height == b->height &&
           a->channels == b->channels &&
           memcmp(a->pixels, b->pixels,
                  (size_t)a->width * a->height * a->channels) == 0;
}

static flowbb_model *tiny_model(uint64_t seed)
{
    flowbb_model *m = NULL;
    flowbb_error *err = NULL;
    CHECK_STATUS(FLOWBB_OK, flowbb_model_new("tiny", seed, &m, &err), &err);
    flowbb_error_free(err);
    return m;
}

static void null_arguments_are_reported_by_name(void)
{
    flowbb_error *err = NULL;
    flowbb_model *m = NULL;
    flowbb_coder *c = NULL;
    flowbb_image im = make_image(8, 8, 3, 1);
    flowbb_bytes out = {NULL, 0};
    const uint8_t *pixels;
    size_t len = 0;

    CHECK(flowbb_model_new(NULL, 0, &m, &err) == FLOWBB_NULL_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_NULL_ARGUMENT, "config");
    CHECK(flowbb_model_new("tiny", 0, NULL, &err) == FLOWBB_NULL_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_NULL_ARGUMENT, "out");
    CHECK(flowbb_model_load(NULL, &m, &err) == FLOWBB_NULL_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_NULL_ARGUMENT, "path");
    CHECK(flowbb_model_from_bytes(NULL, 10, &m, &err) ==
          FLOWBB_NULL_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_NULL_ARGUMENT, "data");
    CHECK(flowbb_coder_new(NULL, NULL, &c, &err) == FLOWBB_NULL_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_NULL_ARGUMENT, "model");
    CHECK(flowbb_coder_compress_alloc(NULL, &im, 1, &out, NULL, &err) ==
          FLOWBB_NULL_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_NULL_ARGUMENT, "coder");
    CHECK(flowbb_coder_decompress(NULL, NULL, 0, NULL, NULL) ==
          FLOWBB_NULL_ARGUMENT);
    CHECK(flowbb_model_clone(NULL) == NULL);
    CHECK(flowbb_image_list_len(NULL) == 0);
    CHECK(flowbb_archive_info_read((const uint8_t *)"x", 1, NULL, &err) ==
          FLOWBB_NULL_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_NULL_ARGUMENT, "info");

    m = tiny_model(1);
    CHECK(flowbb_coder_new(m, NULL, &c, &err) == FLOWBB_OK);
    CHECK(flowbb_coder_compress_alloc(c, NULL, 1, &out, NULL, &err) ==
          FLOWBB_NULL_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_NULL_ARGUMENT, "images");
    CHECK(flowbb_coder_compress(c, &im, 1, NULL, 0, NULL, NULL, &err) ==
          FLOWBB_NULL_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_NULL_ARGUMENT, "len");
    pixels = im.pixels;
    im.pixels = NULL;
    CHECK(flowbb_coder_compress(c, &im, 1, NULL, 0, &len, NULL, &err) ==
          FLOWBB_NULL_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_NULL_ARGUMENT, "images[0].pixels");
    free((void *)pixels);

    flowbb_model_free(NULL);
    flowbb_coder_free(NULL);
    flowbb_coder_options_free(NULL);
    flowbb_image_list_free(NULL);
    flowbb_coder_free(c);
    flowbb_model_free(m);
}

static void invalid_arguments_say_what_was_expected(void)
{
    flowbb_error *err = NULL;
    flowbb_model *m = NULL;
    flowbb_coder *c = NULL;
    flowbb_coder_options *o = flowbb_coder_options_new();
    flowbb_bytes out = {NULL, 0};
    flowbb_image two = make_image(4, 4, 2, 1);
    flowbb_image zero = make_image(4, 4, 3, 1);
    double bpd = 0;

    CHECK(flowbb_model_new("huge", 0, &m, &err) == FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "tiny");
    CHECK(flowbb_model_new("{\"name\": 3}", 0, &m, &err) == FLOWBB_CORRUPT);
    CHECK_ERROR(&err, FLOWBB_CORRUPT, "configuration");
    CHECK(m == NULL);

    CHECK(flowbb_coder_options_set_sigma_log2(o, 3, &err) ==
          FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "sigma_log2 is 3");
    CHECK(flowbb_coder_options_set_delta_log2(o, -40, &err) ==
          FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "-32..=-1");
    CHECK(flowbb_coder_options_set_streams(o, 0, &err) ==
          FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "streams");
    CHECK(flowbb_coder_options_set_device(o, "tpu", &err) ==
          FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "tpu");
    CHECK(flowbb_coder_options_set_device(o, "cuda:63", &err) ==
          FLOWBB_UNSUPPORTED);
    CHECK_ERROR(&err, FLOWBB_UNSUPPORTED, "CUDA");
    CHECK(flowbb_coder_options_set_algorithm(o, 7, &err) ==
          FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "FLOWBB_ALGORITHM_BLACK_BOX");
    CHECK(flowbb_coder_options_set_algorithm(
              o, FLOWBB_ALGORITHM_COMPOSITIONAL_SUBFLOWS, &err) == FLOWBB_OK);
    CHECK(flowbb_coder_options_set_algorithm(
              o, FLOWBB_ALGORITHM_COMPOSITIONAL, &err) == FLOWBB_OK);
    /* sigma must stay wider than a bin: checked when the coder is made. */
    CHECK(flowbb_coder_options_set_sigma_log2(o, -20, &err) == FLOWBB_OK);
    CHECK(flowbb_coder_options_set_delta_log2(o, -20, &err) == FLOWBB_OK);

    m = tiny_model(1);
    CHECK(flowbb_coder_new(m, o, &c, &err) == FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "sigma");
    CHECK(c == NULL);

    CHECK(flowbb_coder_new(m, NULL, &c, &err) == FLOWBB_OK);
    CHECK(flowbb_coder_compress_alloc(c, &two, 1, &out, NULL, &err) ==
          FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "images[0]");
    zero.width = 0;
    CHECK(flowbb_coder_compress_alloc(c, &zero, 1, &out, NULL, &err) ==
          FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "0x4");
    CHECK(flowbb_coder_compress_alloc(c, &zero, 0, &out, NULL, &err) ==
          FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "no images");
    CHECK(out.data == NULL);

    zero.width = 4;
    CHECK(flowbb_model_bpd(m, &zero, 1, &bpd, &err) ==
          FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "8x8");

    free((void *)two.pixels);
    free((void *)zero.pixels);
    flowbb_coder_free(c);
    flowbb_coder_options_free(o);
    flowbb_model_free(m);
}

static void round_trip_is_bit_exact(void)
{
    flowbb_error *err = NULL;
    flowbb_model *m = tiny_model(1);
    flowbb_coder *c = NULL;
    flowbb_coder_options *o = flowbb_coder_options_new();
    flowbb_image images[3];
    flowbb_image got;
    flowbb_bytes archive = {NULL, 0};
    flowbb_compress_stats stats;
    flowbb_archive_info info;
    flowbb_image_list *list = NULL;
    size_t i;

    /* An RGB image whose sides are no multiple of the tile, a grayscale
     * image (coded as RGB, returned as grayscale) and a one-pixel image. */
    images[0] = make_image(13, 10, 3, 1);
    images[1] = make_image(9, 7, 1, 2);
    images[2] = make_image(1, 1, 3, 3);
    CHECK(flowbb_coder_options_set_streams(o, 4, &err) == FLOWBB_OK);
    CHECK(flowbb_coder_options_set_seed(o, 99, &err) == FLOWBB_OK);
    CHECK_STATUS(FLOWBB_OK, flowbb_coder_new(m, o, &c, &err), &err);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_coder_compress_alloc(c, images, 3, &archive, &stats,
                                             &err),
                 &err);
    CHECK(archive.len > 0 && stats.archive_bytes == archive.len);
    CHECK(stats.images == 3);
    CHECK(stats.dims == 13 * 10 * 3 + 9 * 7 + 3);
    CHECK(stats.bpd > 0 && stats.total_bpd > 0 && stats.model_bpd > 0);

    CHECK_STATUS(FLOWBB_OK,
                 flowbb_archive_info_read(archive.data, archive.len, &info,
                                          &err),
                 &err);
    CHECK(info.images == 3 && info.dims == stats.dims);
    CHECK(info.streams == 4 && info.sigma_log2 == -14 &&
          info.delta_log2 == -32);
    CHECK(info.tile_channels == 3 && info.tile_height == 8 &&
          info.tile_width == 8);

    CHECK_STATUS(FLOWBB_OK,
                 flowbb_coder_decompress(c, archive.data, archive.len, &list,
                                         &err),
                 &err);
    CHECK(flowbb_image_list_len(list) == 3);
    for (i = 0; i < 3; i++) {
        CHECK(flowbb_image_list_get(list, i, &got, &err) == FLOWBB_OK);
        CHECK(same_image(&images[i], &got));
    }
    CHECK(flowbb_image_list_get(list, 3, &got, &err) ==
          FLOWBB_INVALID_ARGUMENT);
    CHECK_ERROR(&err, FLOWBB_INVALID_ARGUMENT, "3 images");

    flowbb_image_list_free(list);
    flowbb_bytes_free(&archive);
    flowbb_bytes_free(&archive);
    CHECK(archive.data == NULL && archive.len == 0);
    for (i = 0; i < 3; i++) {
        free((void *)images[i].pixels);
    }
    flowbb_coder_free(c);
    flowbb_coder_options_free(o);
    flowbb_model_free(m);
}

static void caller_buffers_report_the_size_needed(void)
{
    flowbb_error *err = NULL;
    flowbb_model *m = tiny_model(1);
    flowbb_coder *c = NULL;
    flowbb_image im = make_image(8, 8, 3, 7);
    flowbb_bytes ref = {NULL, 0};
    uint8_t *buf;
    size_t needed = 0, len = 0;
    char *json;

    /* The configuration text: ask for the size, then fetch it. */
    CHECK(flowbb_model_config_json(m, NULL, 0, &needed, &err) ==
          FLOWBB_BUFFER_TOO_SMALL);
    CHECK_ERROR(&err, FLOWBB_BUFFER_TOO_SMALL, "needs a buffer of");
    CHECK(needed > 2);
    json = (char *)malloc(needed);
    CHECK(flowbb_model_config_json(m, json, needed - 1, &len, &err) ==
          FLOWBB_BUFFER_TOO_SMALL);
    CHECK(len == needed);
    flowbb_error_free(err);
    err = NULL;
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_model_config_json(m, json, needed, &len, &err), &err);
    CHECK(json[0] == '{' && strlen(json) == needed - 1);
    CHECK(strstr(json, "\"tiny\"") != NULL);
    free(json);

    /* The archive: too small a buffer reports its size; the right one
     * receives the bytes compress_alloc gives. */
    CHECK_STATUS(FLOWBB_OK, flowbb_coder_new(m, NULL, &c, &err), &err);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_coder_compress_alloc(c, &im, 1, &ref, NULL, &err),
                 &err);
    buf = (uint8_t *)malloc(ref.len);
    CHECK(flowbb_coder_compress(c, &im, 1, buf, 10, &needed, NULL, &err) ==
          FLOWBB_BUFFER_TOO_SMALL);
    CHECK(needed == ref.len);
    CHECK_ERROR(&err, FLOWBB_BUFFER_TOO_SMALL, "the archive");
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_coder_compress(c, &im, 1, buf, ref.len, &len, NULL,
                                       &err),
                 &err);
    CHECK(len == ref.len && memcmp(buf, ref.data, len) == 0);

    free(buf);
    free((void *)im.pixels);
    flowbb_bytes_free(&ref);
    flowbb_coder_free(c);
    flowbb_model_free(m);
}

static void bad_archives_are_refused(void)
{
    flowbb_error *err = NULL;
    flowbb_model *m = tiny_model(1), *other = tiny_model(2);
    flowbb_coder *c = NULL, *c2 = NULL;
    flowbb_image im = make_image(8, 8, 3, 7);
    flowbb_bytes archive = {NULL, 0};
    flowbb_image_list *list = NULL;
    flowbb_archive_info info;
    uint8_t *copy;

    CHECK_STATUS(FLOWBB_OK, flowbb_coder_new(m, NULL, &c, &err), &err);
    CHECK_STATUS(FLOWBB_OK, flowbb_coder_new(other, NULL, &c2, &err), &err);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_coder_compress_alloc(c, &im, 1, &archive, NULL, &err),
                 &err);

    /* Truncated, empty, garbage, and one flipped bit. */
    CHECK(flowbb_coder_decompress(c, archive.data, archive.len / 2, &list,
                                  &err) == FLOWBB_CORRUPT);
    CHECK_ERROR(&err, FLOWBB_CORRUPT, "archive");
    CHECK(flowbb_coder_decompress(c, NULL, 0, &list, &err) == FLOWBB_CORRUPT);
    CHECK_ERROR(&err, FLOWBB_CORRUPT, "archive");
    CHECK(flowbb_archive_info_read((const uint8_t *)"garbage!", 8, &info,
                                   &err) == FLOWBB_CORRUPT);
    CHECK_ERROR(&err, FLOWBB_CORRUPT, "archive");
    copy = (uint8_t *)malloc(archive.len);
    memcpy(copy, archive.data, archive.len);
    copy[archive.len - 5] ^= 0x10;
    CHECK(flowbb_coder_decompress(c, copy, archive.len, &list, &err) ==
          FLOWBB_CORRUPT);
    CHECK_ERROR(&err, FLOWBB_CORRUPT, "");
    CHECK(list == NULL);

    /* Another model. */
    CHECK(flowbb_coder_decompress(c2, archive.data, archive.len, &list,
                                  &err) == FLOWBB_MODEL_MISMATCH);
    CHECK_ERROR(&err, FLOWBB_MODEL_MISMATCH, "model");

    /* Errors are optional. */
    CHECK(flowbb_coder_decompress(c, copy, archive.len, &list, NULL) ==
          FLOWBB_CORRUPT);

    free(copy);
    free((void *)im.pixels);
    flowbb_bytes_free(&archive);
    flowbb_coder_free(c);
    flowbb_coder_free(c2);
    flowbb_model_free(m);
    flowbb_model_free(other);
}

static void models_survive_files_bytes_and_clones(void)
{
    flowbb_error *err = NULL;
    flowbb_model *m = tiny_model(3), *loaded = NULL, *parsed = NULL;
    flowbb_model *clone;
    flowbb_coder *c = NULL, *c2 = NULL;
    flowbb_bytes bytes = {NULL, 0}, archive = {NULL, 0};
    flowbb_image im = make_image(8, 8, 3, 11), got;
    flowbb_image_list *list = NULL, *samples = NULL;
    const char *path = FLOWBB_TEST_TMP "/tiny.model";
    uint32_t ch = 0, h = 0, w = 0;
    double bpd = 0;

    CHECK_STATUS(FLOWBB_OK, flowbb_model_save(m, path, &err), &err);
    CHECK_STATUS(FLOWBB_OK, flowbb_model_load(path, &loaded, &err), &err);
    CHECK_STATUS(FLOWBB_OK, flowbb_model_to_bytes(m, &bytes, &err), &err);
    CHECK(bytes.len > 0);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_model_from_bytes(bytes.data, bytes.len, &parsed,
                                         &err),
                 &err);
    CHECK(flowbb_model_from_bytes(bytes.data, bytes.len / 3, &m, &err) ==
          FLOWBB_CORRUPT);
    CHECK_ERROR(&err, FLOWBB_CORRUPT, "");
    CHECK(flowbb_model_load(FLOWBB_TEST_TMP "/no/such.model", &m, &err) ==
          FLOWBB_IO);
    CHECK_ERROR(&err, FLOWBB_IO, "no/such.model");

    /* A clone shares the weights and outlives the original handle. */
    clone = flowbb_model_clone(m);
    CHECK(clone != NULL);
    flowbb_model_free(m);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_model_tile_shape(clone, &ch, &h, &w, &err), &err);
    CHECK(ch == 3 && h == 8 && w == 8);
    CHECK_STATUS(FLOWBB_OK, flowbb_model_bpd(clone, &im, 1, &bpd, &err),
                 &err);
    CHECK(bpd > 0 && bpd < 64);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_model_sample(clone, 2, 0.7, &samples, &err), &err);
    CHECK(flowbb_image_list_len(samples) == 2);
    CHECK(flowbb_image_list_get(samples, 1, &got, &err) == FLOWBB_OK);
    CHECK(got.width == 8 && got.height == 8 && got.channels == 3);

    /* Archives made with the reloaded model decode with the parsed one. */
    CHECK_STATUS(FLOWBB_OK, flowbb_coder_new(loaded, NULL, &c, &err), &err);
    CHECK_STATUS(FLOWBB_OK, flowbb_coder_new(parsed, NULL, &c2, &err), &err);
    /* The coders keep their own copies of the models. */
    flowbb_model_free(loaded);
    flowbb_model_free(parsed);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_coder_compress_alloc(c, &im, 1, &archive, NULL, &err),
                 &err);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_coder_decompress(c2, archive.data, archive.len, &list,
                                         &err),
                 &err);
    CHECK(flowbb_image_list_get(list, 0, &got, &err) == FLOWBB_OK);
    CHECK(same_image(&im, &got));

    free((void *)im.pixels);
    flowbb_image_list_free(list);
    flowbb_image_list_free(samples);
    flowbb_bytes_free(&bytes);
    flowbb_bytes_free(&archive);
    flowbb_coder_free(c);
    flowbb_coder_free(c2);
    flowbb_model_free(clone);
    remove(path);
}

static void default_model_codes_in_independent_chunks(void)
{
    flowbb_error *err = NULL;
    flowbb_model *m = NULL;
    flowbb_coder *c = NULL;
    flowbb_coder_options *o = flowbb_coder_options_new();
    flowbb_image images[2], got;
    flowbb_bytes archive = {NULL, 0};
    flowbb_image_list *list = NULL;
    flowbb_compress_stats stats;
    uint32_t ch = 0, h = 0, w = 0;
    size_t i;

    CHECK_STATUS(FLOWBB_OK, flowbb_model_default(&m, &err), &err);
    CHECK_STATUS(FLOWBB_OK, flowbb_model_tile_shape(m, &ch, &h, &w, &err),
                 &err);
    CHECK(ch == 3 && h == 32 && w == 32);
    CHECK(flowbb_coder_options_set_chunk(o, 1, &err) == FLOWBB_OK);
    CHECK(flowbb_coder_options_set_streams(o, 2, &err) == FLOWBB_OK);
    CHECK_STATUS(FLOWBB_OK, flowbb_coder_new(m, o, &c, &err), &err);
    images[0] = make_image(40, 20, 3, 4);
    images[1] = make_image(6, 6, 1, 5);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_coder_compress_alloc(c, images, 2, &archive, &stats,
                                             &err),
                 &err);
    CHECK(stats.images == 2 && stats.bpd > 0 && stats.model_bpd > 0);
    CHECK_STATUS(FLOWBB_OK,
                 flowbb_coder_decompress(c, archive.data, archive.len, &list,
                                         &err),
                 &err);
    for (i = 0; i < 2; i++) {
        CHECK(flowbb_image_list_get(list, i, &got, &err) == FLOWBB_OK);
        CHECK(same_image(&images[i], &got));
        free((void *)images[i].pixels);
    }
    flowbb_image_list_free(list);
    flowbb_bytes_free(&archive);
    flowbb_coder_free(c);
    flowbb_coder_options_free(o);
    flowbb_model_free(m);
}

/* Several threads share one const model and each uses its own coder. */
typedef struct thread_job {
    const flowbb_model *model;
    int seed;
    int ok;
} thread_job;

static void *thread_round_trip(void *arg)
{
    thread_job *job = (thread_job *)arg;
    flowbb_coder *c = NULL;
    flowbb_image im = make_image(8, 8, 3, (uint32_t)job->seed), got;
    flowbb_bytes archive = {NULL, 0};
    flowbb_image_list *list = NULL;
    double bpd = 0;

    job->ok = flowbb_model_bpd(job->model, &im, 1, &bpd, NULL) == FLOWBB_OK &&
              flowbb_coder_new(job->model, NULL, &c, NULL) == FLOWBB_OK &&
              flowbb_coder_compress_alloc(c, &im, 1, &archive, NULL, NULL) ==
                  FLOWBB_OK &&
              flowbb_coder_decompress(c, archive.data, archive.len, &list,
                                      NULL) == FLOWBB_OK &&
              flowbb_image_list_get(list, 0, &got, NULL) == FLOWBB_OK &&
              same_image(&im, &got);
    flowbb_image_list_free(list);
    flowbb_bytes_free(&archive);
    flowbb_coder_free(c);
    free((void *)im.pixels);
    return NULL;
}

static void a_model_is_shared_between_threads(void)
{
    enum { N = 4 };
    pthread_t threads[N];
    thread_job jobs[N];
    flowbb_model *m = tiny_model(5);
    int i;

    for (i = 0; i < N; i++) {
        jobs[i].model = m;
        jobs[i].seed = i + 1;
        jobs[i].ok = 0;
        CHECK(pthread_create(&threads[i], NULL, thread_round_trip,
                             &jobs[i]) == 0);
    }
    for (i = 0; i < N; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(jobs[i].ok);
    }
    flowbb_model_free(m);
}

int main(void)
{
    versions_agree_with_header();
    statuses_have_stable_values_and_descriptions();
    frees_accept_null();
    null_arguments_are_reported_by_name();
    invalid_arguments_say_what_was_expected();
    round_trip_is_bit_exact();
    caller_buffers_report_the_size_needed();
    bad_archives_are_refused();
    models_survive_files_bytes_and_clones();
    a_model_is_shared_between_threads();
    default_model_codes_in_independent_chunks();
    return flowbb_check_summary();
}
