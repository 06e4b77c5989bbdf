/*
 * ppm.h: reads and writes binary PPM (P6, RGB) and PGM (P5, grayscale)
 * files with 8-bit samples, the simplest image files there are. Enough for
 * the examples; real programs would use an image library.
 */
#ifndef FLOWBB_EXAMPLE_PPM_H
#define FLOWBB_EXAMPLE_PPM_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* An image read from a file; free `pixels` with free(). */
typedef struct ppm_image {
    uint32_t width;
    uint32_t height;
    uint32_t channels;
    uint8_t *pixels;
} ppm_image;

/* Reads the next header number, skipping blanks and # comments. */
static int ppm_number(FILE *f, unsigned long *out)
{
    int c = fgetc(f);
    unsigned long v = 0;
    int digits = 0;

    for (;;) {
        while (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            c = fgetc(f);
        }
        if (c != '#') {
            break;
        }
        while (c != '\n' && c != EOF) {
            c = fgetc(f);
        }
    }
    while (c >= '0' && c <= '9' && digits < 9) {
        v = v * 10 + (unsigned long)(c - '0');
        digits++;
        c = fgetc(f);
    }
    *out = v;
    return digits > 0;
}

/* Reads a P5 or P6 file with maxval 255. Returns 0 on success, and prints
 * why and returns -1 otherwise. */
static int ppm_read(const char *path, ppm_image *img)
{
    FILE *f = fopen(path, "rb");
    char magic[2];
    unsigned long w, h, maxval;
    size_t len;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    if (fread(magic, 1, 2, f) != 2 || magic[0] != 'P' ||
        (magic[1] != '5' && magic[1] != '6') || !ppm_number(f, &w) ||
        !ppm_number(f, &h) || !ppm_number(f, &maxval) || w == 0 || h == 0 ||
        maxval != 255) {
        fprintf(stderr, "%s: not a binary PGM/PPM file with 8-bit samples\n",
                path);
        fclose(f);
        return -1;
    }
    img->width = (uint32_t)w;
    img->height = (uint32_t)h;
    img->channels = magic[1] == '6' ? 3 : 1;
    len = (size_t)w * h * img->channels;
    img->pixels = (uint8_t *)malloc(len);
    if (img->pixels == NULL || fread(img->pixels, 1, len, f) != len) {
        fprintf(stderr, "%s: truncated pixel data\n", path);
        free(img->pixels);
        img->pixels = NULL;
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

/* Writes pixels as P6 (3 channels) or P5 (1 channel). Returns 0 on success,
 * and prints why and returns -1 otherwise. */
static int ppm_write(const char *path, uint32_t width, uint32_t height,
                     uint32_t channels, const uint8_t *pixels)
{
    FILE *f = fopen(path, "wb");
    size_t len = (size_t)width * height * channels;
    int ok;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    ok = fprintf(f, "P%c\n%lu %lu\n255\n", channels == 3 ? '6' : '5',
                 (unsigned long)width, (unsigned long)height) > 0 &&
         fwrite(pixels, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "%s: write failed\n", path);
        return -1;
    }
    return 0;
}

#endif /* FLOWBB_EXAMPLE_PPM_H */
