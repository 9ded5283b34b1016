/* The fast path of the chip kernel (_chip.pyx): one integration step of every circuit
 * in one vectorised pass.
 *
 * It is C, not Cython, for one reason: the loop must vectorise, and only an OpenMP SIMD
 * pragma (compiled with -fopenmp-simd, no OpenMP runtime) tells the compiler that the
 * per-circuit arrays do not overlap. _chip.pyx documents the scheme; this file holds
 * nothing else. Units: V, us, nA, nS.
 *
 * What makes the loops fast (each measured on the full-chip benchmark): no calls inside
 * them (exp is inline), masks as wide as the doubles, row pointers the compiler can see
 * are loop-invariant, and branches that are constant per call lifted out of the loops.
 */
#ifndef PYNN_BSS2_FAST_STEP_H
#define PYNN_BSS2_FAST_STEP_H

#include <math.h>
#include <stdint.h>

#define EXP_ARG_MAX 40.0 /* the exponential term beyond threshold stays finite */

/* rows of the parameter matrix the fast path reads, one pointer per row */
typedef struct {
    const double *v_reset, *esc, *inv_tau_m, *scale, *i0, *v_leak;
    const double *dt, *inv_dt, *v_exp, *w_on, *a, *inv_tau_w, *v_adapt;
    const double *ce0, *ce1, *ci0, *ci1, *sat_e, *sat_i;
    const double *p22, *p11e, *p11i, *p21e, *p21i, *c0, *plain;
    const double *er, *ew, *w_rest, *krw;
} FastRows;

#define EXP_ARG_MIN -700.0 /* exp below is exactly 0 under this, as far as it matters */

/* exp(x) for EXP_ARG_MIN <= x <= EXP_ARG_MAX, inline so that the loops vectorise without
 * calls (a call into a vector math library clobbers every vector register, and the
 * Heun loop then spends its time spilling). Range reduction x = k ln2 + r, |r| <= ln2/2,
 * with ln2 split in two; exp(r) by its Taylor series to r^11 / 11! (relative error
 * below 1e-14 on the range); 2^k built in the exponent bits. */
__attribute__((always_inline)) static inline double fast_exp(double x)
{
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    x = x < EXP_ARG_MIN ? EXP_ARG_MIN : (x > EXP_ARG_MAX ? EXP_ARG_MAX : x);
    double k = nearbyint(x * 1.44269504088896338700);
    double r = (x - k * ln2_hi) - k * ln2_lo;
    /* Estrin's scheme: independent pairs keep the dependency chain short */
    double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    double c01 = 1.0 + r, c23 = 0.5 + r * (1.0 / 6.0);
    double c45 = 1.0 / 24.0 + r * (1.0 / 120.0), c67 = 1.0 / 720.0 + r * (1.0 / 5040.0);
    double c89 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
    double c1011 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
    double q = (c01 + r2 * c23) + r4 * (c45 + r2 * c67) + r8 * (c89 + r2 * c1011);
    union { double d; int64_t i; } scale;
    scale.i = ((int64_t)k + 1023) << 52;
    return q * scale.d;
}

/* dV/dt (V/us); `saturate` is a constant at each call, so the divisions of the input
 * saturation vanish from loops over circuits without it. */
__attribute__((always_inline)) static inline double adex_dvdt(
    const FastRows *p, long n, double v, double w, double se, double si, double imc,
    const int saturate)
{
    double x = (v - p->v_exp[n]) * p->inv_dt[n];
    double ie = se * (p->ce0[n] + p->ce1[n] * v);
    double ii = si * (p->ci0[n] + p->ci1[n] * v);
    if (saturate) {
        ie = ie / (1.0 + fabs(ie) * p->sat_e[n]);
        ii = ii / (1.0 + fabs(ii) * p->sat_i[n]);
    }
    return (p->v_leak[n] - v + p->dt[n] * fast_exp(x)) * p->inv_tau_m[n]
           + p->scale[n] * (ie - ii + p->i0[n] + imc - p->w_on[n] * w);
}

static inline double fast_dvdt(const FastRows *p, long n, double v, double w, double se,
                               double si, double imc)
{
    return adex_dvdt(p, n, v, w, se, si, imc, 1);
}

static inline double fast_dwdt(const FastRows *p, long n, double v, double w)
{
    return (p->a[n] * (v - p->v_adapt[n]) - w) * p->inv_tau_w[n];
}

/* Every mask below is 64 bits wide, like the doubles: a narrower type (a uint8 flag, an
 * int mask) makes gcc widen the vector factor to 16 or 64 circuits an iteration, and the
 * loop spills its registers to the stack (measured: 3x slower). */

/* The end of one circuit's step, shared by both loops: the reset transient's closed form,
 * the slow-path flag, the commit and the synaptic lines' decay. A flagged circuit keeps
 * its state at the step's start, lines included: the slow path redoes the step. */
#define FAST_STEP_FINISH                                                                  \
    int64_t in_reset = reset_end[n] >= t_e;                                               \
    double d = v0 - p->v_reset[n];                                                        \
    double v_rs = p->v_reset[n] + d * p->er[n]; /* loads outside the selects: */          \
    vn = in_reset ? v_rs : vn;                  /* they vectorise */                      \
    int64_t slow = ((ref_end[n] > t_s) | (vn >= p->esc[n]) | (v0 >= p->esc[n])            \
                    | (vn != vn)) & !in_reset;                                            \
    v[n] = slow ? v0 : vn;                                                                \
    se[n] = slow ? e0 : e0 * p->p11e[n];                                                  \
    si[n] = slow ? i0 : i0 * p->p11i[n];                                                  \
    flag[n] = slow;                                                                       \
    flagged += slow;

#define FAST_STEP_ARGS                                                                     \
    const FastRows *rows, long N, double h, double t_s, double *v, double *w, double *se, \
    double *si, const double *ref_end, const double *reset_end, const double *imc,        \
    int64_t *flag

/* The rows are copied into a local struct so that the compiler sees their pointers as
 * loop-invariant (otherwise every load is a gather); noinline keeps the loops out of
 * run_chip, where inlining them defeats the vectoriser. */

/* Every circuit plain: exact propagators of the linear system (adaptation is off, so w
 * is not touched). */
__attribute__((noinline)) static int64_t fast_step_exact(FAST_STEP_ARGS)
{
    int64_t flagged = 0;
    const double t_e = t_s + h;
    const FastRows local = *rows, *p = &local;
    (void)imc;
    (void)w;
#pragma omp simd reduction(+ : flagged)
    for (long n = 0; n < N; n++) {
        double v0 = v[n], e0 = se[n], i0 = si[n];
        double vn = v0 * p->p22[n] + e0 * p->p21e[n] - i0 * p->p21i[n] + p->c0[n];
        FAST_STEP_FINISH
    }
    return flagged;
}

/* Heun for the circuits that need it; plain ones (if any) keep their exact step. The
 * loop is inlined with constant switches, one version per combination in use. */
__attribute__((always_inline)) static inline int64_t heun_loop(
    FAST_STEP_ARGS, const int any_plain, const int saturate)
{
    int64_t flagged = 0;
    const double t_e = t_s + h;
    const FastRows local = *rows, *p = &local;
#pragma omp simd reduction(+ : flagged)
    for (long n = 0; n < N; n++) {
        double v0 = v[n], w0 = w[n], e0 = se[n], i0 = si[n];
        double k1v = adex_dvdt(p, n, v0, w0, e0, i0, imc[n], saturate);
        double k1w = fast_dwdt(p, n, v0, w0);
        double v1 = v0 + h * k1v, w1 = w0 + h * k1w;
        double k2v = adex_dvdt(p, n, v1, w1, e0 * p->p11e[n], i0 * p->p11i[n], imc[n],
                               saturate);
        double k2w = fast_dwdt(p, n, v1, w1);
        double vn = v0 + 0.5 * h * (k1v + k2v), wn = w0 + 0.5 * h * (k1w + k2w);
        if (any_plain) {
            double ve = v0 * p->p22[n] + e0 * p->p21e[n] - i0 * p->p21i[n] + p->c0[n];
            int64_t exact = p->plain[n] != 0.0;
            vn = exact ? ve : vn;
            wn = exact ? w0 : wn;
        }
        /* held in the reset: adaptation follows its closed form too */
        double w_rs = w0 * p->ew[n] + p->w_rest[n] + p->krw[n] * (v0 - p->v_reset[n]);
        wn = reset_end[n] >= t_e ? w_rs : wn;
        FAST_STEP_FINISH
        w[n] = slow ? w0 : wn;
    }
    return flagged;
}

__attribute__((noinline)) static int64_t fast_step_heun(FAST_STEP_ARGS, int any_plain,
                                                        int saturate)
{
    if (saturate)
        return any_plain ? heun_loop(rows, N, h, t_s, v, w, se, si, ref_end, reset_end, imc,
                                     flag, 1, 1)
                         : heun_loop(rows, N, h, t_s, v, w, se, si, ref_end, reset_end, imc,
                                     flag, 0, 1);
    return any_plain ? heun_loop(rows, N, h, t_s, v, w, se, si, ref_end, reset_end, imc,
                                 flag, 1, 0)
                     : heun_loop(rows, N, h, t_s, v, w, se, si, ref_end, reset_end, imc,
                                 flag, 0, 0);
}

/* The next flagged circuit at or after n (N if none): eight flags at a time, since few
 * circuits are flagged in a step and a branch per circuit costs more than the pass. */
static inline long next_flagged(const int64_t *flag, long n, long N)
{
    while (n + 8 <= N) {
        int64_t any = 0;
        for (int k = 0; k < 8; k++)
            any |= flag[n + k];
        if (any)
            break;
        n += 8;
    }
    while (n < N && !flag[n])
        n++;
    return n;
}

#endif
