// C glue that Swift cannot express: libjpeg and libpng report errors by longjmp from a
// callback, so decoding and encoding run here and hand back a status code and a message.
#ifndef DPCL_SHIM_H
#define DPCL_SHIM_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    DPCL_IMAGE_OK = 0,
    DPCL_IMAGE_NOT_IMAGE = 1,      // the bytes are not this format at all
    DPCL_IMAGE_CORRUPT = 2,        // malformed data
    DPCL_IMAGE_TRUNCATED = 3,      // the data ends early
    DPCL_IMAGE_TOO_LARGE = 4,      // declared dimensions over the limits
    DPCL_IMAGE_UNSUPPORTED = 5,    // a valid file of a kind not handled
    DPCL_IMAGE_NO_MEMORY = 6,
    DPCL_IMAGE_TOO_MANY_SCANS = 7, // progressive JPEG over the scan cap
} dpcl_image_status;

typedef struct {
    uint64_t max_pixels;  // width * height
    uint32_t max_side;    // max(width, height)
    uint32_t max_scans;   // progressive JPEG scans; 0 = no cap
} dpcl_image_limits;

#define DPCL_MESSAGE_CAPACITY 200

typedef struct {
    uint8_t *pixels;  // packed rows of width * 3 bytes (RGB8); release with dpcl_free
    uint32_t width;   // also set, to the declared size, on DPCL_IMAGE_TOO_LARGE
    uint32_t height;
    char message[DPCL_MESSAGE_CAPACITY];
} dpcl_image_result;

/// Decodes a JPEG (baseline or progressive; gray, YCbCr, RGB, CMYK or YCCK) to RGB8.
/// Declared dimensions are checked against `limits` before any pixel buffer is allocated.
dpcl_image_status dpcl_jpeg_decode_rgb(const uint8_t *data, size_t size,
                                       dpcl_image_limits limits,
                                       dpcl_image_result *result);

/// Encodes packed 8-bit pixels (`components` = 1 gray or 3 RGB) as a baseline JPEG.
/// On success `*out` holds `*out_size` bytes; release with dpcl_free.
dpcl_image_status dpcl_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height,
                                   int components, int quality,
                                   uint8_t **out, size_t *out_size,
                                   char message[DPCL_MESSAGE_CAPACITY]);

typedef struct {
    void *samples;       // width * height samples, uint8 (bit_depth 8) or host-order uint16 (16)
    uint32_t width;
    uint32_t height;
    uint32_t bit_depth;  // 8 or 16: how wide each sample in `samples` is
    char message[DPCL_MESSAGE_CAPACITY];
} dpcl_id_result;

typedef enum {
    DPCL_PNG_GRAY8 = 0,
    DPCL_PNG_GRAY16 = 1,  // samples in host byte order
    DPCL_PNG_RGB8 = 2,
    DPCL_PNG_RGBA8 = 3,
} dpcl_png_format;

/// Decodes any PNG (gray, gray+alpha, RGB, RGBA, palette; 1 to 16 bits; interlaced) to RGB8:
/// 16-bit samples keep their high byte, alpha and tRNS are dropped, gamma is not applied.
/// Declared dimensions are checked against `limits` before any pixel buffer is allocated.
dpcl_image_status dpcl_png_decode_rgb(const uint8_t *data, size_t size, dpcl_image_limits limits,
                                      dpcl_image_result *result);

/// Decodes a gray or palette PNG to its stored sample values (palette index, unscaled low-depth
/// gray), for instance-id masks. Any other colour type is DPCL_IMAGE_UNSUPPORTED.
dpcl_image_status dpcl_png_decode_ids(const uint8_t *data, size_t size, dpcl_image_limits limits,
                                      dpcl_id_result *result);

/// Encodes packed pixels as a non-interlaced PNG at zlib `level` (0...9).
/// On success `*out` holds `*out_size` bytes; release with dpcl_free.
dpcl_image_status dpcl_png_encode(const void *pixels, uint32_t width, uint32_t height,
                                  dpcl_png_format format, int level, uint8_t **out,
                                  size_t *out_size, char message[DPCL_MESSAGE_CAPACITY]);

/// libpng's version, e.g. "1.6.39".
const char *dpcl_png_version(void);

/// libjpeg-turbo's version, e.g. "2.1.5".
const char *dpcl_jpeg_version(void);

void dpcl_free(void *pointer);

#endif
