// JPEG decode/encode through libjpeg-turbo with setjmp-based error recovery, limits
// checked on the header, and a cap on progressive scans (each scan re-walks the image).
#include "dpcl_shim.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#define DPCL_STRINGIFY_(x) #x
#define DPCL_STRINGIFY(x) DPCL_STRINGIFY_(x)

const char *dpcl_jpeg_version(void) {
#ifdef LIBJPEG_TURBO_VERSION
    return DPCL_STRINGIFY(LIBJPEG_TURBO_VERSION);
#else
    return "libjpeg " DPCL_STRINGIFY(JPEG_LIB_VERSION);
#endif
}

void dpcl_free(void *pointer) { free(pointer); }

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    dpcl_image_status status;
    char *message;
} error_context;

typedef struct {
    struct jpeg_progress_mgr base;
    error_context *errors;
    uint32_t max_scans;
} progress_context;

static void set_message(char *message, const char *text) {
    if (message == NULL) return;
    snprintf(message, DPCL_MESSAGE_CAPACITY, "%s", text);
}

static void on_error(j_common_ptr cinfo) {
    error_context *errors = (error_context *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    set_message(errors->message, text);
    switch (cinfo->err->msg_code) {
    case JERR_NO_SOI:
        errors->status = DPCL_IMAGE_NOT_IMAGE;
        break;
    case JERR_INPUT_EOF:
        errors->status = DPCL_IMAGE_TRUNCATED;
        break;
    case JERR_OUT_OF_MEMORY:
        errors->status = DPCL_IMAGE_NO_MEMORY;
        break;
    // Valid JPEG of a kind not handled: 12-bit samples, unusual component counts.
    case JERR_BAD_PRECISION:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_NOT_COMPILED:
        errors->status = DPCL_IMAGE_UNSUPPORTED;
        break;
    default:
        errors->status = DPCL_IMAGE_CORRUPT;
    }
    longjmp(errors->jump, 1);
}

// Warnings are silent except a premature end of data, which libjpeg would otherwise
// paper over with grey rows: a truncated upload must be an error, not a picture.
static void on_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        error_context *errors = (error_context *)cinfo->err;
        set_message(errors->message, "JPEG data ends before the image is complete");
        errors->status = DPCL_IMAGE_TRUNCATED;
        longjmp(errors->jump, 1);
    }
}

static void on_progress(j_common_ptr cinfo) {
    progress_context *progress = (progress_context *)cinfo->progress;
    if (!cinfo->is_decompressor || progress->max_scans == 0) return;
    j_decompress_ptr decoder = (j_decompress_ptr)cinfo;
    if ((uint32_t)decoder->input_scan_number > progress->max_scans) {
        char text[DPCL_MESSAGE_CAPACITY];
        snprintf(text, sizeof text, "progressive JPEG has more than %u scans",
                 progress->max_scans);
        set_message(progress->errors->message, text);
        progress->errors->status = DPCL_IMAGE_TOO_MANY_SCANS;
        longjmp(progress->errors->jump, 1);
    }
}

// CMYK to RGB exactly as Pillow does it, so decoded pixels agree with the Python tooling:
// Pillow reads every CMYK JPEG as Adobe-inverted ("CMYK;I": stored value = 255 - ink,
// whether or not an Adobe marker says so; nearly every CMYK JPEG comes from Adobe
// software) and converts with R = (255 - K) - (C * (255 - K)) / 255, rounded the way its
// MULDIV255 macro rounds.
static inline unsigned muldiv255(unsigned a, unsigned b) {
    unsigned t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

static void cmyk_row_to_rgb(const uint8_t *stored, uint8_t *rgb, uint32_t width) {
    for (uint32_t x = 0; x < width; x++) {
        const uint8_t *s = stored + 4 * x;
        unsigned nk = s[3];  // 255 - K, with K = 255 - stored
        rgb[3 * x] = (uint8_t)(nk - muldiv255(255u - s[0], nk));
        rgb[3 * x + 1] = (uint8_t)(nk - muldiv255(255u - s[1], nk));
        rgb[3 * x + 2] = (uint8_t)(nk - muldiv255(255u - s[2], nk));
    }
}

dpcl_image_status dpcl_jpeg_decode_rgb(const uint8_t *data, size_t size,
                                       dpcl_image_limits limits,
                                       dpcl_image_result *result) {
    struct jpeg_decompress_struct cinfo;
    error_context errors;
    progress_context progress;
    // volatile: assigned between setjmp and longjmp, read after the jump.
    uint8_t *volatile pixels = NULL;
    uint8_t *volatile row = NULL;

    memset(result, 0, sizeof *result);
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) {
        set_message(result->message, "not a JPEG file (no start-of-image marker)");
        return DPCL_IMAGE_NOT_IMAGE;
    }

    cinfo.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = on_error;
    errors.base.emit_message = on_message;
    errors.status = DPCL_IMAGE_OK;
    errors.message = result->message;
    if (setjmp(errors.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(row);
        return errors.status;
    }
    jpeg_create_decompress(&cinfo);
    progress.base.progress_monitor = on_progress;
    progress.errors = &errors;
    progress.max_scans = limits.max_scans;
    cinfo.progress = &progress.base;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    uint64_t width = cinfo.image_width, height = cinfo.image_height;
    if ((limits.max_side && (width > limits.max_side || height > limits.max_side)) ||
        (limits.max_pixels && width * height > limits.max_pixels)) {
        snprintf(result->message, DPCL_MESSAGE_CAPACITY,
                 "JPEG declares %llux%llu pixels, over the limit", (unsigned long long)width,
                 (unsigned long long)height);
        jpeg_destroy_decompress(&cinfo);
        result->width = (uint32_t)width;  // the declared size, for the caller's message
        result->height = (uint32_t)height;
        return DPCL_IMAGE_TOO_LARGE;
    }

    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&cinfo);

    pixels = malloc((size_t)(width * height * 3));
    if (cmyk) row = malloc((size_t)width * 4);
    if (pixels == NULL || (cmyk && row == NULL)) {
        set_message(result->message, "out of memory for the decoded image");
        errors.status = DPCL_IMAGE_NO_MEMORY;
        longjmp(errors.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *target = pixels + (size_t)cinfo.output_scanline * width * 3;
        JSAMPROW rows[1] = {cmyk ? row : target};
        jpeg_read_scanlines(&cinfo, rows, 1);
        if (cmyk) cmyk_row_to_rgb(row, target, (uint32_t)width);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);

    result->pixels = pixels;
    result->width = (uint32_t)width;
    result->height = (uint32_t)height;
    return DPCL_IMAGE_OK;
}

dpcl_image_status dpcl_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height,
                                   int components, int quality,
                                   uint8_t **out, size_t *out_size,
                                   char message[DPCL_MESSAGE_CAPACITY]) {
    struct jpeg_compress_struct cinfo;
    error_context errors;
    unsigned char *volatile buffer = NULL;
    unsigned long buffer_size = 0;

    *out = NULL;
    *out_size = 0;
    if (components != 1 && components != 3) {
        set_message(message, "JPEG encoding takes 1 (gray) or 3 (RGB) components");
        return DPCL_IMAGE_UNSUPPORTED;
    }
    cinfo.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = on_error;
    errors.status = DPCL_IMAGE_OK;
    errors.message = message;
    if (setjmp(errors.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return errors.status;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buffer, &buffer_size);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)components;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW rows[1] = {(JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride)};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = buffer_size;
    return DPCL_IMAGE_OK;
}
