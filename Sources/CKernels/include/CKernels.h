// Kernels compiled once per x86 instruction set and chosen at load (ifunc): Swift compiles
// for the baseline x86-64, whose 128-bit vectors leave AVX-512 and AVX2 units idle.
#ifndef CKERNELS_H
#define CKERNELS_H
#include <stdint.h>

/// Softmax of each of `rows` dense rows of `columns` scores, in float32: in place, or with
/// `narrow` non-null written there as bfloat16 (round to nearest even), the scores then
/// left holding the unnormalised exponentials.
void ckernels_softmax_rows(float *scores, int rows, int columns, uint16_t *narrow);

#endif
