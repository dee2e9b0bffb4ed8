// PNG decode/encode through libpng with setjmp-based error recovery: limits checked on the
// header before any pixel buffer exists, reads bounded by the input, errors returned.
#include "dpcl_shim.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

// Ancillary chunks (ICC profiles, compressed text) may allocate at most this much each.
#define DPCL_PNG_CHUNK_MALLOC_MAX (8u << 20)
#define DPCL_PNG_CHUNK_CACHE_MAX 128

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int hit_end;
    dpcl_image_status status;
    char *message;
} read_context;

static void set_message(char *message, const char *text) {
    if (message == NULL) return;
    snprintf(message, DPCL_MESSAGE_CAPACITY, "%s", text);
}

static void on_read_error(png_structp png, png_const_charp text) {
    read_context *context = (read_context *)png_get_error_ptr(png);
    if (context->status == DPCL_IMAGE_OK)
        context->status = context->hit_end ? DPCL_IMAGE_TRUNCATED : DPCL_IMAGE_CORRUPT;
    if (context->hit_end)
        set_message(context->message, "PNG data ends before the image is complete");
    else {
        char full[DPCL_MESSAGE_CAPACITY];
        snprintf(full, sizeof full, "corrupt PNG: %s", text);
        set_message(context->message, full);
    }
    png_longjmp(png, 1);
}

// Warnings (bad CRC in an ancillary chunk, odd ICC profiles) do not stop decoding.
static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void read_from_memory(png_structp png, png_bytep out, size_t length) {
    read_context *context = (read_context *)png_get_io_ptr(png);
    if (length > context->size - context->offset) {
        context->hit_end = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(out, context->data + context->offset, length);
    context->offset += length;
}

static int over_limits(uint64_t width, uint64_t height, dpcl_image_limits limits) {
    return (limits.max_side && (width > limits.max_side || height > limits.max_side)) ||
           (limits.max_pixels && width * height > limits.max_pixels);
}

typedef enum { OUTPUT_RGB8, OUTPUT_IDS } output_kind;

// One decoder for both outputs; `ids` keeps the stored sample values (no scaling, no
// palette lookup), for instance-id masks.
static dpcl_image_status decode(const uint8_t *data, size_t size, dpcl_image_limits limits,
                                output_kind kind, void **out_pixels, uint32_t *out_width,
                                uint32_t *out_height, uint32_t *out_bit_depth, char *message) {
    read_context context = {data, size, 0, 0, DPCL_IMAGE_OK, message};
    png_structp png = NULL;
    png_infop info = NULL;
    // volatile: assigned between setjmp and longjmp, read after the jump.
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;

    *out_pixels = NULL;
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        set_message(message, "not a PNG file (no PNG signature)");
        return DPCL_IMAGE_NOT_IMAGE;
    }
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, on_read_error, on_warning);
    if (png != NULL) info = png_create_info_struct(png);
    if (png == NULL || info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        set_message(message, "out of memory for the PNG decoder");
        return DPCL_IMAGE_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        return context.status == DPCL_IMAGE_OK ? DPCL_IMAGE_CORRUPT : context.status;
    }
    png_set_read_fn(png, &context, read_from_memory);
    png_set_chunk_malloc_max(png, DPCL_PNG_CHUNK_MALLOC_MAX);
    png_set_chunk_cache_max(png, DPCL_PNG_CHUNK_CACHE_MAX);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
    png_read_info(png, info);

    png_uint_32 width, height;
    int bit_depth, color_type, interlace;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    if (over_limits(width, height, limits)) {
        snprintf(message, DPCL_MESSAGE_CAPACITY, "PNG declares %ux%u pixels, over the limit",
                 (unsigned)width, (unsigned)height);
        png_destroy_read_struct(&png, &info, NULL);
        *out_width = width;  // the declared size, for the caller's message
        *out_height = height;
        return DPCL_IMAGE_TOO_LARGE;
    }

    size_t bytes_per_pixel;
    if (kind == OUTPUT_RGB8) {
        // Matches Pillow's decode + convert("RGB"): 16-bit samples keep their high byte,
        // low-depth gray is scaled to 0...255, the palette is applied, alpha and tRNS are
        // dropped, gamma is left alone.
        if (bit_depth == 16) png_set_strip_16(png);
        if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
        if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
        if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA)
            png_set_gray_to_rgb(png);
        // Also for a palette with tRNS, which palette_to_rgb expands to alpha.
        png_set_strip_alpha(png);
        bytes_per_pixel = 3;
    } else {
        if (color_type != PNG_COLOR_TYPE_GRAY && color_type != PNG_COLOR_TYPE_PALETTE) {
            set_message(message, "an instance-id PNG must be grayscale (8 or 16 bit) or palette, without alpha");
            png_destroy_read_struct(&png, &info, NULL);
            return DPCL_IMAGE_UNSUPPORTED;
        }
        if (bit_depth < 8) png_set_packing(png);  // one byte per sample, values unscaled
        if (bit_depth == 16) {
            const int one = 1;
            if (*(const char *)&one == 1) png_set_swap(png);  // host order (little-endian)
        }
        bytes_per_pixel = bit_depth == 16 ? 2 : 1;
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t row_bytes = png_get_rowbytes(png, info);
    if (row_bytes != (size_t)width * bytes_per_pixel) {
        set_message(message, "unsupported PNG layout after conversion");
        context.status = DPCL_IMAGE_UNSUPPORTED;
        png_longjmp(png, 1);
    }
    pixels = malloc(row_bytes * (size_t)height);
    rows = malloc(sizeof(png_bytep) * (size_t)height);
    if (pixels == NULL || rows == NULL) {
        set_message(message, "out of memory for the decoded image");
        context.status = DPCL_IMAGE_NO_MEMORY;
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * row_bytes;
    png_read_image(png, rows);
    // No png_read_end: chunks after the image data (text, IEND) cannot change the pixels,
    // and like Pillow a file whose IEND is missing still decodes.
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);

    *out_pixels = pixels;
    *out_width = width;
    *out_height = height;
    if (out_bit_depth) *out_bit_depth = (uint32_t)(bit_depth == 16 ? 16 : 8);
    return DPCL_IMAGE_OK;
}

dpcl_image_status dpcl_png_decode_rgb(const uint8_t *data, size_t size, dpcl_image_limits limits,
                                      dpcl_image_result *result) {
    memset(result, 0, sizeof *result);
    void *pixels = NULL;
    dpcl_image_status status = decode(data, size, limits, OUTPUT_RGB8, &pixels, &result->width,
                                      &result->height, NULL, result->message);
    result->pixels = pixels;
    return status;
}

dpcl_image_status dpcl_png_decode_ids(const uint8_t *data, size_t size, dpcl_image_limits limits,
                                      dpcl_id_result *result) {
    memset(result, 0, sizeof *result);
    void *samples = NULL;
    dpcl_image_status status = decode(data, size, limits, OUTPUT_IDS, &samples, &result->width,
                                      &result->height, &result->bit_depth, result->message);
    result->samples = samples;
    return status;
}

typedef struct {
    uint8_t *bytes;
    size_t size;
    size_t capacity;
    int failed;
} write_buffer;

static void write_to_memory(png_structp png, png_bytep in, size_t length) {
    write_buffer *buffer = (write_buffer *)png_get_io_ptr(png);
    if (length > buffer->capacity - buffer->size) {
        size_t capacity = buffer->capacity ? buffer->capacity : 4096;
        while (length > capacity - buffer->size) {
            if (capacity > SIZE_MAX / 2) png_error(png, "encoded PNG too large");
            capacity *= 2;
        }
        uint8_t *grown = realloc(buffer->bytes, capacity);
        if (grown == NULL) {
            buffer->failed = 1;
            png_error(png, "out of memory for the encoded PNG");
        }
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->size, in, length);
    buffer->size += length;
}

static void flush_memory(png_structp png) { (void)png; }

typedef struct {
    dpcl_image_status status;
    char *message;
} write_errors;

static void on_write_error(png_structp png, png_const_charp text) {
    write_errors *errors = (write_errors *)png_get_error_ptr(png);
    errors->status = DPCL_IMAGE_NO_MEMORY;
    set_message(errors->message, text);
    png_longjmp(png, 1);
}

dpcl_image_status dpcl_png_encode(const void *pixels, uint32_t width, uint32_t height,
                                  dpcl_png_format format, int level, uint8_t **out,
                                  size_t *out_size, char message[DPCL_MESSAGE_CAPACITY]) {
    int color_type, bit_depth = 8;
    size_t bytes_per_pixel;
    switch (format) {
    case DPCL_PNG_GRAY8: color_type = PNG_COLOR_TYPE_GRAY; bytes_per_pixel = 1; break;
    case DPCL_PNG_GRAY16: color_type = PNG_COLOR_TYPE_GRAY; bytes_per_pixel = 2; bit_depth = 16; break;
    case DPCL_PNG_RGB8: color_type = PNG_COLOR_TYPE_RGB; bytes_per_pixel = 3; break;
    case DPCL_PNG_RGBA8: color_type = PNG_COLOR_TYPE_RGB_ALPHA; bytes_per_pixel = 4; break;
    default:
        set_message(message, "unknown PNG pixel format");
        return DPCL_IMAGE_UNSUPPORTED;
    }
    *out = NULL;
    *out_size = 0;
    if (width == 0 || height == 0 || width > PNG_USER_WIDTH_MAX || height > PNG_USER_HEIGHT_MAX) {
        set_message(message, "PNG dimensions must be 1...1000000 on each side");
        return DPCL_IMAGE_UNSUPPORTED;
    }
    if (level < 0 || level > 9) {
        set_message(message, "zlib level must be 0...9");
        return DPCL_IMAGE_UNSUPPORTED;
    }
    write_errors errors = {DPCL_IMAGE_OK, message};
    write_buffer buffer = {NULL, 0, 0, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &errors, on_write_error, on_warning);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    if (png == NULL || info == NULL) {
        png_destroy_write_struct(&png, NULL);
        set_message(message, "out of memory for the PNG encoder");
        return DPCL_IMAGE_NO_MEMORY;
    }
    // `buffer` lives in this frame and is only read after the jump through its address.
    write_buffer *volatile target = &buffer;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(target->bytes);
        return errors.status;
    }
    png_set_write_fn(png, &buffer, write_to_memory, flush_memory);
    png_set_compression_level(png, level);
    png_set_IHDR(png, info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (bit_depth == 16) {
        const int one = 1;
        if (*(const char *)&one == 1) png_set_swap(png);  // samples come in host order
    }
    size_t stride = (size_t)width * bytes_per_pixel;
    for (uint32_t y = 0; y < height; y++)
        png_write_row(png, (png_const_bytep)pixels + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = buffer.bytes;
    *out_size = buffer.size;
    return DPCL_IMAGE_OK;
}

// The linked library's own version (not the header it was built against).
const char *dpcl_png_version(void) { return png_get_libpng_ver(NULL); }
