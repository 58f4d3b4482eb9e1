#include "Packing.h"
#include <stdlib.h>
#include <string.h>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

// MARK: - Which tile

// AVX-512 when the CPU has it (checked once per process; LAM_CONV_KERNELS=avx2 keeps the build's own path),
// else the path this file was compiled for. A thread may choose for itself (lam_use_kernels), so that tests
// can run both paths side by side while other threads keep theirs.
static _Thread_local int chosen;  // 0: automatic

static int automatic_kernels(void) {
  static int found;  // 0 until the first call; every thread finds the same value
  int path = __atomic_load_n(&found, __ATOMIC_RELAXED);
  if (path) return path;
  path = LAM_KERNELS_BUILD;
#if defined(__x86_64__)
  const char *forced = getenv("LAM_CONV_KERNELS");
  if (!(forced && strcmp(forced, "avx2") == 0) && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512vl"))
    path = LAM_KERNELS_AVX512;
#endif
  __atomic_store_n(&found, path, __ATOMIC_RELAXED);
  return path;
}

int lam_kernels(void) { return chosen ? chosen : automatic_kernels(); }

int lam_use_kernels(int kernels) {
  int available = kernels == 0 || kernels == LAM_KERNELS_BUILD;
#if defined(__x86_64__)
  available |= kernels == LAM_KERNELS_AVX512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
#endif
  if (available) chosen = kernels;
  return available;
}

// MARK: - The register tile

// C[rows, 16] (rows ldc apart) = (or +=, when `accumulate`) the sum over p < k of a[p*6 + i] * b[p*16 + j]:
// one packed A panel (of which the first `rows` of 6 are used) times one packed B panel. Up to twelve
// 8-float accumulators stay in registers for the whole depth; each step loads 16 floats of B and
// broadcasts `rows` of A. Inlined with a constant `rows`, the loops over rows unroll away.
//
// With `fold_taps`, row i of the result is added onto fold + fold_taps[i] instead of stored in C: columns
// 4j..4j+3 at fold_offsets[4j] on (a strip of runs of 4 or more, `run` long). C is then only read.
static inline __attribute__((always_inline)) void tile_rows(int rows, int k, const float *a, const float *b,
                                                            float *c, int ldc, int accumulate, float *fold,
                                                            const int32_t *fold_taps, const int32_t *fold_offsets,
                                                            int run) {
#if defined(__AVX2__) && defined(__FMA__)
  __m256 acc[LAM_MR][2];
  for (int i = 0; i < rows; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int p = 0; p < k; p++, a += LAM_MR, b += LAM_NR) {
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    for (int i = 0; i < rows; i++) {
      __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  for (int i = 0; i < rows; i++) {
    float *row = c + (long)i * ldc;
    __m256 r0 = acc[i][0], r1 = acc[i][1];
    if (accumulate) {
      r0 = _mm256_add_ps(r0, _mm256_loadu_ps(row));
      r1 = _mm256_add_ps(r1, _mm256_loadu_ps(row + 8));
    }
    if (!fold_taps) {
      _mm256_storeu_ps(row, r0);
      _mm256_storeu_ps(row + 8, r1);
    } else if (run >= 8) {
      float *d0 = fold + fold_taps[i] + fold_offsets[0], *d1 = fold + fold_taps[i] + fold_offsets[8];
      _mm256_storeu_ps(d0, _mm256_add_ps(_mm256_loadu_ps(d0), r0));
      _mm256_storeu_ps(d1, _mm256_add_ps(_mm256_loadu_ps(d1), r1));
    } else {
      __m128 q[4] = {_mm256_castps256_ps128(r0), _mm256_extractf128_ps(r0, 1), _mm256_castps256_ps128(r1),
                     _mm256_extractf128_ps(r1, 1)};
      for (int j = 0; j < 4; j++) {
        float *d = fold + fold_taps[i] + fold_offsets[4 * j];
        _mm_storeu_ps(d, _mm_add_ps(_mm_loadu_ps(d), q[j]));
      }
    }
  }
#else
  float sum[LAM_MR][LAM_NR] = {{0}};
  for (int p = 0; p < k; p++, a += LAM_MR, b += LAM_NR)
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < LAM_NR; j++) sum[i][j] += a[i] * b[j];
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < LAM_NR; j++) {
      float v = (accumulate ? c[(long)i * ldc + j] : 0) + sum[i][j];
      if (fold_taps) fold[fold_taps[i] + fold_offsets[j / 4 * 4] + j % 4] += v;
      else c[(long)i * ldc + j] = v;
    }
  (void)run;
#endif
}

// tile_rows for the rows of C that exist (up to 6): a last panel of 2 rows of a 32-row A costs a third of
// a full one instead of as much. Every entry of C is the same sum in the same order whatever `rows` is.
static void tile(int rows, int k, const float *a, const float *b, float *c, int ldc, int accumulate) {
  switch (rows < LAM_MR ? rows : LAM_MR) {
  case 1: tile_rows(1, k, a, b, c, ldc, accumulate, 0, 0, 0, 0); break;
  case 2: tile_rows(2, k, a, b, c, ldc, accumulate, 0, 0, 0, 0); break;
  case 3: tile_rows(3, k, a, b, c, ldc, accumulate, 0, 0, 0, 0); break;
  case 4: tile_rows(4, k, a, b, c, ldc, accumulate, 0, 0, 0, 0); break;
  case 5: tile_rows(5, k, a, b, c, ldc, accumulate, 0, 0, 0, 0); break;
  default: tile_rows(LAM_MR, k, a, b, c, ldc, accumulate, 0, 0, 0, 0);
  }
}

// tile with the rows added onto fold + fold_taps[i] at the offsets of a strip of runs (tile_rows); `c` holds
// the earlier passes' sums when `accumulate`. The product goes from registers to its places, not via C.
// (One dispatcher for both, with the fold a runtime choice, made the folded products 5% slower.)
static void tile_fold(int rows, int k, const float *a, const float *b, float *c, int accumulate, float *fold,
                      const int32_t *fold_taps, const int32_t *fold_offsets, int run) {
  switch (rows < LAM_MR ? rows : LAM_MR) {
  case 1: tile_rows(1, k, a, b, c, LAM_NR, accumulate, fold, fold_taps, fold_offsets, run); break;
  case 2: tile_rows(2, k, a, b, c, LAM_NR, accumulate, fold, fold_taps, fold_offsets, run); break;
  case 3: tile_rows(3, k, a, b, c, LAM_NR, accumulate, fold, fold_taps, fold_offsets, run); break;
  case 4: tile_rows(4, k, a, b, c, LAM_NR, accumulate, fold, fold_taps, fold_offsets, run); break;
  case 5: tile_rows(5, k, a, b, c, LAM_NR, accumulate, fold, fold_taps, fold_offsets, run); break;
  default: tile_rows(LAM_MR, k, a, b, c, LAM_NR, accumulate, fold, fold_taps, fold_offsets, run);
  }
}

// MARK: - Packing A

void lam_pack_a(const float *a, int m, int k, int lda, int transposed, float *packed) {
  int mp = lam_padded_rows(m);
  for (int i0 = 0; i0 < mp; i0 += LAM_MR) {
    float *panel = packed + (long)i0 * k;  // [k][6]
    int rows = min_int(LAM_MR, m - i0);
    if (transposed) {  // step p of the panel is 6 neighbours in row p of the stored matrix
      for (int p = 0; p < k; p++) {
        const float *src = a + (long)p * lda + i0;
        for (int i = 0; i < LAM_MR; i++) panel[p * LAM_MR + i] = i < rows ? src[i] : 0;
      }
      continue;
    }
    for (int i = 0; i < LAM_MR; i++) {
      const float *src = a + (long)(i0 + i) * lda;
      for (int p = 0; p < k; p++) panel[p * LAM_MR + i] = i < rows ? src[p] : 0;
    }
  }
}

// MARK: - Column matrix as B

void lam_describe_strip(const int32_t *positions, int p0, int n, Strip *s) {
  s->valid = min_int(LAM_NR, n - p0);
  for (int j = 0; j < s->valid; j++) s->offsets[j] = positions[p0 + j];
  s->runLength = 0;
  if (s->valid < LAM_NR) return;
  for (int length = LAM_NR; length >= 4; length /= 2) {
    int contiguous = 1;
    for (int j = 0; j < LAM_NR && contiguous; j++)
      if (j % length != 0 && s->offsets[j] != s->offsets[j - 1] + 1) contiguous = 0;
    if (contiguous) { s->runLength = length; return; }
  }
}

void lam_pack_b_strip(const float *image, const int32_t *taps, int k0, int kc, const Strip *s, float *dst, int ld) {
  for (int kk = 0; kk < kc; kk++, dst += ld) {
    const float *src = image + taps[k0 + kk];
    switch (s->runLength) {
    case 16:
      memcpy(dst, src + s->offsets[0], 16 * sizeof(float));
      break;
    case 8:
      memcpy(dst, src + s->offsets[0], 8 * sizeof(float));
      memcpy(dst + 8, src + s->offsets[8], 8 * sizeof(float));
      break;
    case 4:
      for (int r = 0; r < LAM_NR; r += 4) memcpy(dst + r, src + s->offsets[r], 4 * sizeof(float));
      break;
    default:
      for (int j = 0; j < s->valid; j++) dst[j] = src[s->offsets[j]];
      for (int j = s->valid; j < LAM_NR; j++) dst[j] = 0;
    }
  }
}

void lam_gemm_columns(int m, int k, int n, int images, const float *packed_a,
                      const float *source, long image_stride, const int32_t *taps, const int32_t *positions,
                      float *c, float *b_block) {
  int mp = lam_padded_rows(m), np = lam_padded_cols(n), ldc = images * np;
  int strips = ldc / LAM_NR, block = LAM_NC / LAM_NR;
  if (k == 0) { memset(c, 0, sizeof(float) * (size_t)m * ldc); return; }
#if defined(__x86_64__)
  if (lam_kernels() == LAM_KERNELS_AVX512) {
    lam_gemm_columns_avx512(m, k, n, images, packed_a, source, image_stride, taps, positions, c, b_block);
    return;
  }
#endif
  for (int s0 = 0; s0 < strips; s0 += block) {
    int s1 = min_int(strips, s0 + block);
    for (int k0 = 0; k0 < k; k0 += LAM_KC) {
      int kc = min_int(LAM_KC, k - k0);
      // Each B strip (16 KB) is packed just before its tiles, so that it is written and read in L1 while
      // every A panel streams past it from L2.
      for (int s = s0; s < s1; s++) {
        int image = s * LAM_NR / np, p0 = s * LAM_NR % np;
        Strip strip;
        lam_describe_strip(positions, p0, n, &strip);
        lam_pack_b_strip(source + image * image_stride, taps, k0, kc, &strip, b_block, LAM_NR);
        for (int i0 = 0; i0 < mp; i0 += LAM_MR)
          tile(m - i0, kc, packed_a + (long)i0 * k + k0 * LAM_MR, b_block, c + (long)i0 * ldc + s * LAM_NR, ldc, k0 > 0);
      }
    }
  }
}

// For strips that are not runs (tile_fold adds those).
void lam_add_strip(int m, const float *c, int ldc, float *dest, const int32_t *out_taps, const Strip *s) {
  for (int r = 0; r < m; r++) {
    float *dst = dest + out_taps[r];
    for (int j = 0; j < s->valid; j++) dst[s->offsets[j]] += c[(long)r * ldc + j];
  }
}

void lam_gemm_columns_add(int m, int k, int n, int images, const float *packed_a,
                          const float *source, long image_stride, const int32_t *taps, const int32_t *positions,
                          float *dest, long dest_stride, const int32_t *out_taps, const int32_t *out_positions,
                          float *strip, float *b_block) {
  int mp = lam_padded_rows(m), np = lam_padded_cols(n);
  if (k == 0) return;
#if defined(__x86_64__)
  if (lam_kernels() == LAM_KERNELS_AVX512) {
    lam_gemm_columns_add_avx512(m, k, n, images, packed_a, source, image_stride, taps, positions, dest, dest_stride,
                                out_taps, out_positions, strip, b_block);
    return;
  }
#endif
  for (int image = 0; image < images; image++) {
    for (int p0 = 0; p0 < np; p0 += LAM_NR) {
      Strip in, out;
      lam_describe_strip(positions, p0, n, &in);
      lam_describe_strip(out_positions, p0, n, &out);
      // The strip of C [mp, 16] stays in L1/L2 across the passes. The last pass adds it where it belongs
      // straight from the register tile when its places are runs; otherwise it is added afterwards.
      float *target = dest + image * dest_stride;
      for (int k0 = 0; k0 < k; k0 += LAM_KC) {
        int kc = min_int(LAM_KC, k - k0), last = k0 + kc == k;
        lam_pack_b_strip(source + image * image_stride, taps, k0, kc, &in, b_block, LAM_NR);
        for (int i0 = 0; i0 < mp; i0 += LAM_MR) {
          const float *a = packed_a + (long)i0 * k + k0 * LAM_MR;
          float *c = strip + (long)i0 * LAM_NR;
          if (last && out.runLength)
            tile_fold(m - i0, kc, a, b_block, c, k0 > 0, target, out_taps + i0, out.offsets, out.runLength);
          else
            tile(m - i0, kc, a, b_block, c, LAM_NR, k0 > 0);
        }
      }
      if (!out.runLength) lam_add_strip(m, strip, LAM_NR, target, out_taps, &out);
    }
  }
}

// MARK: - Column matrix as B^T (weight gradients)

#if defined(__AVX2__) && defined(__FMA__)

// Stores the transpose of eight rows r[0..7] of 8 floats: dst + i*ld gets (r[0][i], ..., r[7][i]).
static inline void store_transposed_8x8(__m256 r[8], float *dst, int ld) {
  lam_transpose_8x8(r);
  for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + i * ld, r[i]);
}

// Stores the transpose of eight rows of 4 floats, rows[j] at src[j]: dst + i*ld gets (src[0][i], ..., src[7][i]).
static inline void store_transposed_8x4(const float *src[8], float *dst, int ld) {
  __m256 r[4];
  for (int j = 0; j < 4; j++)  // lanes 0-3: row j, lanes 4-7: row j + 4
    r[j] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(src[j])), _mm_loadu_ps(src[j + 4]), 1);
  __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  _mm256_storeu_ps(dst, _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)));
  _mm256_storeu_ps(dst + ld, _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)));
  _mm256_storeu_ps(dst + 2 * ld, _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)));
  _mm256_storeu_ps(dst + 3 * ld, _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)));
}
#endif

// A transpose, done 8 columns x 8 (or 4) positions at a time in registers where positions run on
// contiguously in the source.
void lam_pack_bt_panel(const float *source, long image_stride, const int32_t *taps, int j0, int columns,
                       const int32_t *positions, int n, long q0, int kc, float *panel, int ld) {
  for (int kk = 0; kk < kc;) {
    long q = q0 + kk;
    int image = (int)(q / n), p = (int)(q % n), length = min_int(n - p, kc - kk);
    const float *base = source + image * image_stride;
    for (int jb = 0; jb < LAM_NR; jb += 8) {
      const float *src[8];
      int live = 0;  // columns of this group of 8 inside the matrix
      for (int j = 0; j < 8; j++) {
        src[j] = j0 + jb + j < columns ? base + taps[j0 + jb + j] : 0;
        live += src[j] != 0;
      }
      (void)live;  // read by the vector paths only
      float *dst = panel + (long)kk * ld + jb;
      for (int t = 0; t < length;) {
        const int32_t *at = positions + p + t;
#if defined(__AVX2__) && defined(__FMA__)
        if (live == 8 && t + 8 <= length && at[7] == at[0] + 7) {
          __m256 r[8];
          for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(src[j] + at[0]);
          store_transposed_8x8(r, dst + (long)t * ld, ld);
          t += 8;
          continue;
        }
        if (live == 8 && t + 4 <= length && at[3] == at[0] + 3) {
          const float *rows[8];
          for (int j = 0; j < 8; j++) rows[j] = src[j] + at[0];
          store_transposed_8x4(rows, dst + (long)t * ld, ld);
          t += 4;
          continue;
        }
#endif
        for (int j = 0; j < 8; j++) dst[(long)t * ld + j] = src[j] ? src[j][at[0]] : 0;
        t++;
      }
    }
    kk += length;
  }
}

// A panel of 6 rows is transposed 8 positions at a time in registers.
void lam_pack_a_block(int m, int n, const float *a, long a_image_stride, long q0, int kc, float *a_block) {
  for (int row0 = 0; row0 < m; row0 += LAM_MR) {
    int rows = min_int(LAM_MR, m - row0);
    float *panel = a_block + (long)row0 * kc;  // [kc][6]
    for (int kk = 0; kk < kc;) {
      long q = q0 + kk;
      int image = (int)(q / n), p = (int)(q % n), length = min_int(n - p, kc - kk), t = 0;
      const float *src = a + image * a_image_stride + (long)row0 * n + p;  // row i at src + i*n
#if defined(__AVX2__) && defined(__FMA__)
      for (; rows == LAM_MR && t + 8 <= length; t += 8) {
        __m256 r[8];
        for (int i = 0; i < LAM_MR; i++) r[i] = _mm256_loadu_ps(src + (long)i * n + t);
        r[6] = r[7] = _mm256_setzero_ps();
        lam_transpose_8x8(r);
        for (int j = 0; j < 8; j++) {  // the first 6 floats of each: 4, then 2
          float *dst = panel + (long)(kk + t + j) * LAM_MR;
          _mm_storeu_ps(dst, _mm256_castps256_ps128(r[j]));
          _mm_storel_pi((__m64 *)(dst + 4), _mm256_extractf128_ps(r[j], 1));
        }
      }
#endif
      for (; t < length; t++)
        for (int i = 0; i < rows; i++) panel[(long)(kk + t) * LAM_MR + i] = src[(long)i * n + t];
      kk += length;
    }
  }
}

void lam_gemm_columns_t(int m, int columns, int n, int images, const float *a, long a_image_stride,
                        const float *source, long image_stride, const int32_t *taps, const int32_t *positions,
                        float *c, int ldc, float *a_block, float *b_panel) {
#if defined(__x86_64__)
  if (lam_kernels() == LAM_KERNELS_AVX512) {
    lam_gemm_columns_t_avx512(m, columns, n, images, a, a_image_stride, source, image_stride, taps, positions, c,
                              ldc, a_block, b_panel);
    return;
  }
#endif
  int mp = lam_padded_rows(m), cp = lam_padded_cols(columns);
  long total = (long)images * n;
  for (long q0 = 0; q0 < total; q0 += LAM_KC) {
    int kc = (int)(total - q0 < LAM_KC ? total - q0 : LAM_KC);
    lam_pack_a_block(m, n, a, a_image_stride, q0, kc, a_block);
    for (int j0 = 0; j0 < cp; j0 += LAM_NR) {
      lam_pack_bt_panel(source, image_stride, taps, j0, columns, positions, n, q0, kc, b_panel, LAM_NR);
      for (int i0 = 0; i0 < mp; i0 += LAM_MR)
        tile(m - i0, kc, a_block + (long)i0 * kc, b_panel, c + (long)i0 * ldc + j0, ldc, 1);
    }
  }
}

// MARK: - Phase planes


void lam_split_phases(const float *image, float *planes, int rows, int width, int stride, const int32_t *bases,
                      const int32_t *lo, const int32_t *hi) {
  for (int r = 0; r < rows; r++) {
    float *dst = planes + (long)r * width;
    const float *src = image + bases[r];
    int v = 0;
    for (; v < lo[r]; v++) dst[v] = 0;
    for (; v < hi[r]; v++) dst[v] = src[v * stride];
    for (; v < width; v++) dst[v] = 0;
  }
}

void lam_merge_phases(const float *planes, float *image, int rows, int width, int stride, const int32_t *bases,
                      const int32_t *lo, const int32_t *hi, int add) {
  for (int r = 0; r < rows; r++) {
    const float *src = planes + (long)r * width;
    float *dst = image + bases[r];
    if (add) {
      for (int v = lo[r]; v < hi[r]; v++) dst[v * stride] += src[v];
    } else {
      for (int v = lo[r]; v < hi[r]; v++) dst[v * stride] = src[v];
    }
  }
}

// Stride 2 across: each image row is dealt out to two phase-plane rows, its even pixels to one and its odd
// pixels to the other, 8 at a time with one permute. Planes are zeroed first, so only the pixels are written.
void lam_split_pairs(const float *image, float *planes, int size, int rows, const int32_t *src,
                     const int32_t *even, const int32_t *odd, int evens, int odds) {
  memset(planes, 0, sizeof(float) * (size_t)size);
  for (int r = 0; r < rows; r++) {
    const float *s = image + src[r];
    float *e = planes + even[r], *o = planes + odd[r];
    int t = 0;
#if defined(__AVX2__) && defined(__FMA__)
    const __m256i deal = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    for (; t + 4 <= evens && t + 4 <= odds; t += 4) {
      __m256 x = _mm256_permutevar8x32_ps(_mm256_loadu_ps(s + 2 * t), deal);
      _mm_storeu_ps(e + t, _mm256_castps256_ps128(x));
      _mm_storeu_ps(o + t, _mm256_extractf128_ps(x, 1));
    }
#endif
    for (int u = t; u < evens; u++) e[u] = s[2 * u];
    for (int u = t; u < odds; u++) o[u] = s[2 * u + 1];
  }
}

// The adjoint of lam_split_pairs: the two plane rows interleaved and added onto their image row, or written
// over it when `add` is 0 (no zeroed image to read: a convolution's input gradient when the planes hold
// every pixel).
void lam_merge_pairs(const float *planes, float *image, int rows, const int32_t *src, const int32_t *even,
                     const int32_t *odd, int evens, int odds, int add) {
  for (int r = 0; r < rows; r++) {
    float *d = image + src[r];
    const float *e = planes + even[r], *o = planes + odd[r];
    int t = 0;
#if defined(__AVX2__) && defined(__FMA__)
    for (; t + 4 <= evens && t + 4 <= odds; t += 4) {
      __m128 ev = _mm_loadu_ps(e + t), od = _mm_loadu_ps(o + t);
      __m256 x = _mm256_set_m128(_mm_unpackhi_ps(ev, od), _mm_unpacklo_ps(ev, od));
      _mm256_storeu_ps(d + 2 * t, add ? _mm256_add_ps(_mm256_loadu_ps(d + 2 * t), x) : x);
    }
#endif
    if (add) {
      for (int u = t; u < evens; u++) d[2 * u] += e[u];
      for (int u = t; u < odds; u++) d[2 * u + 1] += o[u];
    } else {
      for (int u = t; u < evens; u++) d[2 * u] = e[u];
      for (int u = t; u < odds; u++) d[2 * u + 1] = o[u];
    }
  }
}
