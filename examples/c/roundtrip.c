/*
 * roundtrip: compresses a PPM or PGM image into a libflowbb archive, reads
 * the archive back, and checks that the decoded image is the original, bit
 * for bit.
 *
 *   roundtrip MODEL INPUT.ppm ARCHIVE.fbb OUTPUT.ppm
 *
 * MODEL is "default" for the model built into the library, a model file,
 * or the name of a preset ("tiny", "small") for a model with untrained
 * weights (lossless all the same, only larger).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowbb.h"
#include "ppm.h"

/* Prints a failed call's message and frees the error. */
static int fail(const char *what, flowbb_status status, flowbb_error *err)
{
    fprintf(stderr, "%s: %s (status %d)\n", what,
            err != NULL ? flowbb_error_message(err)
                        : flowbb_status_str(status),
            (int)status);
    flowbb_error_free(err);
    return 1;
}

static flowbb_status open_model(const char *name, flowbb_model **model,
                                flowbb_error **err)
{
    FILE *f;

    if (strcmp(name, "default") == 0) {
        return flowbb_model_default(model, err);
    }
    f = fopen(name, "rb");
    if (f != NULL) {
        fclose(f);
        return flowbb_model_load(name, model, err);
    }
    return flowbb_model_new(name, 0, model, err);
}

static int write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(data, 1, len, f) == len;
    if (f != NULL) {
        ok = fclose(f) == 0 && ok;
    }
    if (!ok) {
        perror(path);
    }
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    flowbb_error *err = NULL;
    flowbb_model *model = NULL;
    flowbb_coder *coder = NULL;
    flowbb_image_list *decoded = NULL;
    flowbb_bytes archive = {NULL, 0};
    flowbb_compress_stats stats;
    flowbb_image input, output;
    flowbb_status s;
    ppm_image img;
    int rc = 1;

    if (argc != 5) {
        fprintf(stderr, "usage: %s MODEL INPUT.ppm ARCHIVE OUTPUT.ppm\n",
                argv[0]);
        return 2;
    }
    if (ppm_read(argv[2], &img) != 0) {
        return 1;
    }
    input.width = img.width;
    input.height = img.height;
    input.channels = img.channels;
    input.pixels = img.pixels;

    if ((s = open_model(argv[1], &model, &err)) != FLOWBB_OK) {
        rc = fail(argv[1], s, err);
        goto done;
    }
    if ((s = flowbb_coder_new(model, NULL, &coder, &err)) != FLOWBB_OK) {
        rc = fail("coder", s, err);
        goto done;
    }

    /* Compress into a buffer libflowbb allocates, and save it. */
    s = flowbb_coder_compress_alloc(coder, &input, 1, &archive, &stats, &err);
    if (s != FLOWBB_OK) {
        rc = fail("compress", s, err);
        goto done;
    }
    if (write_file(argv[3], archive.data, archive.len) != 0) {
        goto done;
    }
    printf("%s: %lu bytes, net %.3f bits per dimension (model bound "
           "%.3f), %.3f with initial bits\n",
           argv[3], (unsigned long)archive.len, stats.bpd, stats.model_bpd,
           stats.total_bpd);

    /* Decompress and compare with the input. */
    s = flowbb_coder_decompress(coder, archive.data, archive.len, &decoded,
                                &err);
    if (s != FLOWBB_OK) {
        rc = fail("decompress", s, err);
        goto done;
    }
    s = flowbb_image_list_get(decoded, 0, &output, &err);
    if (s != FLOWBB_OK) {
        rc = fail("decoded image", s, err);
        goto done;
    }
    if (ppm_write(argv[4], output.width, output.height, output.channels,
                  output.pixels) != 0) {
        goto done;
    }
    if (output.width != input.width || output.height != input.height ||
        output.channels != input.channels ||
        memcmp(output.pixels, input.pixels, (size_t)input.width *
                                                input.height *
                                                input.channels) != 0) {
        fprintf(stderr, "%s differs from %s\n", argv[4], argv[2]);
        goto done;
    }
    printf("%s: identical to %s\n", argv[4], argv[2]);
    rc = 0;

done:
    flowbb_image_list_free(decoded);
    flowbb_bytes_free(&archive);
    flowbb_coder_free(coder);
    flowbb_model_free(model);
    free(img.pixels);
    return rc;
}
