// What the two register-tile paths (ConvKernels.c: AVX2 or plain C; Avx512.c: AVX-512) share: the packing
// of B panels and of the weight gradient's A block. Not part of the API.
#ifndef LAM_CONV_PACKING_H
#define LAM_CONV_PACKING_H
#include "ConvKernels.h"

#define LAM_HIDDEN __attribute__((visibility("hidden")))

static inline int min_int(int a, int b) { return a < b ? a : b; }

#if defined(__x86_64__)
#include <immintrin.h>
// Transposes eight rows r[0..7] of 8 floats in place: r[i] becomes (r[0][i], ..., r[7][i]). Both tiles'
// column-matrix transposes use it (AVX2 instructions; inlined into the AVX-512 path too).
static inline __attribute__((always_inline, target("avx2"))) void lam_transpose_8x8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; i++) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}
#endif

// How the 16 positions of one B strip lie in the source: one run of 16 (a window row of 16 or more), two
// of 8 or four of 4 (rows of an 8- or 4-wide output), or anything else, read float by float.
typedef struct {
  int valid;  // positions < n in the strip; the rest of the strip is zero
  int runLength;  // 16, 8 or 4 when the strip is valid runs of that length; 0 otherwise
  int32_t offsets[LAM_NR];  // positions[p0 + j]
} Strip;

LAM_HIDDEN void lam_describe_strip(const int32_t *positions, int p0, int n, Strip *s);
// dst[kk*ld + j] = image[taps[k0 + kk] + offsets[j]] for kk < kc, j < 16: rows k0..<k0+kc of one B strip.
LAM_HIDDEN void lam_pack_b_strip(const float *image, const int32_t *taps, int k0, int kc, const Strip *s, float *dst,
                                 int ld);
// Adds one strip of C [m, 16] (rows ldc apart) onto the places of rows 0..<m, column j at
// dest + out_taps[r] + the strip's offsets[j].
LAM_HIDDEN void lam_add_strip(int m, const float *c, int ldc, float *dest, const int32_t *out_taps, const Strip *s);
// panel[kk*ld + j] = the column matrix's entry (j0 + j, position q0 + kk) for kk < kc, j < 16, zero for
// j0 + j past `columns`.
LAM_HIDDEN void lam_pack_bt_panel(const float *source, long image_stride, const int32_t *taps, int j0, int columns,
                                  const int32_t *positions, int n, long q0, int kc, float *panel, int ld);
// The weight gradient's A block [mp/6][kc][6]: positions q0..<q0+kc of rows < m of every A_i, crossing from
// one image to the next (rows past m are not written).
LAM_HIDDEN void lam_pack_a_block(int m, int n, const float *a, long a_image_stride, long q0, int kc, float *a_block);

// The AVX-512 variants of the three products (Avx512.c), with the same arguments (ConvKernels.c calls them).
LAM_HIDDEN void lam_gemm_columns_avx512(int m, int k, int n, int images, const float *packed_a, const float *source,
                                        long image_stride, const int32_t *taps, const int32_t *positions, float *c,
                                        float *b_block);
LAM_HIDDEN void lam_gemm_columns_add_avx512(int m, int k, int n, int images, const float *packed_a,
                                            const float *source, long image_stride, const int32_t *taps,
                                            const int32_t *positions, float *dest, long dest_stride,
                                            const int32_t *out_taps, const int32_t *out_positions, float *strip,
                                            float *b_block);
LAM_HIDDEN void lam_gemm_columns_t_avx512(int m, int columns, int n, int images, const float *a, long a_image_stride,
                                          const float *source, long image_stride, const int32_t *taps,
                                          const int32_t *positions, float *c, int ldc, float *a_block,
                                          float *b_panel);
#endif
