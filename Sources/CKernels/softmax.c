// Row softmax for the attention: max, e^(x − max) with Cephes' expf polynomial, sum, scale,
// written with clang's vector extensions and cloned for AVX-512, AVX2 and the baseline.
// The vector code stays in one function (macros, no vector arguments): a helper taking a
// 64-byte vector would have a different ABI in each clone.
#include "CKernels.h"
#include <math.h>
#include <string.h>

typedef float lanes __attribute__((vector_size(64)));
typedef int32_t ints __attribute__((vector_size(64)));
typedef uint32_t words __attribute__((vector_size(64)));
typedef uint16_t halves __attribute__((vector_size(32)));
enum { width = 16 };

#define LOAD(v, p) memcpy(&(v), (p), sizeof(lanes))
#define STORE(p, v) memcpy((p), &(v), sizeof(lanes))

// y = e^x on [-87.3, 88] (clamped outside), about 1 ulp: n = round(x·log2 e) by adding
// 1.5·2²³, x − n·ln 2 in two parts, a degree-5 polynomial, then 2ⁿ from the exponent bits.
#define EXP(y, input) do { \
    lanes x_ = __builtin_elementwise_min(__builtin_elementwise_max((input), zero - 87.33654f), zero + 88.0f); \
    lanes shifted_ = x_ * 1.442695041f + 12582912.0f; \
    lanes n_ = shifted_ - 12582912.0f; \
    lanes r_ = x_ - n_ * 0.693359375f; \
    r_ = r_ + n_ * 2.12194440e-4f; \
    lanes z_ = r_ * r_; \
    lanes p_ = zero + 1.9875691500e-4f; \
    p_ = p_ * r_ + 1.3981999507e-3f; \
    p_ = p_ * r_ + 8.3334519073e-3f; \
    p_ = p_ * r_ + 4.1665795894e-2f; \
    p_ = p_ * r_ + 1.6666665459e-1f; \
    p_ = p_ * r_ + 5.0000001201e-1f; \
    p_ = p_ * z_ + r_ + 1.0f; \
    ints exponent_ = (((ints)shifted_ - 0x4B400000) + 127) << 23; \
    (y) = p_ * (lanes)exponent_; \
} while (0)

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void ckernels_softmax_rows(float *scores, int rows, int columns, uint16_t *narrow) {
    const lanes zero = {0};
    const int whole = columns / width * width;
    for (int row = 0; row < rows; row++) {
        float *x = scores + (long)row * columns;
        lanes v, top = zero - INFINITY;
        for (int j = 0; j < whole; j += width) {
            LOAD(v, x + j);
            top = __builtin_elementwise_max(v, top);
        }
        float maximum = __builtin_reduce_max(top);
        for (int j = whole; j < columns; j++) maximum = x[j] > maximum ? x[j] : maximum;

        lanes e, sums = zero;
        for (int j = 0; j < whole; j += width) {
            LOAD(v, x + j);
            EXP(e, v - maximum);
            STORE(x + j, e);
            sums += e;
        }
        float sum = 0;
        for (int i = 0; i < width; i++) sum += sums[i];
        if (whole < columns) {
            lanes tail = zero + maximum;
            for (int j = whole; j < columns; j++) tail[j - whole] = x[j];
            EXP(e, tail - maximum);
            for (int j = whole; j < columns; j++) { x[j] = e[j - whole]; sum += e[j - whole]; }
        }

        const float inverse = 1.0f / sum;
        uint16_t *y = narrow ? narrow + (long)row * columns : 0;
        for (int j = 0; j < whole; j += width) {
            LOAD(v, x + j);
            v = v * inverse;
            if (y) {
                words bits = (words)v;
                halves rounded = __builtin_convertvector((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16, halves);
                memcpy(y + j, &rounded, sizeof rounded);
            } else {
                STORE(x + j, v);
            }
        }
        for (int j = whole; j < columns; j++) {
            float p = x[j] * inverse;
            if (y) {
                uint32_t bits;
                memcpy(&bits, &p, sizeof bits);
                y[j] = (uint16_t)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
            } else {
                x[j] = p;
            }
        }
    }
}
