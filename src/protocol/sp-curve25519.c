/* sp-curve25519.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Field elements are kept "carried": every limb below its width, except
 * limb 1, which may exceed 2^25 by less than 2^15 after the final carry
 * of fe_carry().  Every function returns carried elements, so each input
 * of fe_mul() is below 2^26 per limb and the ten partial products that
 * add up in one 64-bit accumulator stay below 2^60.  Unsigned limbs keep
 * the arithmetic free of undefined behaviour; subtraction adds 2p first.
 */

#include "sp-curve25519.h"
#include "sp-error.h"

#include <string.h>

#define MASK26 ((UINT64_C (1) << 26) - 1)
#define MASK25 ((UINT64_C (1) << 25) - 1)

/* Limb i holds bits [limb_shift[i], limb_shift[i] + limb_bits[i]). */
static const unsigned limb_bits[10] = { 26, 25, 26, 25, 26, 25, 26, 25, 26, 25 };
static const unsigned limb_shift[10] = { 0, 26, 51, 77, 102, 128, 153, 179, 204, 230 };

/* 2p in the same radix, for subtraction without underflow. */
static const uint64_t two_p[10] = {
  2 * (MASK26 - 18), 2 * MASK25, 2 * MASK26, 2 * MASK25, 2 * MASK26,
  2 * MASK25, 2 * MASK26, 2 * MASK25, 2 * MASK26, 2 * MASK25,
};

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

static uint64_t
limb_mask (unsigned i)
{
  return limb_bits[i] == 26 ? MASK26 : MASK25;
}

static void
fe_carry (SpFe *h)
{
  uint64_t c;

  /* Limb pairs: 26 bits, then 25. */
  for (unsigned i = 0; i < 10; i += 2)
    {
      c = h->v[i] >> 26;
      h->v[i] &= MASK26;
      h->v[i + 1] += c;
      c = h->v[i + 1] >> 25;
      h->v[i + 1] &= MASK25;
      /* Past limb 9: 2^255 = 19 (mod p). */
      if (i + 2 < 10)
        h->v[i + 2] += c;
      else
        h->v[0] += 19 * c;
    }
  c = h->v[0] >> 26;
  h->v[0] &= MASK26;
  h->v[1] += c;
}

static void
fe_set_small (SpFe     *h,
              uint64_t  value)
{
  memset (h, 0, sizeof *h);
  h->v[0] = value;
}

static uint32_t
load_le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* Bit 255 is dropped; an encoding of a value >= p is accepted and
 * reduced by the arithmetic. */
static void
fe_frombytes (SpFe          *h,
              const uint8_t  s[32])
{
  /* Every limb fits in the 32 bits read at its first byte: shift % 8
   * plus width never exceeds 32, and the last read ends at byte 31. */
  for (unsigned i = 0; i < 10; i++)
    h->v[i] = (load_le32 (s + limb_shift[i] / 8) >> (limb_shift[i] % 8)) & limb_mask (i);
}

/* The canonical encoding, the representative below p. */
static void
fe_tobytes (uint8_t     s[32],
            const SpFe *f)
{
  SpFe t = *f;
  uint64_t q;

  /* Two passes leave every limb within its width and the value below
   * 2^255: a carry out of the second pass can only occur when what
   * remains is tiny, so adding 19 to limb 0 cannot overflow it. */
  fe_carry (&t);
  fe_carry (&t);

  /* q = 1 exactly when t >= p, that is when t + 19 reaches 2^255. */
  q = (t.v[0] + 19) >> 26;
  for (unsigned i = 1; i < 10; i++)
    q = (t.v[i] + q) >> limb_bits[i];

  t.v[0] += 19 * q;
  for (unsigned i = 0; i < 9; i++)
    {
      t.v[i + 1] += t.v[i] >> limb_bits[i];
      t.v[i] &= limb_mask (i);
    }
  t.v[9] &= MASK25;

  memset (s, 0, 32);
  for (unsigned i = 0; i < 10; i++)
    {
      uint64_t x = t.v[i] << (limb_shift[i] % 8);

      for (unsigned k = limb_shift[i] / 8; x != 0; k++, x >>= 8)
        s[k] |= (uint8_t) x;
    }
}

static void
fe_add (SpFe       *h,
        const SpFe *f,
        const SpFe *g)
{
  for (unsigned i = 0; i < 10; i++)
    h->v[i] = f->v[i] + g->v[i];
  fe_carry (h);
}

static void
fe_sub (SpFe       *h,
        const SpFe *f,
        const SpFe *g)
{
  for (unsigned i = 0; i < 10; i++)
    h->v[i] = f->v[i] + two_p[i] - g->v[i];
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

/* Limb weights are 2^ceil(25.5·i): the product of two odd limbs lands a
 * factor 2 below the weight of limb i + j, and limbs i + j >= 10 wrap
 * around with the factor 19 = 2^255 mod p.  Output limb k sums f_i times
 * g_(k-i), taken from g·19 when k - i wraps below zero; both i and k - i
 * are odd only for odd i and even k, which is when f_i counts twice. */
static void
fe_mul (SpFe       *h,
        const SpFe *f,
        const SpFe *g)
{
  uint64_t f2[10], gg[19], t[10];

  for (unsigned i = 0; i < 10; i++)
    {
      f2[i] = (i & 1) ? 2 * f->v[i] : f->v[i];
      gg[i + 9] = g->v[i];
      if (i > 0)
        gg[i - 1] = 19 * g->v[i];
    }

  for (unsigned k = 0; k < 10; k++)
    {
      const uint64_t *fk = (k & 1) ? f->v : f2;
      const uint64_t *gk = gg + 9 + k;
      uint64_t sum = 0;

      for (unsigned i = 0; i < 10; i++)
        sum += fk[i] * gk[-(int) i];
      t[k] = sum;
    }

  memcpy (h->v, t, sizeof t);
  fe_carry (h);
}

static void
fe_sq (SpFe       *h,
       const SpFe *f)
{
  fe_mul (h, f, f);
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
fe_is_negative (const SpFe *f)
{
  uint8_t s[32];

  fe_tobytes (s, f);
  return s[0] & 1;
}

int
sp_curve25519_edwards_y (uint8_t       y[32],
                         const uint8_t u[32])
{
  SpFe fu, one, num, den, inv, fy, zero;

  fe_frombytes (&fu, u);
  fe_set_small (&one, 1);
  fe_set_small (&zero, 0);
  fe_add (&den, &fu, &one);
  if (fe_equal (&den, &zero))
    return SP_ERR_INVALID_KEY;

  fe_sub (&num, &fu, &one);
  fe_invert (&inv, &den);
  fe_mul (&fy, &num, &inv);
  fe_tobytes (y, &fy);
  return SP_OK;
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

void
sp_curve25519_point_encode (uint8_t          encoding[32],
                            const SpEdPoint *point)
{
  SpFe zi, x, y;

  fe_invert (&zi, &point->Z);
  fe_mul (&x, &point->X, &zi);
  fe_mul (&y, &point->Y, &zi);
  fe_tobytes (encoding, &y);
  encoding[31] |= (uint8_t) (fe_is_negative (&x) << 7);
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

static void
point_identity (SpEdPoint *p)
{
  fe_set_small (&p->X, 0);
  fe_set_small (&p->Y, 1);
  fe_set_small (&p->Z, 1);
  fe_set_small (&p->T, 0);
}

/* Unified addition in extended coordinates for a = -1 (Hisil, Wong,
 * Carter and Dawson, 2008).  Complete on edwards25519 because d is not a
 * square, so it also serves points with a torsion component. */
static void
point_add (SpEdPoint       *r,
           const SpEdPoint *p,
           const SpEdPoint *q,
           const SpFe      *d2)
{
  SpFe a, b, c, d, e, f, g, h, t;

  fe_sub (&a, &p->Y, &p->X);
  fe_sub (&t, &q->Y, &q->X);
  fe_mul (&a, &a, &t);
  fe_add (&b, &p->Y, &p->X);
  fe_add (&t, &q->Y, &q->X);
  fe_mul (&b, &b, &t);
  fe_mul (&c, &p->T, &q->T);
  fe_mul (&c, &c, d2);
  fe_mul (&d, &p->Z, &q->Z);
  fe_add (&d, &d, &d);
  fe_sub (&e, &b, &a);
  fe_sub (&f, &d, &c);
  fe_add (&g, &d, &c);
  fe_add (&h, &b, &a);
  fe_mul (&r->X, &e, &f);
  fe_mul (&r->Y, &g, &h);
  fe_mul (&r->T, &e, &h);
  fe_mul (&r->Z, &f, &g);
}

/* Doubling for a = -1, same source. */
static void
point_double (SpEdPoint       *r,
              const SpEdPoint *p)
{
  SpFe a, b, c, d, e, f, g, h, t;

  fe_sq (&a, &p->X);
  fe_sq (&b, &p->Y);
  fe_sq (&c, &p->Z);
  fe_add (&c, &c, &c);
  fe_neg (&d, &a);
  fe_add (&t, &p->X, &p->Y);
  fe_sq (&e, &t);
  fe_sub (&e, &e, &a);
  fe_sub (&e, &e, &b);
  fe_add (&g, &d, &b);
  fe_sub (&f, &g, &c);
  fe_sub (&h, &d, &b);
  fe_mul (&r->X, &e, &f);
  fe_mul (&r->Y, &g, &h);
  fe_mul (&r->T, &e, &h);
  fe_mul (&r->Z, &f, &g);
}

static unsigned
scalar_bit (const uint8_t s[32],
            unsigned      i)
{
  return (s[i / 8] >> (i % 8)) & 1;
}

void
sp_curve25519_double_scalarmult (SpEdPoint       *out,
                                 const uint8_t    a[32],
                                 const SpEdPoint *A,
                                 const uint8_t    b[32])
{
  SpEdPoint B, AB, r;
  SpFe d2;

  fe_frombytes (&B.X, base_x);
  fe_frombytes (&B.Y, base_y);
  fe_set_small (&B.Z, 1);
  fe_mul (&B.T, &B.X, &B.Y);
  fe_frombytes (&d2, edwards_d);
  fe_add (&d2, &d2, &d2);
  point_add (&AB, A, &B, &d2);

  /* Shamir's trick: one shared chain of doublings, most significant bit
   * first, adding A, B or A + B as the two scalars' bits ask. */
  point_identity (&r);
  for (unsigned i = 256; i-- > 0;)
    {
      unsigned bit_a = scalar_bit (a, i);
      unsigned bit_b = scalar_bit (b, i);

      point_double (&r, &r);
      if (bit_a && bit_b)
        point_add (&r, &r, &AB, &d2);
      else if (bit_a)
        point_add (&r, &r, A, &d2);
      else if (bit_b)
        point_add (&r, &r, &B, &d2);
    }

  *out = r;
}
