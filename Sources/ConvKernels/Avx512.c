// The three products on an AVX-512 tile, for CPUs that have it (ConvKernels.c chooses at run time, so one
// binary still runs on AVX2-only and plain x86-64 machines). 32 registers of 16 floats hold a 12 x 32 tile
// (24 accumulators, a B panel two strips wide), or 12 x 16 where only one strip is left; it reads two 6-row
// A panels of lam_pack_a side by side. Every entry of C is the same chain of fused multiply-adds over the
// same passes as on the AVX2 tile; only the order in which folded products of different rows and strips
// reach one place of the destination differs (lam_gemm_columns_add).
#include "Packing.h"
#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define INLINE static inline __attribute__((always_inline)) AVX512
// Loops over a tile's accumulators unrolled whole, so that they stay in registers from the first step to
// the last store instead of going through the stack.
#if defined(__clang__)
#define UNROLL _Pragma("unroll")
#else
#define UNROLL _Pragma("GCC unroll 24")
#endif

// Adds the 16 floats of r onto d + the strip's places (runs of 16, 8 or 4).
INLINE void fold_strip(float *d, const Strip *s, __m512 r) {
  switch (s->runLength) {
  case 16:
    d += s->offsets[0];
    _mm512_storeu_ps(d, _mm512_add_ps(_mm512_loadu_ps(d), r));
    break;
  case 8: {
    float *d0 = d + s->offsets[0], *d1 = d + s->offsets[8];
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(r), 1));
    _mm256_storeu_ps(d0, _mm256_add_ps(_mm256_loadu_ps(d0), _mm512_castps512_ps256(r)));
    _mm256_storeu_ps(d1, _mm256_add_ps(_mm256_loadu_ps(d1), hi));
    break;
  }
  default: {
    float *d0 = d + s->offsets[0], *d1 = d + s->offsets[4], *d2 = d + s->offsets[8], *d3 = d + s->offsets[12];
    _mm_storeu_ps(d0, _mm_add_ps(_mm_loadu_ps(d0), _mm512_castps512_ps128(r)));
    _mm_storeu_ps(d1, _mm_add_ps(_mm_loadu_ps(d1), _mm512_extractf32x4_ps(r, 1)));
    _mm_storeu_ps(d2, _mm_add_ps(_mm_loadu_ps(d2), _mm512_extractf32x4_ps(r, 2)));
    _mm_storeu_ps(d3, _mm_add_ps(_mm_loadu_ps(d3), _mm512_extractf32x4_ps(r, 3)));
  }
  }
}

// C[rows, 16*halves] (rows ldc apart) = (or +=, when `accumulate`) the sum over p < k of A[i][p] * b[p*16*halves
// + j], row i of A at a + (i/6)*panel + p*6 + i%6 (consecutive 6-row panels `panel` floats apart). Inlined
// with constant `rows` and `halves`, the loops unroll and the rows*halves accumulators stay in registers.
// With `fold_taps`, row i of half h goes onto fold[h] + fold_taps[i] at the places of strip out[h] (runs)
// instead of into C, which is then only read.
INLINE void tile_rows(int rows, int halves, int k, const float *a, long panel, const float *b, float *c, long ldc,
                      int accumulate, float *const *fold, const int32_t *fold_taps, const Strip *out) {
  __m512 acc[2 * LAM_MR * 2];
  UNROLL for (int i = 0; i < rows * halves; i++) acc[i] = _mm512_setzero_ps();
  for (int p = 0; p < k; p++, a += LAM_MR, b += LAM_NR * halves) {
    __m512 b0 = _mm512_loadu_ps(b), b1 = halves == 2 ? _mm512_loadu_ps(b + LAM_NR) : b0;
    for (int i = 0; i < rows; i++) {
      __m512 ai = _mm512_set1_ps(a[i / LAM_MR * panel + i % LAM_MR]);
      acc[i * halves] = _mm512_fmadd_ps(ai, b0, acc[i * halves]);
      if (halves == 2) acc[i * 2 + 1] = _mm512_fmadd_ps(ai, b1, acc[i * 2 + 1]);
    }
  }
  UNROLL for (int i = 0; i < rows; i++)
    UNROLL for (int h = 0; h < halves; h++) {
      float *row = c + i * ldc + h * LAM_NR;
      __m512 r = acc[i * halves + h];
      if (accumulate) r = _mm512_add_ps(r, _mm512_loadu_ps(row));
      if (fold_taps) fold_strip(fold[h] + fold_taps[i], &out[h], r);
      else _mm512_storeu_ps(row, r);
    }
}

// Rows of the tile: two A panels. (A 24 x 16 tile from four panels ran at a third of the speed.)
#define TILE_ROWS (2 * LAM_MR)
// The row counts a tile is compiled for: a last tile of 2 rows costs a sixth of a full one.
#define CASES(CALL) \
  CALL(1) CALL(2) CALL(3) CALL(4) CALL(5) CALL(6) CALL(7) CALL(8) CALL(9) CALL(10) CALL(11) CALL(12)

// tile_rows for `rows` (at most 12) rows, stored into C.
static AVX512 void tile(int rows, int halves, int k, const float *a, long panel, const float *b, float *c, long ldc,
                        int accumulate) {
#define STORE_1(R) case R: tile_rows(R, 1, k, a, panel, b, c, ldc, accumulate, 0, 0, 0); break;
#define STORE_2(R) case R: tile_rows(R, 2, k, a, panel, b, c, ldc, accumulate, 0, 0, 0); break;
  if (halves == 2) switch (rows) { CASES(STORE_2) }
  else switch (rows) { CASES(STORE_1) }
}

// tile_rows for `rows` rows, added onto fold + fold_taps[i] at the strips' places; `c` (rows ldc apart) holds
// the earlier passes' sums when `accumulate`.
static AVX512 void tile_fold(int rows, int halves, int k, const float *a, long panel, const float *b, float *c,
                             long ldc, int accumulate, float *const *fold, const int32_t *fold_taps,
                             const Strip *out) {
#define FOLD_1(R) case R: tile_rows(R, 1, k, a, panel, b, c, ldc, accumulate, fold, fold_taps, out); break;
#define FOLD_2(R) case R: tile_rows(R, 2, k, a, panel, b, c, ldc, accumulate, fold, fold_taps, out); break;
  if (halves == 2) switch (rows) { CASES(FOLD_2) }
  else switch (rows) { CASES(FOLD_1) }
}

// tile_rows for `rows` rows and two strips of runs of 16 read where they lie instead of packed: B[p][j] is
// b0[taps[p] + j], and b1[taps[p] + j] for the second strip. For weights of few rows, which would use a
// packed panel only two or three times. The same sums as from the packed panel.
INLINE void tile_rows_in_place(int rows, int k, const float *a, long panel, const float *b0, const float *b1,
                               const int32_t *taps, float *c, long ldc, int accumulate) {
  __m512 acc[2 * LAM_MR * 2];
  for (int i = 0; i < rows * 2; i++) acc[i] = _mm512_setzero_ps();
  for (int p = 0; p < k; p++, a += LAM_MR) {
    long t = taps[p];
    __m512 v0 = _mm512_loadu_ps(b0 + t), v1 = _mm512_loadu_ps(b1 + t);
    for (int i = 0; i < rows; i++) {
      __m512 ai = _mm512_set1_ps(a[i / LAM_MR * panel + i % LAM_MR]);
      acc[i * 2] = _mm512_fmadd_ps(ai, v0, acc[i * 2]);
      acc[i * 2 + 1] = _mm512_fmadd_ps(ai, v1, acc[i * 2 + 1]);
    }
  }
  for (int i = 0; i < rows; i++)
    for (int h = 0; h < 2; h++) {
      float *row = c + i * ldc + h * LAM_NR;
      __m512 r = acc[i * 2 + h];
      if (accumulate) r = _mm512_add_ps(r, _mm512_loadu_ps(row));
      _mm512_storeu_ps(row, r);
    }
}

static AVX512 void tile_in_place(int rows, int k, const float *a, long panel, const float *b0, const float *b1,
                                 const int32_t *taps, float *c, long ldc, int accumulate) {
#define IN_PLACE(R) case R: tile_rows_in_place(R, k, a, panel, b0, b1, taps, c, ldc, accumulate); break;
  switch (rows) { CASES(IN_PLACE) }
}

// Weights of at most this many rows read strips of runs of 16 in place (tile_in_place), in one pass and
// from an image of at most IN_PLACE_FLOATS (in L1). Alone, a 32 x 96 forward product of 256 positions went
// 0.90 -> 0.63 ms for 64 images, a 32 x 48 one 0.50 -> 0.31; from an image of 296 KB it was 11% slower.
#define IN_PLACE_ROWS 32
#define IN_PLACE_FLOATS 8192

AVX512 void lam_gemm_columns_avx512(int m, int k, int n, int images, const float *packed_a, const float *source,
                                    long image_stride, const int32_t *taps, const int32_t *positions, float *c,
                                    float *b_block) {
  int np = lam_padded_cols(n), ldc = images * np;
  int strips = ldc / LAM_NR, block = LAM_NC / LAM_NR;
  for (int s0 = 0; s0 < strips; s0 += block) {
    int s1 = min_int(strips, s0 + block);
    for (int k0 = 0; k0 < k; k0 += LAM_KC) {
      int kc = min_int(LAM_KC, k - k0);
      // Strips s and s + 1 side by side in one panel [kc][32] (the last alone when their count is odd),
      // packed just before its tiles, so that the panel (32 KB) is written and read in L1 while every A panel
      // streams past it from L2; or read in place.
      for (int s = s0; s < s1; s += 2) {
        int halves = min_int(2, s1 - s);
        if (m <= IN_PLACE_ROWS && k <= LAM_KC && image_stride <= IN_PLACE_FLOATS && halves == 2) {
          Strip pair[2];
          for (int h = 0; h < 2; h++) lam_describe_strip(positions, (s + h) * LAM_NR % np, n, &pair[h]);
          if (pair[0].runLength == LAM_NR && pair[1].runLength == LAM_NR) {
            const float *b0 = source + (s * LAM_NR / np) * image_stride + pair[0].offsets[0];
            const float *b1 = source + ((s + 1) * LAM_NR / np) * image_stride + pair[1].offsets[0];
            for (int i0 = 0; i0 < m; i0 += TILE_ROWS)
              tile_in_place(min_int(TILE_ROWS, m - i0), kc, packed_a + (long)i0 * k + k0 * LAM_MR, (long)LAM_MR * k,
                            b0, b1, taps + k0, c + (long)i0 * ldc + s * LAM_NR, ldc, k0 > 0);
            continue;
          }
        }
        for (int h = 0; h < halves; h++) {
          int image = (s + h) * LAM_NR / np, p0 = (s + h) * LAM_NR % np;
          Strip strip;
          lam_describe_strip(positions, p0, n, &strip);
          lam_pack_b_strip(source + image * image_stride, taps, k0, kc, &strip, b_block + h * LAM_NR, LAM_NR * halves);
        }
        for (int i0 = 0; i0 < m; i0 += TILE_ROWS)
          tile(min_int(TILE_ROWS, m - i0), halves, kc, packed_a + (long)i0 * k + k0 * LAM_MR, (long)LAM_MR * k,
               b_block, c + (long)i0 * ldc + s * LAM_NR, ldc, k0 > 0);
      }
    }
  }
}

// The strips of a call's images in one list (image i's strip j is i * padded_n / 16 + j), taken 16 at a time
// (a B block) and side by side in pairs, as in lam_gemm_columns, where both strips are folded from
// registers or neither is. With one pass (k <= 256) every panel of the block is packed first, and each
// 12-row A block (in L1) then meets every panel (in L2): the weight streams once per block, not once per
// strip. With more passes each panel goes through them all in turn, its sums kept in `strip`.
AVX512 void lam_gemm_columns_add_avx512(int m, int k, int n, int images, const float *packed_a, const float *source,
                                        long image_stride, const int32_t *taps, const int32_t *positions,
                                        float *dest, long dest_stride, const int32_t *out_taps,
                                        const int32_t *out_positions, float *strip, float *b_block) {
  enum { block = LAM_NC / LAM_NR };
  int per = lam_padded_cols(n) / LAM_NR, strips = images * per;
  for (int s0 = 0; s0 < strips; s0 += block) {
    int s1 = min_int(strips, s0 + block), panels = 0, first[block], halves[block];
    Strip in[block], out[block];
    float *target[block];
    for (int s = s0; s < s1; s++) {
      int image = s / per, p0 = s % per * LAM_NR;
      lam_describe_strip(positions, p0, n, &in[s - s0]);
      lam_describe_strip(out_positions, p0, n, &out[s - s0]);
      target[s - s0] = dest + image * dest_stride;
    }
    for (int s = s0; s < s1; s += halves[panels++]) {
      first[panels] = s - s0;
      halves[panels] = s + 1 < s1 && (out[s - s0].runLength != 0) == (out[s + 1 - s0].runLength != 0) ? 2 : 1;
    }
    if (k <= LAM_KC) {
      for (int q = 0; q < panels; q++) {
        int f = first[q], ld = LAM_NR * halves[q];
        float *panel = b_block + (long)f * k * LAM_NR;
        for (int h = 0; h < halves[q]; h++)
          lam_pack_b_strip(source + (s0 + f + h) / per * image_stride, taps, 0, k, &in[f + h], panel + h * LAM_NR, ld);
        if (out[f].runLength) continue;  // folded below
        for (int i0 = 0; i0 < m; i0 += TILE_ROWS)
          tile(min_int(TILE_ROWS, m - i0), halves[q], k, packed_a + (long)i0 * k, (long)LAM_MR * k, panel,
               strip + (long)i0 * ld, ld, 0);
        for (int h = 0; h < halves[q]; h++)
          lam_add_strip(m, strip + h * LAM_NR, ld, target[f + h], out_taps, &out[f + h]);
      }
      for (int i0 = 0; i0 < m; i0 += TILE_ROWS)
        for (int q = 0; q < panels; q++) {
          int f = first[q];
          if (out[f].runLength)
            tile_fold(min_int(TILE_ROWS, m - i0), halves[q], k, packed_a + (long)i0 * k, (long)LAM_MR * k,
                      b_block + (long)f * k * LAM_NR, 0, 0, 0, &target[f], out_taps + i0, &out[f]);
        }
      continue;
    }
    for (int q = 0; q < panels; q++) {
      int f = first[q], ld = LAM_NR * halves[q];
      for (int k0 = 0; k0 < k; k0 += LAM_KC) {
        int kc = min_int(LAM_KC, k - k0), last = k0 + kc == k;
        for (int h = 0; h < halves[q]; h++)
          lam_pack_b_strip(source + (s0 + f + h) / per * image_stride, taps, k0, kc, &in[f + h],
                           b_block + h * LAM_NR, ld);
        for (int i0 = 0; i0 < m; i0 += TILE_ROWS) {
          const float *a = packed_a + (long)i0 * k + k0 * LAM_MR;
          int rows = min_int(TILE_ROWS, m - i0);
          if (last && out[f].runLength)
            tile_fold(rows, halves[q], kc, a, (long)LAM_MR * k, b_block, strip + (long)i0 * ld, ld, 1, &target[f],
                      out_taps + i0, &out[f]);
          else
            tile(rows, halves[q], kc, a, (long)LAM_MR * k, b_block, strip + (long)i0 * ld, ld, k0 > 0);
        }
      }
      if (!out[f].runLength)
        for (int h = 0; h < halves[q]; h++)
          lam_add_strip(m, strip + h * LAM_NR, ld, target[f + h], out_taps, &out[f + h]);
    }
  }
}

// MARK: - Weight gradients of 32 or 64 rows

// With few rows (m = 32 or 64) the row tile above spends much of a weight gradient transposing the column
// matrix into B panels (lam_pack_bt_panel), work used by only m rows. Here the roles turn: the tile holds
// 8 columns x 32 rows or 6 x 64 of C^T, broadcasts the column matrix's entries straight from the source,
// and reads A transposed ([kc][m], packed once per pass). Every entry is still one chain of fused
// multiply-adds per 256-deep pass, added onto the sum so far: the same bits as the row tile. Alone on the
// workload's shapes (64 images) the 32-row weight gradients went 0.99 -> 0.77 ms (96 columns) and 0.59 ->
// 0.42 ms (48), the 64-row one 2.05 -> 1.94 ms.

// at[kk*m + i] = A[i][q0 + kk] (positions crossing from one image to the next) for kk < kc, i < m (a multiple
// of 8), and off[kk] = where position q0 + kk of the column matrix lies in the source, past its tap.
static AVX512 void pack_at(int m, int n, const float *a, long a_image_stride, long image_stride,
                           const int32_t *positions, long q0, int kc, float *at, long *off) {
  for (int kk = 0; kk < kc;) {
    long q = q0 + kk;
    int image = (int)(q / n), p = (int)(q % n), length = min_int(n - p, kc - kk);
    for (int t = 0; t < length; t++) off[kk + t] = image * image_stride + positions[p + t];
    const float *src = a + image * a_image_stride + p;  // row i at src + i*n
    for (int i = 0; i < m; i += 8) {
      int t = 0;
      for (; t + 8 <= length; t += 8) {
        __m256 r[8];
        for (int x = 0; x < 8; x++) r[x] = _mm256_loadu_ps(src + (long)(i + x) * n + t);
        lam_transpose_8x8(r);
        for (int y = 0; y < 8; y++) _mm256_storeu_ps(at + (long)(kk + t + y) * m + i, r[y]);
      }
      for (; t < length; t++)
        for (int x = 0; x < 8; x++) at[(long)(kk + t) * m + i + x] = src[(long)(i + x) * n + t];
    }
    kk += length;
  }
}

// Columns of the column-wise tile, by the rows of A it holds (vecs x 16): 8 x 32 or 6 x 64, 16 or 24
// accumulators. (With 12 x 32 the compiler ran out of registers for the 12 source pointers and broadcasts,
// and spilled accumulators.)
#define T_COLS(vecs) ((vecs) == 2 ? 8 : 6)

// ct[j*ldct + i] += the sum over p < k of at[p*lda + i] * b[j][off[p]] for j < cols, i < 16 * vecs.
INLINE void tile_t_cols(int cols, int vecs, int k, const float *at, int lda, const float *const *b, const long *off,
                        float *ct, int ldct) {
  __m512 acc[24], a[4];
  const float *bj[8];
  for (int j = 0; j < cols; j++) bj[j] = b[j];
  for (int j = 0; j < cols * vecs; j++) acc[j] = _mm512_setzero_ps();
  for (int p = 0; p < k; p++, at += lda) {
    long o = off[p];
    for (int v = 0; v < vecs; v++) a[v] = _mm512_loadu_ps(at + v * LAM_NR);
    for (int j = 0; j < cols; j++) {
      __m512 bv = _mm512_set1_ps(bj[j][o]);
      for (int v = 0; v < vecs; v++) acc[j * vecs + v] = _mm512_fmadd_ps(a[v], bv, acc[j * vecs + v]);
    }
  }
  for (int j = 0; j < cols; j++)
    for (int v = 0; v < vecs; v++) {
      float *row = ct + (long)j * ldct + v * LAM_NR;
      _mm512_storeu_ps(row, _mm512_add_ps(acc[j * vecs + v], _mm512_loadu_ps(row)));
    }
}

static AVX512 void tile_t(int cols, int vecs, int k, const float *at, int lda, const float *const *b, const long *off,
                          float *ct, int ldct) {
#define COLUMNS_2(R) case R: tile_t_cols(R, 2, k, at, lda, b, off, ct, ldct); break;
#define COLUMNS_4(R) case R: tile_t_cols(R, 4, k, at, lda, b, off, ct, ldct); break;
  if (vecs == 2) switch (cols) { COLUMNS_2(1) COLUMNS_2(2) COLUMNS_2(3) COLUMNS_2(4) COLUMNS_2(5) COLUMNS_2(6)
                                 COLUMNS_2(7) COLUMNS_2(8) }
  else switch (cols) { COLUMNS_4(1) COLUMNS_4(2) COLUMNS_4(3) COLUMNS_4(4) COLUMNS_4(5) COLUMNS_4(6) }
}

// lam_gemm_columns_t for m = 32 or 64: C^T [columns][m] in `ct` starts as C and ends copied back into it.
static AVX512 void weight_gradient_by_columns(int m, int columns, int n, int images, const float *a,
                                              long a_image_stride, const float *source, long image_stride,
                                              const int32_t *taps, const int32_t *positions, float *c, int ldc,
                                              float *at, float *ct) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < columns; j++) ct[(long)j * m + i] = c[(long)i * ldc + j];
  long total = (long)images * n, off[LAM_KC];
  int vecs = m / LAM_NR, width = T_COLS(vecs);
  for (long q0 = 0; q0 < total; q0 += LAM_KC) {
    int kc = (int)(total - q0 < LAM_KC ? total - q0 : LAM_KC);
    pack_at(m, n, a, a_image_stride, image_stride, positions, q0, kc, at, off);
    for (int j0 = 0; j0 < columns; j0 += width) {
      const float *b[8];
      int cols = min_int(width, columns - j0);
      for (int j = 0; j < cols; j++) b[j] = source + taps[j0 + j];
      tile_t(cols, vecs, kc, at, m, b, off, ct + (long)j0 * m, m);
    }
  }
  for (int i = 0; i < m; i++)
    for (int j = 0; j < columns; j++) c[(long)i * ldc + j] = ct[(long)j * m + i];
}

AVX512 void lam_gemm_columns_t_avx512(int m, int columns, int n, int images, const float *a, long a_image_stride,
                                      const float *source, long image_stride, const int32_t *taps,
                                      const int32_t *positions, float *c, int ldc, float *a_block, float *b_panel) {
  if ((m == 32 || m == 64) && (long)columns * m <= (long)LAM_KC * LAM_NC) {
    weight_gradient_by_columns(m, columns, n, images, a, a_image_stride, source, image_stride, taps, positions, c, ldc,
                               a_block, b_panel);
    return;
  }
  int cp = lam_padded_cols(columns);
  long total = (long)images * n;
  for (long q0 = 0; q0 < total; q0 += LAM_KC) {
    int kc = (int)(total - q0 < LAM_KC ? total - q0 : LAM_KC);
    lam_pack_a_block(m, n, a, a_image_stride, q0, kc, a_block);
    for (int j0 = 0; j0 < cp;) {
      int halves = min_int(2, (cp - j0) / LAM_NR), ld = LAM_NR * halves;
      for (int h = 0; h < halves; h++)
        lam_pack_bt_panel(source, image_stride, taps, j0 + h * LAM_NR, columns, positions, n, q0, kc,
                          b_panel + h * LAM_NR, ld);
      for (int i0 = 0; i0 < m; i0 += TILE_ROWS)
        tile(min_int(TILE_ROWS, m - i0), halves, kc, a_block + (long)i0 * kc, (long)LAM_MR * kc, b_panel,
             c + (long)i0 * ldc + j0, ldc, 1);
      j0 += ld;
    }
  }
}
#endif
