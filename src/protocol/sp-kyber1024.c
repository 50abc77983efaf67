/* sp-kyber1024.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * CRYSTALS-Kyber1024 as specified for round 3 of the NIST process
 * (k = 4, eta1 = eta2 = 2, du = 11, dv = 5), which is what libsignal
 * calls key type 0x08.  The lattice arithmetic is the same as in FIPS 203;
 * only the hashing around it differs (see the KEM functions at the end).
 *
 * Timing: nothing here branches on, or indexes memory with, secret data.
 * Reductions are Montgomery and Barrett multiplications, compression
 * divides by q with a multiply and shift, message bits become coefficients
 * through masks, and the re-encryption check of decapsulation selects the
 * output with a mask.  The only data-dependent loop is the rejection
 * sampling of the matrix, which reads the public seed rho.
 * test-kyber1024-ct checks this under valgrind.
 */

#include "sp-kyber1024.h"
#include "sp-error.h"
#include "sp-hash.h"

#include <sodium.h>
#include <string.h>

/* The constant-time test builds this file with SP_KYBER_CT_TESTING and
 * marks every secret input as undefined for memcheck.  Values that are
 * public by construction but computed from secrets (rho, which is part of
 * the public key) are declared defined again, so that memcheck reports
 * only real secret-dependent branches. */
#ifdef SP_KYBER_CT_TESTING
# include <valgrind/memcheck.h>
# define SP_DECLASSIFY(ptr, len) VALGRIND_MAKE_MEM_DEFINED ((ptr), (len))
#else
# define SP_DECLASSIFY(ptr, len) ((void) 0)
#endif

#define KYBER_N 256
#define KYBER_Q 3329
#define KYBER_K 4
#define KYBER_SYM_BYTES 32
#define KYBER_POLY_BYTES 384                              /* 256 x 12 bits */
#define KYBER_POLYVEC_BYTES (KYBER_K * KYBER_POLY_BYTES)  /* 1536 */
#define KYBER_DU 11
#define KYBER_DV 5
#define KYBER_POLYVEC_COMPRESSED_BYTES (KYBER_K * KYBER_N * KYBER_DU / 8)  /* 1408 */
#define KYBER_POLY_COMPRESSED_BYTES (KYBER_N * KYBER_DV / 8)               /* 160 */
#define KYBER_NOISE_BYTES (2 * KYBER_N / 4)  /* eta = 2 */

/* Offsets inside the raw (untyped) secret key. */
#define SK_PK_OFFSET KYBER_POLYVEC_BYTES
#define SK_HPK_OFFSET (SK_PK_OFFSET + SP_KYBER1024_PUBLIC_KEY_BYTES)
#define SK_Z_OFFSET (SK_HPK_OFFSET + KYBER_SYM_BYTES)

/* q^-1 mod 2^16, for Montgomery reduction with R = 2^16. */
#define KYBER_QINV 62209u
/* ceil (2^40 / q): floor (a * this / 2^40) is floor (a / q) for every
 * a < 2^28 (the rounding error 3177 is below 2^12), and compression only
 * divides values below 2^23. */
#define KYBER_DIV_Q_MULTIPLIER UINT64_C (330282857)
#define KYBER_DIV_Q_SHIFT 40

typedef struct {
  int16_t coeffs[KYBER_N];
} Poly;

typedef struct {
  Poly vec[KYBER_K];
} PolyVec;

/* The two SHAKE instances one KEM operation needs, opened once and reset
 * for each of the 16 matrix entries and 8 or 9 noise polynomials. */
typedef struct {
  SpShake xof;  /* SHAKE-128: matrix generation */
  SpShake prf;  /* SHAKE-256: noise and the final key derivation */
} KyberHashes;

/* R * 17^bitrev7(i) mod q, centred: the twiddle factors of the NTT in
 * the order the butterflies use them (entry 0 is not used). */
static const int16_t zetas[128] = {
  -1044,  -758,  -359, -1517,  1493,  1422,   287,   202,
   -171,   622,  1577,   182,   962, -1202, -1474,  1468,
    573, -1325,   264,   383,  -829,  1458, -1602,  -130,
   -681,  1017,   732,   608, -1542,   411,  -205, -1571,
   1223,   652,  -552,  1015, -1293,  1491,  -282, -1544,
    516,    -8,  -320,  -666, -1618, -1162,   126,  1469,
   -853,   -90,  -271,   830,   107, -1421,  -247,  -951,
   -398,   961, -1508,  -725,   448, -1065,   677, -1275,
  -1103,   430,   555,   843, -1251,   871,  1550,   105,
    422,   587,   177,  -235,  -291,  -460,  1574,  1653,
   -246,   778,  1159,  -147,  -777,  1483,  -602,  1119,
  -1590,   644,  -872,   349,   418,   329,  -156,   -75,
    817,  1097,   603,   610,  1322, -1285, -1465,   384,
  -1215,  -136,  1218, -1335,  -874,   220, -1187, -1659,
  -1185, -1530, -1278,   794, -1510,  -854,  -870,   478,
   -108,  -308,   996,   991,   958, -1460,  1522,  1628,
};

/* Hides @x from the optimiser so that mask arithmetic on secrets is not
 * turned back into a conditional branch. */
static inline uint32_t
value_barrier (uint32_t x)
{
#if defined(__GNUC__) || defined(__clang__)
  __asm__ ("" : "+r" (x));
#endif
  return x;
}

/* Returns a * 2^-16 mod q in (-q, q) for |a| < q * 2^15. */
static inline int16_t
montgomery_reduce (int32_t a)
{
  int16_t t = (int16_t) (uint16_t) ((uint32_t) a * KYBER_QINV);

  return (int16_t) ((a - (int32_t) t * KYBER_Q) >> 16);
}

/* The high half of the 32-bit product a·b, as a signed 16-bit value.
 * Written this way, and with every step below on 16-bit values, the
 * loops of the NTT run on 16-bit vector lanes, which compilers turn into
 * the SIMD "multiply high" and "multiply low" instructions. */
static inline int16_t
mulhi (int16_t a,
       int16_t b)
{
  return (int16_t) (((int32_t) a * b) >> 16);
}

static inline int16_t
mullo (int16_t a,
       int16_t b)
{
  return (int16_t) (uint16_t) ((uint32_t) (uint16_t) a * (uint16_t) b);
}

/* Returns the representative of a mod q in [-(q-1)/2, (q-1)/2]:
 * a - round (a · v / 2^26) · q with v = round (2^26 / q), where adding
 * 2^25 before the shift by 26 is adding 2^9 after the shift by 16. */
static inline int16_t
barrett_reduce (int16_t a)
{
  const int16_t v = ((1 << 26) + KYBER_Q / 2) / KYBER_Q;
  int16_t t = (int16_t) ((mulhi (v, a) + (1 << 9)) >> 10);

  return (int16_t) (a - t * KYBER_Q);
}

/* montgomery_reduce (a·b), from the two halves of the product: t·q
 * agrees with a·b in its low 16 bits, so their difference divided by
 * 2^16 is the difference of their high halves. */
static inline int16_t
fqmul (int16_t a,
       int16_t b)
{
  const int16_t qinv = (int16_t) ((int32_t) KYBER_QINV - 65536);  /* the same residue */
  int16_t t = mullo (mullo (a, b), qinv);

  return (int16_t) (mulhi (a, b) - mulhi (t, KYBER_Q));
}

/* Maps a value in (-q, q) to [0, q) by adding q to negative values. */
static inline uint32_t
to_unsigned (int16_t a)
{
  uint32_t negative = (uint16_t) a >> 15;

  return (uint32_t) (a + (int32_t) (value_barrier (0u - negative) & KYBER_Q));
}

/* round (2^d * x / q) mod 2^d for x in [0, q), without a division
 * instruction, whose timing depends on its operands on many CPUs. */
static inline uint32_t
compress (uint32_t x,
          unsigned d)
{
  uint64_t a = ((uint64_t) x << d) + KYBER_Q / 2;

  return (uint32_t) ((a * KYBER_DIV_Q_MULTIPLIER) >> KYBER_DIV_Q_SHIFT) & ((1u << d) - 1);
}

/* round (q * y / 2^d); only applied to public ciphertexts. */
static inline int16_t
decompress (uint32_t y,
            unsigned d)
{
  return (int16_t) ((y * KYBER_Q + (1u << (d - 1))) >> d);
}

/* Little-endian bit packing of @n values of @bits bits each, 32 bits
 * at a time.  Every use packs 256 values, so the output is a whole
 * number of 32-bit words. */
static void
pack_bits (uint8_t        *out,
           const uint16_t *values,
           size_t          n,
           unsigned        bits)
{
  uint64_t acc = 0;
  unsigned filled = 0;

  for (size_t i = 0; i < n; i++)
    {
      acc |= (uint64_t) values[i] << filled;
      filled += bits;
      if (filled >= 32)
        {
          for (unsigned k = 0; k < 4; k++)
            out[k] = (uint8_t) (acc >> (8 * k));
          out += 4;
          acc >>= 32;
          filled -= 32;
        }
    }
}

static void
unpack_bits (uint16_t      *values,
             const uint8_t *in,
             size_t         n,
             unsigned       bits)
{
  uint64_t acc = 0;
  unsigned filled = 0;

  for (size_t i = 0; i < n; i++)
    {
      if (filled < bits)
        {
          acc |= (uint64_t) ((uint32_t) in[0] | (uint32_t) in[1] << 8
                             | (uint32_t) in[2] << 16 | (uint32_t) in[3] << 24) << filled;
          in += 4;
          filled += 32;
        }
      values[i] = (uint16_t) (acc & ((1u << bits) - 1));
      acc >>= bits;
      filled -= bits;
    }
}

static void
poly_reduce (Poly *r)
{
  for (size_t i = 0; i < KYBER_N; i++)
    r->coeffs[i] = barrett_reduce (r->coeffs[i]);
}

static void
poly_add (Poly       *r,
          const Poly *a)
{
  for (size_t i = 0; i < KYBER_N; i++)
    r->coeffs[i] = (int16_t) (r->coeffs[i] + a->coeffs[i]);
}

/* Multiplies by R = 2^16, undoing the R^-1 that base multiplication
 * leaves behind. */
static void
poly_tomont (Poly *r)
{
  const int16_t r2 = (int16_t) ((1ULL << 32) % KYBER_Q);

  for (size_t i = 0; i < KYBER_N; i++)
    r->coeffs[i] = fqmul (r->coeffs[i], r2);
}

/* Forward NTT (Cooley-Tukey butterflies), input in normal order, output
 * in the bit-reversed order of the specification, reduced.  Inputs are
 * bounded by q in absolute value, so seven layers stay below 8q < 2^15. */
static void
poly_ntt (Poly *p)
{
  int16_t *r = p->coeffs;
  size_t k = 1;

  for (size_t len = 128; len >= 2; len >>= 1)
    {
      for (size_t start = 0; start < KYBER_N; start += 2 * len)
        {
          int16_t zeta = zetas[k++];

          for (size_t j = start; j < start + len; j++)
            {
              int16_t t = fqmul (zeta, r[j + len]);

              r[j + len] = (int16_t) (r[j] - t);
              r[j] = (int16_t) (r[j] + t);
            }
        }
    }

  poly_reduce (p);
}

/* Inverse NTT (Gentleman-Sande butterflies) followed by multiplication
 * by R.  Walking the table backwards gives -zeta^-1 for each butterfly,
 * hence the subtraction order; the final factor 1441 = R^2 / 128 mod q
 * removes the 2^7 the butterflies accumulate and adds the factor R. */
static void
poly_invntt_tomont (Poly *p)
{
  const int16_t f = 1441;
  int16_t *r = p->coeffs;
  size_t k = 127;

  for (size_t len = 2; len <= 128; len <<= 1)
    {
      for (size_t start = 0; start < KYBER_N; start += 2 * len)
        {
          int16_t zeta = zetas[k--];

          for (size_t j = start; j < start + len; j++)
            {
              int16_t t = r[j];

              r[j] = barrett_reduce ((int16_t) (t + r[j + len]));
              r[j + len] = fqmul (zeta, (int16_t) (r[j + len] - t));
            }
        }
    }

  for (size_t j = 0; j < KYBER_N; j++)
    r[j] = fqmul (r[j], f);
}

/* r = sum of a[i] * b[i] in the NTT domain, times R^-1.  Each product of
 * degree-one polynomials modulo X^2 - zeta is accumulated in 32 bits and
 * reduced once: one operand of every product is reduced to |x| <= q/2 and
 * the other is below 2^12, so four terms stay below q * 2^15. */
static void
polyvec_basemul_acc (Poly          *r,
                     const PolyVec *a,
                     const PolyVec *b)
{
  for (size_t i = 0; i < KYBER_N / 4; i++)
    {
      for (size_t half = 0; half < 2; half++)
        {
          size_t n = 4 * i + 2 * half;
          int16_t zeta = half == 0 ? zetas[64 + i] : (int16_t) -zetas[64 + i];
          int32_t even = 0;
          int32_t odd = 0;

          for (size_t v = 0; v < KYBER_K; v++)
            {
              const int16_t *x = &a->vec[v].coeffs[n];
              const int16_t *y = &b->vec[v].coeffs[n];

              even += (int32_t) x[0] * y[0] + (int32_t) fqmul (x[1], y[1]) * zeta;
              odd += (int32_t) x[0] * y[1] + (int32_t) x[1] * y[0];
            }

          r->coeffs[n] = montgomery_reduce (even);
          r->coeffs[n + 1] = montgomery_reduce (odd);
        }
    }
}

/* 12-bit encoding of a reduced polynomial, canonical in [0, q). */
static void
poly_tobytes (uint8_t     out[KYBER_POLY_BYTES],
              const Poly *a)
{
  uint16_t t[KYBER_N];

  for (size_t i = 0; i < KYBER_N; i++)
    t[i] = (uint16_t) to_unsigned (a->coeffs[i]);
  pack_bits (out, t, KYBER_N, 12);
  sodium_memzero (t, sizeof t);
}

/* Decodes 12-bit values without checking them against q, as round 3
 * does; every later product stays in range for values below 2^12. */
static void
poly_frombytes (Poly          *r,
                const uint8_t  in[KYBER_POLY_BYTES])
{
  uint16_t t[KYBER_N];

  unpack_bits (t, in, KYBER_N, 12);
  for (size_t i = 0; i < KYBER_N; i++)
    r->coeffs[i] = (int16_t) t[i];
  sodium_memzero (t, sizeof t);
}

static void
poly_compress (uint8_t     out[KYBER_POLY_COMPRESSED_BYTES],
               const Poly *a)
{
  uint16_t t[KYBER_N];

  for (size_t i = 0; i < KYBER_N; i++)
    t[i] = (uint16_t) compress (to_unsigned (a->coeffs[i]), KYBER_DV);
  pack_bits (out, t, KYBER_N, KYBER_DV);
  sodium_memzero (t, sizeof t);
}

static void
poly_decompress (Poly          *r,
                 const uint8_t  in[KYBER_POLY_COMPRESSED_BYTES])
{
  uint16_t t[KYBER_N];

  unpack_bits (t, in, KYBER_N, KYBER_DV);
  for (size_t i = 0; i < KYBER_N; i++)
    r->coeffs[i] = decompress (t[i], KYBER_DV);
}

static void
polyvec_compress (uint8_t        out[KYBER_POLYVEC_COMPRESSED_BYTES],
                  const PolyVec *a)
{
  uint16_t t[KYBER_N];

  for (size_t v = 0; v < KYBER_K; v++)
    {
      for (size_t i = 0; i < KYBER_N; i++)
        t[i] = (uint16_t) compress (to_unsigned (a->vec[v].coeffs[i]), KYBER_DU);
      pack_bits (out + v * KYBER_N * KYBER_DU / 8, t, KYBER_N, KYBER_DU);
    }
  sodium_memzero (t, sizeof t);
}

static void
polyvec_decompress (PolyVec       *r,
                    const uint8_t  in[KYBER_POLYVEC_COMPRESSED_BYTES])
{
  uint16_t t[KYBER_N];

  for (size_t v = 0; v < KYBER_K; v++)
    {
      unpack_bits (t, in + v * KYBER_N * KYBER_DU / 8, KYBER_N, KYBER_DU);
      for (size_t i = 0; i < KYBER_N; i++)
        r->vec[v].coeffs[i] = decompress (t[i], KYBER_DU);
    }
}

/* Each message bit becomes 0 or (q + 1) / 2. */
static void
poly_frommsg (Poly          *r,
              const uint8_t  msg[KYBER_SYM_BYTES])
{
  for (size_t i = 0; i < KYBER_SYM_BYTES; i++)
    {
      for (unsigned j = 0; j < 8; j++)
        {
          uint32_t mask = value_barrier (0u - ((uint32_t) (msg[i] >> j) & 1));

          r->coeffs[8 * i + j] = (int16_t) (mask & ((KYBER_Q + 1) / 2));
        }
    }
}

/* Each coefficient becomes the bit nearest to 2x / q, i.e. 1 when it is
 * closer to q / 2 than to 0. */
static void
poly_tomsg (uint8_t     msg[KYBER_SYM_BYTES],
            const Poly *a)
{
  for (size_t i = 0; i < KYBER_SYM_BYTES; i++)
    {
      uint32_t byte = 0;

      for (unsigned j = 0; j < 8; j++)
        byte |= compress (to_unsigned (a->coeffs[8 * i + j]), 1) << j;
      msg[i] = (uint8_t) byte;
    }
}

/* Centred binomial distribution with eta = 2: each coefficient is the
 * difference of two sums of two bits. */
static void
poly_cbd2 (Poly          *r,
           const uint8_t  buf[KYBER_NOISE_BYTES])
{
  for (size_t i = 0; i < KYBER_N / 8; i++)
    {
      uint32_t t = (uint32_t) buf[4 * i]
                   | (uint32_t) buf[4 * i + 1] << 8
                   | (uint32_t) buf[4 * i + 2] << 16
                   | (uint32_t) buf[4 * i + 3] << 24;
      uint32_t d = (t & 0x55555555u) + ((t >> 1) & 0x55555555u);

      for (unsigned j = 0; j < 8; j++)
        {
          int16_t a = (int16_t) ((d >> (4 * j)) & 3);
          int16_t b = (int16_t) ((d >> (4 * j + 2)) & 3);

          r->coeffs[8 * i + j] = (int16_t) (a - b);
        }
    }
}

/* PRF (sigma, nonce) = SHAKE-256 (sigma || nonce), sampled with CBD2. */
static int
poly_getnoise (Poly          *r,
               KyberHashes   *hashes,
               const uint8_t  seed[KYBER_SYM_BYTES],
               uint8_t        nonce)
{
  uint8_t buf[KYBER_NOISE_BYTES];
  int ret;

  sp_shake_reset (&hashes->prf);
  ret = sp_shake_absorb (&hashes->prf, seed, KYBER_SYM_BYTES);
  if (ret == SP_OK)
    ret = sp_shake_absorb (&hashes->prf, &nonce, 1);
  if (ret == SP_OK)
    ret = sp_shake_squeeze (&hashes->prf, buf, sizeof buf);
  if (ret == SP_OK)
    poly_cbd2 (r, buf);

  sodium_memzero (buf, sizeof buf);
  return ret;
}

/* Fills up to @len coefficients with the 12-bit values of @buf below q;
 * returns how many it wrote.  The input is public (it is derived from
 * rho only), so the data-dependent branches are harmless. */
static size_t
rej_uniform (int16_t       *r,
             size_t         len,
             const uint8_t *buf,
             size_t         buf_len)
{
  size_t count = 0;

  for (size_t pos = 0; count < len && pos + 3 <= buf_len; pos += 3)
    {
      uint16_t v0 = (uint16_t) ((buf[pos] | buf[pos + 1] << 8) & 0xfff);
      uint16_t v1 = (uint16_t) ((buf[pos + 1] >> 4) | buf[pos + 2] << 4);

      if (v0 < KYBER_Q)
        r[count++] = (int16_t) v0;
      if (count < len && v1 < KYBER_Q)
        r[count++] = (int16_t) v1;
    }

  return count;
}

/* A[i][j] = Parse (SHAKE-128 (rho || j || i)), or its transpose.  Three
 * blocks give 336 candidates for 256 coefficients, which almost always
 * suffices; further blocks are squeezed one at a time. */
static int
gen_matrix (PolyVec        a[KYBER_K],
            KyberHashes   *hashes,
            const uint8_t  rho[KYBER_SYM_BYTES],
            int            transposed)
{
  uint8_t buf[3 * SP_SHAKE128_RATE];

  for (size_t i = 0; i < KYBER_K; i++)
    {
      for (size_t j = 0; j < KYBER_K; j++)
        {
          uint8_t indices[2];
          int16_t *coeffs = a[i].vec[j].coeffs;
          size_t count;
          int ret;

          indices[0] = (uint8_t) (transposed ? i : j);
          indices[1] = (uint8_t) (transposed ? j : i);

          sp_shake_reset (&hashes->xof);
          ret = sp_shake_absorb (&hashes->xof, rho, KYBER_SYM_BYTES);
          if (ret == SP_OK)
            ret = sp_shake_absorb (&hashes->xof, indices, sizeof indices);
          if (ret == SP_OK)
            ret = sp_shake_squeeze (&hashes->xof, buf, sizeof buf);
          if (ret != SP_OK)
            return ret;

          count = rej_uniform (coeffs, KYBER_N, buf, sizeof buf);
          while (count < KYBER_N)
            {
              ret = sp_shake_squeeze (&hashes->xof, buf, SP_SHAKE128_RATE);
              if (ret != SP_OK)
                return ret;
              count += rej_uniform (coeffs + count, KYBER_N - count, buf, SP_SHAKE128_RATE);
            }
        }
    }

  return SP_OK;
}

static int
kyber_hashes_open (KyberHashes *hashes)
{
  int ret;

  ret = sp_shake_init (&hashes->xof, SP_SHAKE_128);
  if (ret != SP_OK)
    return ret;
  ret = sp_shake_init (&hashes->prf, SP_SHAKE_256);
  if (ret != SP_OK)
    sp_shake_clear (&hashes->xof);

  return ret;
}

static void
kyber_hashes_close (KyberHashes *hashes)
{
  sp_shake_clear (&hashes->xof);
  sp_shake_clear (&hashes->prf);
}

/* IND-CPA key generation: (rho, sigma) = G (d), t = A s + e. */
static int
indcpa_keypair (uint8_t        pk[SP_KYBER1024_PUBLIC_KEY_BYTES],
                uint8_t        sk[KYBER_POLYVEC_BYTES],
                KyberHashes   *hashes,
                const uint8_t  d[KYBER_SYM_BYTES])
{
  uint8_t seeds[2 * KYBER_SYM_BYTES];
  const uint8_t *rho = seeds;
  const uint8_t *sigma = seeds + KYBER_SYM_BYTES;
  PolyVec a[KYBER_K];
  PolyVec s;
  PolyVec e;
  Poly t;
  uint8_t nonce = 0;
  int ret;

  ret = sp_sha3_512 (seeds, d, KYBER_SYM_BYTES);
  if (ret != SP_OK)
    goto out;
  SP_DECLASSIFY (seeds, KYBER_SYM_BYTES);

  ret = gen_matrix (a, hashes, rho, 0);
  for (size_t i = 0; i < KYBER_K && ret == SP_OK; i++)
    ret = poly_getnoise (&s.vec[i], hashes, sigma, nonce++);
  for (size_t i = 0; i < KYBER_K && ret == SP_OK; i++)
    ret = poly_getnoise (&e.vec[i], hashes, sigma, nonce++);
  if (ret != SP_OK)
    goto out;

  for (size_t i = 0; i < KYBER_K; i++)
    {
      poly_ntt (&s.vec[i]);
      poly_ntt (&e.vec[i]);
    }

  for (size_t i = 0; i < KYBER_K; i++)
    {
      polyvec_basemul_acc (&t, &a[i], &s);
      poly_tomont (&t);
      poly_add (&t, &e.vec[i]);
      poly_reduce (&t);
      poly_tobytes (pk + i * KYBER_POLY_BYTES, &t);
      poly_tobytes (sk + i * KYBER_POLY_BYTES, &s.vec[i]);
    }
  memcpy (pk + KYBER_POLYVEC_BYTES, rho, KYBER_SYM_BYTES);

out:
  sodium_memzero (seeds, sizeof seeds);
  sodium_memzero (&s, sizeof s);
  sodium_memzero (&e, sizeof e);
  sodium_memzero (&t, sizeof t);
  return ret;
}

/* IND-CPA encryption of @msg under @pk with the noise seed @coins:
 * u = A^T r + e1, v = t^T r + e2 + Decompress_1 (msg). */
static int
indcpa_enc (uint8_t        c[SP_KYBER1024_CIPHERTEXT_BYTES],
            KyberHashes   *hashes,
            const uint8_t  msg[KYBER_SYM_BYTES],
            const uint8_t  pk[SP_KYBER1024_PUBLIC_KEY_BYTES],
            const uint8_t  coins[KYBER_SYM_BYTES])
{
  PolyVec at[KYBER_K];
  PolyVec t;
  PolyVec r;
  PolyVec u;
  Poly e;
  Poly v;
  Poly m;
  uint8_t nonce = 0;
  int ret;

  ret = gen_matrix (at, hashes, pk + KYBER_POLYVEC_BYTES, 1);
  for (size_t i = 0; i < KYBER_K && ret == SP_OK; i++)
    ret = poly_getnoise (&r.vec[i], hashes, coins, nonce++);
  if (ret != SP_OK)
    goto out;

  for (size_t i = 0; i < KYBER_K; i++)
    {
      poly_frombytes (&t.vec[i], pk + i * KYBER_POLY_BYTES);
      poly_ntt (&r.vec[i]);
    }

  for (size_t i = 0; i < KYBER_K; i++)
    {
      ret = poly_getnoise (&e, hashes, coins, nonce++);
      if (ret != SP_OK)
        goto out;
      polyvec_basemul_acc (&u.vec[i], &at[i], &r);
      poly_invntt_tomont (&u.vec[i]);
      poly_add (&u.vec[i], &e);
      poly_reduce (&u.vec[i]);
    }

  ret = poly_getnoise (&e, hashes, coins, nonce);
  if (ret != SP_OK)
    goto out;
  polyvec_basemul_acc (&v, &t, &r);
  poly_invntt_tomont (&v);
  poly_frommsg (&m, msg);
  poly_add (&v, &e);
  poly_add (&v, &m);
  poly_reduce (&v);

  polyvec_compress (c, &u);
  poly_compress (c + KYBER_POLYVEC_COMPRESSED_BYTES, &v);

out:
  sodium_memzero (&r, sizeof r);
  sodium_memzero (&u, sizeof u);
  sodium_memzero (&e, sizeof e);
  sodium_memzero (&v, sizeof v);
  sodium_memzero (&m, sizeof m);
  return ret;
}

/* IND-CPA decryption: msg = Compress_1 (v - s^T u). */
static void
indcpa_dec (uint8_t        msg[KYBER_SYM_BYTES],
            const uint8_t  c[SP_KYBER1024_CIPHERTEXT_BYTES],
            const uint8_t  sk[KYBER_POLYVEC_BYTES])
{
  PolyVec u;
  PolyVec s;
  Poly v;
  Poly mp;

  polyvec_decompress (&u, c);
  poly_decompress (&v, c + KYBER_POLYVEC_COMPRESSED_BYTES);
  for (size_t i = 0; i < KYBER_K; i++)
    {
      poly_frombytes (&s.vec[i], sk + i * KYBER_POLY_BYTES);
      poly_ntt (&u.vec[i]);
    }

  polyvec_basemul_acc (&mp, &s, &u);
  poly_invntt_tomont (&mp);
  for (size_t i = 0; i < KYBER_N; i++)
    mp.coeffs[i] = barrett_reduce ((int16_t) (v.coeffs[i] - mp.coeffs[i]));
  poly_tomsg (msg, &mp);

  sodium_memzero (&s, sizeof s);
  sodium_memzero (&mp, sizeof mp);
}

/* Returns 0xff when @a and @b differ, 0 when they are equal, in time
 * independent of their contents. */
static uint8_t
ct_differ_mask (const uint8_t *a,
                const uint8_t *b,
                size_t         len)
{
  uint32_t acc = 0;

  for (size_t i = 0; i < len; i++)
    acc |= (uint32_t) (a[i] ^ b[i]);

  /* acc is at most 0xff, so 0 - acc has its top bit set iff acc != 0. */
  return (uint8_t) (0u - (value_barrier (0u - acc) >> 31));
}

/* r = x where @mask is 0xff, unchanged where it is 0. */
static void
ct_cmov (uint8_t       *r,
         const uint8_t *x,
         size_t         len,
         uint8_t        mask)
{
  for (size_t i = 0; i < len; i++)
    r[i] = (uint8_t) (r[i] ^ (value_barrier (mask) & (r[i] ^ x[i])));
}

int
sp_kyber1024_keypair_from_seed (uint8_t        public_key[SP_KYBER_PUBLIC_KEY_SIZE],
                                uint8_t        secret_key[SP_KYBER_SECRET_KEY_SIZE],
                                const uint8_t  seed[SP_KYBER1024_SEED_BYTES])
{
  uint8_t sk[SP_KYBER_SECRET_KEY_SIZE];
  uint8_t *sk_raw = sk + 1;
  KyberHashes hashes;
  int ret;

  if (public_key == NULL || secret_key == NULL || seed == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  ret = kyber_hashes_open (&hashes);
  if (ret != SP_OK)
    return ret;

  /* The public key is built inside the secret key, which holds a copy. */
  sk[0] = SP_KEY_TYPE_KYBER1024;
  ret = indcpa_keypair (sk_raw + SK_PK_OFFSET, sk_raw, &hashes, seed);
  kyber_hashes_close (&hashes);
  if (ret == SP_OK)
    ret = sp_sha3_256 (sk_raw + SK_HPK_OFFSET, sk_raw + SK_PK_OFFSET,
                       SP_KYBER1024_PUBLIC_KEY_BYTES);
  if (ret == SP_OK)
    {
      memcpy (sk_raw + SK_Z_OFFSET, seed + KYBER_SYM_BYTES, KYBER_SYM_BYTES);
      public_key[0] = SP_KEY_TYPE_KYBER1024;
      memcpy (public_key + 1, sk_raw + SK_PK_OFFSET, SP_KYBER1024_PUBLIC_KEY_BYTES);
      memcpy (secret_key, sk, sizeof sk);
    }

  sodium_memzero (sk, sizeof sk);
  return ret;
}

int
sp_kyber1024_keypair (uint8_t public_key[SP_KYBER_PUBLIC_KEY_SIZE],
                      uint8_t secret_key[SP_KYBER_SECRET_KEY_SIZE])
{
  uint8_t seed[SP_KYBER1024_SEED_BYTES];
  int ret;

  if (public_key == NULL || secret_key == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  randombytes_buf (seed, sizeof seed);
  ret = sp_kyber1024_keypair_from_seed (public_key, secret_key, seed);
  sodium_memzero (seed, sizeof seed);

  return ret;
}

/* Round-3 encapsulation: m' = H (m); (Kbar, r) = G (m' || H (pk));
 * c = Enc (pk, m', r); K = SHAKE-256 (Kbar || H (c)). */
int
sp_kyber1024_encapsulate (uint8_t        ciphertext[SP_KYBER_CIPHERTEXT_SIZE],
                          uint8_t        shared_secret[SP_KYBER1024_SHARED_SECRET_BYTES],
                          const uint8_t *public_key,
                          size_t         public_key_len,
                          const uint8_t *random)
{
  uint8_t m[KYBER_SYM_BYTES];
  uint8_t buf[2 * KYBER_SYM_BYTES];  /* m' || H (pk) */
  uint8_t kr[2 * KYBER_SYM_BYTES];   /* Kbar || r, then Kbar || H (c) */
  uint8_t ss[SP_KYBER1024_SHARED_SECRET_BYTES];
  uint8_t ct[SP_KYBER_CIPHERTEXT_SIZE];
  const uint8_t *pk;
  KyberHashes hashes;
  int ret;

  if (ciphertext == NULL || shared_secret == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (public_key == NULL
      || public_key_len != SP_KYBER_PUBLIC_KEY_SIZE
      || public_key[0] != SP_KEY_TYPE_KYBER1024)
    return SP_ERR_INVALID_KEY;
  pk = public_key + 1;

  ret = kyber_hashes_open (&hashes);
  if (ret != SP_OK)
    return ret;

  if (random != NULL)
    memcpy (m, random, sizeof m);
  else
    randombytes_buf (m, sizeof m);

  ct[0] = SP_KEY_TYPE_KYBER1024;
  ret = sp_sha3_256 (buf, m, sizeof m);
  if (ret == SP_OK)
    ret = sp_sha3_256 (buf + KYBER_SYM_BYTES, pk, SP_KYBER1024_PUBLIC_KEY_BYTES);
  if (ret == SP_OK)
    ret = sp_sha3_512 (kr, buf, sizeof buf);
  if (ret == SP_OK)
    ret = indcpa_enc (ct + 1, &hashes, buf, pk, kr + KYBER_SYM_BYTES);
  if (ret == SP_OK)
    ret = sp_sha3_256 (kr + KYBER_SYM_BYTES, ct + 1, SP_KYBER1024_CIPHERTEXT_BYTES);
  if (ret == SP_OK)
    {
      sp_shake_reset (&hashes.prf);
      ret = sp_shake_absorb (&hashes.prf, kr, sizeof kr);
    }
  if (ret == SP_OK)
    ret = sp_shake_squeeze (&hashes.prf, ss, sizeof ss);
  kyber_hashes_close (&hashes);

  if (ret == SP_OK)
    {
      memcpy (ciphertext, ct, sizeof ct);
      memcpy (shared_secret, ss, sizeof ss);
    }

  sodium_memzero (m, sizeof m);
  sodium_memzero (buf, sizeof buf);
  sodium_memzero (kr, sizeof kr);
  sodium_memzero (ss, sizeof ss);
  return ret;
}

/* Round-3 decapsulation with implicit rejection: the ciphertext is
 * re-encrypted from the decrypted message, and unless it matches exactly
 * the secret is SHAKE-256 (z || H (c)) instead of SHAKE-256 (Kbar || H (c)),
 * chosen with a mask so that the outcome does not show in the timing. */
int
sp_kyber1024_decapsulate (uint8_t        shared_secret[SP_KYBER1024_SHARED_SECRET_BYTES],
                          const uint8_t *secret_key,
                          size_t         secret_key_len,
                          const uint8_t *ciphertext,
                          size_t         ciphertext_len)
{
  uint8_t buf[2 * KYBER_SYM_BYTES];  /* m' || H (pk) */
  uint8_t kr[2 * KYBER_SYM_BYTES];   /* Kbar || r, then K || H (c) */
  uint8_t ss[SP_KYBER1024_SHARED_SECRET_BYTES];
  uint8_t cmp[SP_KYBER1024_CIPHERTEXT_BYTES];
  const uint8_t *sk;
  const uint8_t *ct;
  KyberHashes hashes;
  int ret;

  if (shared_secret == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (secret_key == NULL
      || secret_key_len != SP_KYBER_SECRET_KEY_SIZE
      || secret_key[0] != SP_KEY_TYPE_KYBER1024)
    return SP_ERR_INVALID_KEY;
  if (ciphertext == NULL
      || ciphertext_len != SP_KYBER_CIPHERTEXT_SIZE
      || ciphertext[0] != SP_KEY_TYPE_KYBER1024)
    return SP_ERR_MALFORMED;
  sk = secret_key + 1;
  ct = ciphertext + 1;
  /* The public key stored in the secret key is public; its seed rho
   * drives the (variable-time) rejection sampling of the matrix. */
  SP_DECLASSIFY (sk + SK_PK_OFFSET + KYBER_POLYVEC_BYTES, KYBER_SYM_BYTES);

  ret = kyber_hashes_open (&hashes);
  if (ret != SP_OK)
    return ret;

  indcpa_dec (buf, ct, sk);
  memcpy (buf + KYBER_SYM_BYTES, sk + SK_HPK_OFFSET, KYBER_SYM_BYTES);
  ret = sp_sha3_512 (kr, buf, sizeof buf);
  if (ret == SP_OK)
    ret = indcpa_enc (cmp, &hashes, buf, sk + SK_PK_OFFSET, kr + KYBER_SYM_BYTES);
  if (ret == SP_OK)
    ret = sp_sha3_256 (kr + KYBER_SYM_BYTES, ct, SP_KYBER1024_CIPHERTEXT_BYTES);
  if (ret == SP_OK)
    {
      uint8_t fail = ct_differ_mask (ct, cmp, SP_KYBER1024_CIPHERTEXT_BYTES);

      ct_cmov (kr, sk + SK_Z_OFFSET, KYBER_SYM_BYTES, fail);
      sp_shake_reset (&hashes.prf);
      ret = sp_shake_absorb (&hashes.prf, kr, sizeof kr);
    }
  if (ret == SP_OK)
    ret = sp_shake_squeeze (&hashes.prf, ss, sizeof ss);
  kyber_hashes_close (&hashes);

  if (ret == SP_OK)
    memcpy (shared_secret, ss, sizeof ss);

  sodium_memzero (buf, sizeof buf);
  sodium_memzero (kr, sizeof kr);
  sodium_memzero (ss, sizeof ss);
  sodium_memzero (cmp, sizeof cmp);
  return ret;
}
