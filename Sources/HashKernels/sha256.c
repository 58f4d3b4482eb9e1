// SHA-256's compression with the x86 SHA extensions (sha256rnds2, sha256msg1, sha256msg2): four rounds per
// pair of instructions, several times the speed of the portable Swift rounds. The state is kept as the two
// registers the instructions want (ABEF and CDGH); the message schedule rolls through four registers.
#include "HashKernels.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int lam_sha256_hardware(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  int sha = (b >> 29) & 1;
  return ssse3 && sse41 && sha;
}

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

__attribute__((target("sha,ssse3,sse4.1")))
void lam_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
  // Byte order within each 32-bit word: the message is big-endian.
  const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);  // C D A B
  __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);   // E F G H
  __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);                                            // A B E F
  s1 = _mm_blend_epi16(s1, tmp, 0xF0);                                                 // C D G H

  for (; blocks > 0; blocks--, data += 64) {
    const __m128i abef = s0, cdgh = s1;
    __m128i m[4];
    // Sixteen groups of four rounds. Group g uses schedule words 4g..4g+3 (m[g % 4]); while it runs, the
    // words of group g + 1 get their sigma1 part (msg2, for g in 3...14) and those of group g + 3 their
    // sigma0 part (msg1, for g in 1...12).
#pragma clang loop unroll(full)
    for (int g = 0; g < 16; g++) {
      if (g < 4) m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * g)), swap);
      __m128i w = _mm_add_epi32(m[g & 3], _mm_loadu_si128((const __m128i *)&K[4 * g]));
      s1 = _mm_sha256rnds2_epu32(s1, s0, w);
      if (g >= 3 && g <= 14) {
        __m128i next = _mm_add_epi32(m[(g + 1) & 3], _mm_alignr_epi8(m[g & 3], m[(g + 3) & 3], 4));
        m[(g + 1) & 3] = _mm_sha256msg2_epu32(next, m[g & 3]);
      }
      s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(w, 0x0E));
      if (g >= 1 && g <= 12) m[(g + 3) & 3] = _mm_sha256msg1_epu32(m[(g + 3) & 3], m[g & 3]);
    }
    s0 = _mm_add_epi32(s0, abef);
    s1 = _mm_add_epi32(s1, cdgh);
  }

  tmp = _mm_shuffle_epi32(s0, 0x1B);                                      // F E B A
  s1 = _mm_shuffle_epi32(s1, 0xB1);                                       // D C H G
  _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(tmp, s1, 0xF0));  // D C B A
  _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(s1, tmp, 8));     // H G F E
}

#else

int lam_sha256_hardware(void) { return 0; }
void lam_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
  (void)state; (void)data; (void)blocks;
}

#endif
