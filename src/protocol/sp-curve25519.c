/* sp-curve25519.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Field elements are kept "carried": every limb below 2^52.  Every
 * function returns carried elements, so an output limb of a product sums
 * five terms below 19 · 2^104, under 2^111, and the carry out of its top
 * limb, times 19, still fits in 64 bits.  Sums and differences are carried
 * with all five limbs at once, which leaves each limb just above 2^51 at
 * most; only the encoding reduces fully.  Subtraction adds 4p first, which
 * keeps the limbs unsigned.
 *
 * Points are handled as in ref10: a doubling or an addition produces a
 * "completed" point (E, F, G, H), whose extended coordinates are
 * (E·F : G·H : F·G : E·H); converting it costs three multiplications when
 * the next step is a doubling, which needs no T, and four otherwise.
 */

#include "sp-curve25519.h"
#include "sp-error.h"

#include <string.h>

#define MASK51 ((UINT64_C (1) << 51) - 1)

/* Width of the signed windows of the double scalar multiplication: digits
 * are odd and below 2^(WINDOW - 1) in absolute value, and each of the
 * two tables holds the 2^(WINDOW - 2) odd multiples of its point. */
#define WINDOW 5
#define TABLE_SIZE (1 << (WINDOW - 2))
/* A 256-bit scalar can carry into a 257th digit. */
#define NAF_DIGITS 257

/* 128-bit accumulators for the products of limbs.  Compilers without
 * 128-bit integers (on 32-bit targets) get the same arithmetic from
 * 64-bit halves; SP_CURVE25519_PORTABLE forces that path, so that a
 * test can check it. */
#if defined(__SIZEOF_INT128__) && !defined(SP_CURVE25519_PORTABLE)
typedef unsigned __int128 Wide;

static inline Wide
wide_mul (uint64_t a,
          uint64_t b)
{
  return (Wide) a * b;
}

static inline Wide
wide_add (Wide a,
          Wide b)
{
  return a + b;
}

static inline Wide
wide_add_small (Wide     a,
                uint64_t b)
{
  return a + b;
}

static inline uint64_t
wide_low (Wide a)
{
  return (uint64_t) a;
}

/* Bits 51 to 114; the accumulators here never reach 2^115. */
static inline uint64_t
wide_shift51 (Wide a)
{
  return (uint64_t) (a >> 51);
}
#else
typedef struct {
  uint64_t lo;
  uint64_t hi;
} Wide;

static inline Wide
wide_mul (uint64_t a,
          uint64_t b)
{
  uint64_t a_lo = a & 0xffffffff, a_hi = a >> 32;
  uint64_t b_lo = b & 0xffffffff, b_hi = b >> 32;
  uint64_t lo_lo = a_lo * b_lo;
  uint64_t hi_lo = a_hi * b_lo;
  /* At most (2^32 - 1) · 2 + (2^32 - 1)^2 = 2^64 - 1: no overflow. */
  uint64_t middle = (lo_lo >> 32) + (hi_lo & 0xffffffff) + a_lo * b_hi;
  Wide r;

  r.lo = middle << 32 | (lo_lo & 0xffffffff);
  r.hi = a_hi * b_hi + (hi_lo >> 32) + (middle >> 32);
  return r;
}

static inline Wide
wide_add (Wide a,
          Wide b)
{
  Wide r;

  r.lo = a.lo + b.lo;
  r.hi = a.hi + b.hi + (r.lo < a.lo);
  return r;
}

static inline Wide
wide_add_small (Wide     a,
                uint64_t b)
{
  Wide r;

  r.lo = a.lo + b;
  r.hi = a.hi + (r.lo < b);
  return r;
}

static inline uint64_t
wide_low (Wide a)
{
  return a.lo;
}

static inline uint64_t
wide_shift51 (Wide a)
{
  return a.lo >> 51 | a.hi << 13;
}
#endif

/* a0·b0 + a1·b1 + ... + a4·b4 */
static inline Wide
dot5 (uint64_t a0, uint64_t b0,
      uint64_t a1, uint64_t b1,
      uint64_t a2, uint64_t b2,
      uint64_t a3, uint64_t b3,
      uint64_t a4, uint64_t b4)
{
  Wide r = wide_mul (a0, b0);

  r = wide_add (r, wide_mul (a1, b1));
  r = wide_add (r, wide_mul (a2, b2));
  r = wide_add (r, wide_mul (a3, b3));
  return wide_add (r, wide_mul (a4, b4));
}

/* a0·b0 + a1·b1 + a2·b2 */
static inline Wide
dot3 (uint64_t a0, uint64_t b0,
      uint64_t a1, uint64_t b1,
      uint64_t a2, uint64_t b2)
{
  Wide r = wide_mul (a0, b0);

  r = wide_add (r, wide_mul (a1, b1));
  return wide_add (r, wide_mul (a2, b2));
}

/* d = -121665/121666, sqrt(-1) = 2^((p-1)/4) and the base point
 * (x positive, y = 4/5), little-endian. */
static const uint8_t edwards_d[32] = {
  0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
  0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52,
};
static const uint8_t sqrt_minus_one[32] = {
  0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
  0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b,
};
static const uint8_t base_x[32] = {
  0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25, 0x95, 0x60, 0xc7, 0x2c, 0x69,
  0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2, 0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21,
};
static const uint8_t base_y[32] = {
  0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
  0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
};

/* Field elements */

/* Brings limbs below 2^55 back below 2^52.  The carries of all limbs
 * are independent, so they run in parallel instead of as a chain. */
static void
fe_carry (SpFe *h)
{
  uint64_t h0 = h->v[0], h1 = h->v[1], h2 = h->v[2], h3 = h->v[3], h4 = h->v[4];

  /* Past limb 4: 2^255 = 19 (mod p). */
  h->v[0] = (h0 & MASK51) + 19 * (h4 >> 51);
  h->v[1] = (h1 & MASK51) + (h0 >> 51);
  h->v[2] = (h2 & MASK51) + (h1 >> 51);
  h->v[3] = (h3 & MASK51) + (h2 >> 51);
  h->v[4] = (h4 & MASK51) + (h3 >> 51);
}

/* Carries the 128-bit limbs of a product into a carried element; here
 * each carry can be large, so they run as a chain. */
static void
fe_carry_wide (SpFe *h,
               Wide  r[5])
{
  for (unsigned i = 0; i < 4; i++)
    {
      r[i + 1] = wide_add_small (r[i + 1], wide_shift51 (r[i]));
      h->v[i] = wide_low (r[i]) & MASK51;
    }
  h->v[4] = wide_low (r[4]) & MASK51;
  h->v[0] += 19 * wide_shift51 (r[4]);
  h->v[1] += h->v[0] >> 51;
  h->v[0] &= MASK51;
}

static void
fe_set_small (SpFe     *h,
              uint64_t  value)
{
  memset (h, 0, sizeof *h);
  h->v[0] = value;
}

static uint64_t
load_le64 (const uint8_t *p)
{
  uint64_t x = 0;

  for (unsigned i = 8; i-- > 0;)
    x = x << 8 | p[i];
  return x;
}

static void
store_le64 (uint8_t  *p,
            uint64_t  x)
{
  for (unsigned i = 0; i < 8; i++, x >>= 8)
    p[i] = (uint8_t) x;
}

/* Bit 255 is dropped; an encoding of a value >= p is accepted and
 * reduced by the arithmetic. */
static void
fe_frombytes (SpFe          *h,
              const uint8_t  s[32])
{
  uint64_t w0 = load_le64 (s);
  uint64_t w1 = load_le64 (s + 8);
  uint64_t w2 = load_le64 (s + 16);
  uint64_t w3 = load_le64 (s + 24);

  h->v[0] = w0 & MASK51;
  h->v[1] = (w0 >> 51 | w1 << 13) & MASK51;
  h->v[2] = (w1 >> 38 | w2 << 26) & MASK51;
  h->v[3] = (w2 >> 25 | w3 << 39) & MASK51;
  h->v[4] = (w3 >> 12) & MASK51;
}

/* The canonical encoding, the representative below p. */
static void
fe_tobytes (uint8_t     s[32],
            const SpFe *f)
{
  SpFe t = *f;
  uint64_t q;

  /* Two chains of carries leave every limb within 51 bits and the value
   * below 2^255: the first leaves limb 0 at most 38 above 2^51, and a
   * carry out of the second can only occur when what remains is below 38,
   * so adding 19 to limb 0 cannot overflow it. */
  for (unsigned pass = 0; pass < 2; pass++)
    {
      for (unsigned i = 0; i < 4; i++)
        {
          t.v[i + 1] += t.v[i] >> 51;
          t.v[i] &= MASK51;
        }
      t.v[0] += 19 * (t.v[4] >> 51);
      t.v[4] &= MASK51;
    }

  /* q = 1 exactly when t >= p, that is when t + 19 reaches 2^255. */
  q = (t.v[0] + 19) >> 51;
  for (unsigned i = 1; i < 5; i++)
    q = (t.v[i] + q) >> 51;

  t.v[0] += 19 * q;
  for (unsigned i = 0; i < 4; i++)
    {
      t.v[i + 1] += t.v[i] >> 51;
      t.v[i] &= MASK51;
    }
  t.v[4] &= MASK51;

  store_le64 (s, t.v[0] | t.v[1] << 51);
  store_le64 (s + 8, t.v[1] >> 13 | t.v[2] << 38);
  store_le64 (s + 16, t.v[2] >> 26 | t.v[3] << 25);
  store_le64 (s + 24, t.v[3] >> 39 | t.v[4] << 12);
}

static void
fe_add (SpFe       *h,
        const SpFe *f,
        const SpFe *g)
{
  for (unsigned i = 0; i < 5; i++)
    h->v[i] = f->v[i] + g->v[i];
  fe_carry (h);
}

/* 4p limb by limb, above every carried limb. */
static const uint64_t four_p[5] = {
  4 * (MASK51 - 18), 4 * MASK51, 4 * MASK51, 4 * MASK51, 4 * MASK51,
};

static void
fe_sub (SpFe       *h,
        const SpFe *f,
        const SpFe *g)
{
  for (unsigned i = 0; i < 5; i++)
    h->v[i] = f->v[i] + four_p[i] - g->v[i];
  fe_carry (h);
}

static void
fe_neg (SpFe       *h,
        const SpFe *f)
{
  SpFe zero;

  fe_set_small (&zero, 0);
  fe_sub (h, &zero, f);
}

/* Output limb k sums f_i·g_j over i + j = k, and 19·f_i·g_j over
 * i + j = k + 5, which wrap around because 2^255 = 19 (mod p). */
static void
fe_mul (SpFe       *h,
        const SpFe *f,
        const SpFe *g)
{
  uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
  uint64_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
  uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
  Wide r[5];

  r[0] = dot5 (f0, g0, f1, g4_19, f2, g3_19, f3, g2_19, f4, g1_19);
  r[1] = dot5 (f0, g1, f1, g0, f2, g4_19, f3, g3_19, f4, g2_19);
  r[2] = dot5 (f0, g2, f1, g1, f2, g0, f3, g4_19, f4, g3_19);
  r[3] = dot5 (f0, g3, f1, g2, f2, g1, f3, g0, f4, g4_19);
  r[4] = dot5 (f0, g4, f1, g3, f2, g2, f3, g1, f4, g0);
  fe_carry_wide (h, r);
}

/* fe_mul (h, f, f) with the symmetric products computed once. */
static void
fe_sq (SpFe       *h,
       const SpFe *f)
{
  uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
  uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1;
  uint64_t f1_38 = 38 * f1, f2_38 = 38 * f2, f3_38 = 38 * f3;
  uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
  Wide r[5];

  r[0] = dot3 (f0, f0, f1_38, f4, f2_38, f3);
  r[1] = dot3 (f0_2, f1, f2_38, f4, f3_19, f3);
  r[2] = dot3 (f0_2, f2, f1, f1, f3_38, f4);
  r[3] = dot3 (f0_2, f3, f1_2, f2, f4_19, f4);
  r[4] = dot3 (f0_2, f4, f1_2, f3, f2, f2);
  fe_carry_wide (h, r);
}

/* h = f^(2^n) */
static void
fe_sq_times (SpFe       *h,
             const SpFe *f,
             unsigned    n)
{
  *h = *f;
  while (n-- > 0)
    fe_sq (h, h);
}

/* Shared part of the addition chains for p - 2 and (p - 5)/8: sets
 * @z11 = z^11 and @z250 = z^(2^250 - 1). */
static void
fe_pow_2_250_1 (SpFe       *z11,
                SpFe       *z250,
                const SpFe *z)
{
  SpFe z2, z9, z5_0, z10_0, z20_0, z40_0, z50_0, z100_0, z200_0, t;

  fe_sq (&z2, z);                       /* 2 */
  fe_sq_times (&t, &z2, 2);             /* 8 */
  fe_mul (&z9, &t, z);                  /* 9 */
  fe_mul (z11, &z9, &z2);               /* 11 */
  fe_sq (&t, z11);                      /* 22 */
  fe_mul (&z5_0, &t, &z9);              /* 2^5 - 1 */
  fe_sq_times (&t, &z5_0, 5);
  fe_mul (&z10_0, &t, &z5_0);           /* 2^10 - 1 */
  fe_sq_times (&t, &z10_0, 10);
  fe_mul (&z20_0, &t, &z10_0);          /* 2^20 - 1 */
  fe_sq_times (&t, &z20_0, 20);
  fe_mul (&z40_0, &t, &z20_0);          /* 2^40 - 1 */
  fe_sq_times (&t, &z40_0, 10);
  fe_mul (&z50_0, &t, &z10_0);          /* 2^50 - 1 */
  fe_sq_times (&t, &z50_0, 50);
  fe_mul (&z100_0, &t, &z50_0);         /* 2^100 - 1 */
  fe_sq_times (&t, &z100_0, 100);
  fe_mul (&z200_0, &t, &z100_0);        /* 2^200 - 1 */
  fe_sq_times (&t, &z200_0, 50);
  fe_mul (z250, &t, &z50_0);            /* 2^250 - 1 */
}

/* z^(p - 2) = z^(2^255 - 21), which is 1/z for z != 0 and 0 for z = 0. */
static void
fe_invert (SpFe       *h,
           const SpFe *z)
{
  SpFe z11, z250, t;

  fe_pow_2_250_1 (&z11, &z250, z);
  fe_sq_times (&t, &z250, 5);
  fe_mul (h, &t, &z11);
}

/* z^((p - 5)/8) = z^(2^252 - 3), the core of the square root. */
static void
fe_pow22523 (SpFe       *h,
             const SpFe *z)
{
  SpFe z11, z250, t;

  fe_pow_2_250_1 (&z11, &z250, z);
  fe_sq_times (&t, &z250, 2);
  fe_mul (h, &t, z);
}

static int
fe_equal (const SpFe *f,
          const SpFe *g)
{
  uint8_t a[32], b[32];

  fe_tobytes (a, f);
  fe_tobytes (b, g);
  return memcmp (a, b, 32) == 0;
}

static int
fe_is_zero (const SpFe *f)
{
  static const uint8_t zero[32] = { 0 };
  uint8_t s[32];

  fe_tobytes (s, f);
  return memcmp (s, zero, 32) == 0;
}

static int
fe_is_negative (const SpFe *f)
{
  uint8_t s[32];

  fe_tobytes (s, f);
  return s[0] & 1;
}

/* h = f / g, or SP_ERR_INVALID_KEY when g = 0. */
static int
fe_divide (SpFe       *h,
           const SpFe *f,
           const SpFe *g)
{
  SpFe inverse;

  if (fe_is_zero (g))
    return SP_ERR_INVALID_KEY;
  fe_invert (&inverse, g);
  fe_mul (h, f, &inverse);
  return SP_OK;
}

/* Conversions between the curve models */

int
sp_curve25519_edwards_y (uint8_t       y[32],
                         const uint8_t u[32])
{
  SpFe fu, one, num, den, fy;
  int rc;

  fe_frombytes (&fu, u);
  fe_set_small (&one, 1);
  fe_sub (&num, &fu, &one);
  fe_add (&den, &fu, &one);
  if ((rc = fe_divide (&fy, &num, &den)) != SP_OK)
    return rc;
  fe_tobytes (y, &fy);
  return SP_OK;
}

int
sp_curve25519_montgomery_u (uint8_t       u[32],
                            const uint8_t y[32])
{
  SpFe fy, one, num, den, fu;
  int rc;

  fe_frombytes (&fy, y);
  fe_set_small (&one, 1);
  fe_add (&num, &one, &fy);
  fe_sub (&den, &one, &fy);
  if ((rc = fe_divide (&fu, &num, &den)) != SP_OK)
    return rc;
  fe_tobytes (u, &fu);
  return SP_OK;
}

/* Points */

/* (E, F, G, H) with X = E·F, Y = G·H, Z = F·G and T = E·H. */
typedef struct {
  SpFe E;
  SpFe F;
  SpFe G;
  SpFe H;
} Completed;

/* (X : Y : Z), enough for a doubling. */
typedef struct {
  SpFe X;
  SpFe Y;
  SpFe Z;
} Projective;

/* A point ready to be added: Y + X, Y - X, 2·Z and 2·d·T. */
typedef struct {
  SpFe YplusX;
  SpFe YminusX;
  SpFe Z2;
  SpFe T2d;
} Cached;

static void
completed_to_projective (Projective      *r,
                         const Completed *c)
{
  fe_mul (&r->X, &c->E, &c->F);
  fe_mul (&r->Y, &c->G, &c->H);
  fe_mul (&r->Z, &c->F, &c->G);
}

static void
completed_to_extended (SpEdPoint       *r,
                       const Completed *c)
{
  fe_mul (&r->X, &c->E, &c->F);
  fe_mul (&r->Y, &c->G, &c->H);
  fe_mul (&r->Z, &c->F, &c->G);
  fe_mul (&r->T, &c->E, &c->H);
}

static void
extended_to_cached (Cached          *r,
                    const SpEdPoint *p,
                    const SpFe      *d2)
{
  fe_add (&r->YplusX, &p->Y, &p->X);
  fe_sub (&r->YminusX, &p->Y, &p->X);
  fe_add (&r->Z2, &p->Z, &p->Z);
  fe_mul (&r->T2d, &p->T, d2);
}

/* d2 = 2·d, the constant of the addition formula. */
static void
load_d2 (SpFe *d2)
{
  SpFe d;

  fe_frombytes (&d, edwards_d);
  fe_add (d2, &d, &d);
}

/* Unified addition p + q or p - q in extended coordinates for a = -1
 * (Hisil, Wong, Carter and Dawson, 2008).  Complete on edwards25519
 * because d is not a square, so it also serves points with a torsion
 * component.  Subtracting q adds (-X, Y, Z, -T), which swaps Y + X with
 * Y - X and negates 2·d·T. */
static void
point_add (Completed       *r,
           const SpEdPoint *p,
           const Cached    *q,
           int              subtract)
{
  SpFe a, b, c, d, t;

  fe_sub (&t, &p->Y, &p->X);
  fe_mul (&a, &t, subtract ? &q->YplusX : &q->YminusX);
  fe_add (&t, &p->Y, &p->X);
  fe_mul (&b, &t, subtract ? &q->YminusX : &q->YplusX);
  fe_mul (&c, &p->T, &q->T2d);
  fe_mul (&d, &p->Z, &q->Z2);

  fe_sub (&r->E, &b, &a);
  fe_add (&r->H, &b, &a);
  if (subtract)
    {
      fe_add (&r->F, &d, &c);
      fe_sub (&r->G, &d, &c);
    }
  else
    {
      fe_sub (&r->F, &d, &c);
      fe_add (&r->G, &d, &c);
    }
}

/* Doubling for a = -1, same source, with E, F, G and H all negated,
 * which leaves the point as it is. */
static void
point_double (Completed        *r,
              const Projective *p)
{
  SpFe a, b, c, t;

  fe_sq (&a, &p->X);
  fe_sq (&b, &p->Y);
  fe_sq (&c, &p->Z);
  fe_add (&c, &c, &c);
  fe_add (&t, &p->X, &p->Y);
  fe_sq (&t, &t);

  fe_add (&r->H, &a, &b);
  fe_sub (&r->E, &r->H, &t);
  fe_sub (&r->G, &a, &b);
  fe_add (&r->F, &c, &r->G);
}

int
sp_curve25519_point_decode (SpEdPoint     *point,
                            const uint8_t  encoding[32])
{
  SpFe x, y, d, one, yy, u, v, v3, v7, t, vxx, neg_u;

  fe_frombytes (&y, encoding);
  fe_frombytes (&d, edwards_d);
  fe_set_small (&one, 1);

  /* x^2 = u/v with u = y^2 - 1 and v = d·y^2 + 1; the candidate root is
   * u·v^3·(u·v^7)^((p-5)/8), off by a factor sqrt(-1) half of the time. */
  fe_sq (&yy, &y);
  fe_sub (&u, &yy, &one);
  fe_mul (&v, &yy, &d);
  fe_add (&v, &v, &one);

  fe_sq (&v3, &v);
  fe_mul (&v3, &v3, &v);
  fe_sq (&v7, &v3);
  fe_mul (&v7, &v7, &v);
  fe_mul (&t, &v7, &u);
  fe_pow22523 (&t, &t);
  fe_mul (&t, &t, &v3);
  fe_mul (&x, &t, &u);

  fe_sq (&vxx, &x);
  fe_mul (&vxx, &vxx, &v);
  fe_neg (&neg_u, &u);
  if (fe_equal (&vxx, &neg_u))
    {
      SpFe i;

      fe_frombytes (&i, sqrt_minus_one);
      fe_mul (&x, &x, &i);
    }
  else if (!fe_equal (&vxx, &u))
    {
      return SP_ERR_INVALID_KEY;
    }

  if (fe_is_negative (&x) != (encoding[31] >> 7))
    fe_neg (&x, &x);

  point->X = x;
  point->Y = y;
  point->Z = one;
  fe_mul (&point->T, &x, &y);
  return SP_OK;
}

/* The encoding of affine coordinates (x, y). */
static void
encode_affine (uint8_t     encoding[32],
               const SpFe *x,
               const SpFe *y)
{
  fe_tobytes (encoding, y);
  encoding[31] |= (uint8_t) (fe_is_negative (x) << 7);
}

void
sp_curve25519_point_encode (uint8_t          encoding[32],
                            const SpEdPoint *point)
{
  SpFe zi, x, y;

  fe_invert (&zi, &point->Z);
  fe_mul (&x, &point->X, &zi);
  fe_mul (&y, &point->Y, &zi);
  encode_affine (encoding, &x, &y);
}

int
sp_curve25519_point_from_montgomery (SpEdPoint     *point,
                                     uint8_t        encoding[32],
                                     const uint8_t  u[32],
                                     unsigned       sign)
{
  uint8_t y[32];
  int rc;

  if ((rc = sp_curve25519_edwards_y (y, u)) != SP_OK)
    return rc;
  y[31] |= (uint8_t) ((sign & 1) << 7);
  if ((rc = sp_curve25519_point_decode (point, y)) != SP_OK)
    return rc;
  /* Decoding leaves Z = 1, so no inversion is needed. */
  encode_affine (encoding, &point->X, &point->Y);
  return SP_OK;
}

void
sp_curve25519_point_negate (SpEdPoint       *out,
                            const SpEdPoint *point)
{
  fe_neg (&out->X, &point->X);
  out->Y = point->Y;
  out->Z = point->Z;
  fe_neg (&out->T, &point->T);
}

/* Double scalar multiplication */

/* The signed-digit form of a 256-bit scalar, least significant first:
 * every nonzero digit is odd and below 2^(WINDOW - 1) in absolute value,
 * and nonzero digits are at least WINDOW positions apart.  A window of
 * bits with its lowest bit set becomes one digit; when that digit would
 * be too large, it is made negative and 2^WINDOW is carried into the
 * bits above. */
static void
scalar_naf (int8_t        naf[NAF_DIGITS],
            const uint8_t s[32])
{
  /* A zero word above the scalar, so that windows may read past it. */
  uint64_t words[5] = { load_le64 (s), load_le64 (s + 8), load_le64 (s + 16), load_le64 (s + 24), 0 };
  unsigned carry = 0;
  unsigned pos = 0;

  memset (naf, 0, NAF_DIGITS);
  while (pos < NAF_DIGITS)
    {
      unsigned word = pos / 64;
      unsigned shift = pos % 64;
      uint64_t bits = words[word] >> shift;
      unsigned window;

      if (shift > 64 - WINDOW && word + 1 < 5)
        bits |= words[word + 1] << (64 - shift);
      window = carry + (unsigned) (bits & ((1u << WINDOW) - 1));

      if ((window & 1) == 0)
        {
          pos++;
          continue;
        }
      if (window < 1u << (WINDOW - 1))
        {
          carry = 0;
          naf[pos] = (int8_t) window;
        }
      else
        {
          carry = 1;
          naf[pos] = (int8_t) ((int) window - (1 << WINDOW));
        }
      pos += WINDOW;
    }
}

/* table[i] = (2i + 1)·P */
static void
odd_multiples (Cached          *table,
               const SpEdPoint *P,
               const SpFe      *d2)
{
  Projective projective = { P->X, P->Y, P->Z };
  SpEdPoint current = *P;
  SpEdPoint doubled;
  Completed c;
  Cached twice;

  point_double (&c, &projective);
  completed_to_extended (&doubled, &c);
  extended_to_cached (&twice, &doubled, d2);

  extended_to_cached (&table[0], &current, d2);
  for (unsigned i = 1; i < TABLE_SIZE; i++)
    {
      point_add (&c, &current, &twice, 0);
      completed_to_extended (&current, &c);
      extended_to_cached (&table[i], &current, d2);
    }
}

/* Adds digit·P to the point in @c, with @table from odd_multiples(). */
static void
add_digit (Completed    *c,
           const Cached *table,
           int           digit)
{
  SpEdPoint sum;

  completed_to_extended (&sum, c);
  if (digit > 0)
    point_add (c, &sum, &table[digit / 2], 0);
  else
    point_add (c, &sum, &table[-digit / 2], 1);
}

/* Both scalars share one chain of doublings, most significant digit
 * first (Straus); a nonzero digit adds its odd multiple of A or B. */
void
sp_curve25519_double_scalarmult (SpEdPoint       *out,
                                 const uint8_t    a[32],
                                 const SpEdPoint *A,
                                 const uint8_t    b[32])
{
  int8_t naf_a[NAF_DIGITS], naf_b[NAF_DIGITS];
  Cached table_a[TABLE_SIZE], table_b[TABLE_SIZE];
  SpEdPoint B;
  Projective r;
  Completed c;
  SpFe d2;
  int i;

  load_d2 (&d2);
  fe_frombytes (&B.X, base_x);
  fe_frombytes (&B.Y, base_y);
  fe_set_small (&B.Z, 1);
  fe_mul (&B.T, &B.X, &B.Y);
  odd_multiples (table_a, A, &d2);
  odd_multiples (table_b, &B, &d2);
  scalar_naf (naf_a, a);
  scalar_naf (naf_b, b);

  /* The identity, as the completed point (0, 1, 1, 1). */
  fe_set_small (&c.E, 0);
  fe_set_small (&c.F, 1);
  fe_set_small (&c.G, 1);
  fe_set_small (&c.H, 1);

  for (i = NAF_DIGITS - 1; i >= 0 && naf_a[i] == 0 && naf_b[i] == 0; i--)
    ;
  for (; i >= 0; i--)
    {
      completed_to_projective (&r, &c);
      point_double (&c, &r);
      if (naf_a[i] != 0)
        add_digit (&c, table_a, naf_a[i]);
      if (naf_b[i] != 0)
        add_digit (&c, table_b, naf_b[i]);
    }

  completed_to_extended (out, &c);
}
