/* The fast path of the chip kernel (_chip.pyx): one integration step of every circuit
 * in one vectorised pass.
 *
 * It is C, not Cython, for one reason: the loop must vectorise, and only an OpenMP SIMD
 * pragma (compiled with -fopenmp-simd, no OpenMP runtime) tells the compiler that the
 * per-circuit arrays do not overlap. _chip.pyx documents the scheme; this file holds
 * nothing else. Units: V, us, nA, nS.
 */
#ifndef PYNN_BSS2_FAST_STEP_H
#define PYNN_BSS2_FAST_STEP_H

#include <math.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__GLIBC__) && !defined(__FAST_MATH__)
/* glibc's libmvec has vector variants of exp (linked with -lmvec, see setup.py) */
#pragma omp declare simd notinbranch
double exp(double);
#endif

#define EXP_ARG_MAX 40.0 /* the exponential term beyond threshold stays finite */

/* rows of the parameter matrix the fast path reads, one pointer per row */
typedef struct {
    const double *v_reset, *esc, *inv_tau_m, *scale, *i0, *v_leak;
    const double *dt, *inv_dt, *v_exp, *w_on, *a, *inv_tau_w, *v_adapt;
    const double *ce0, *ce1, *ci0, *ci1, *sat_e, *sat_i;
    const double *p22, *p11e, *p11i, *p21e, *p21i, *c0, *plain;
    const double *er, *ew, *w_rest, *krw;
} FastRows;

static inline double fast_dvdt(const FastRows *p, long n, double v, double w, double se,
                               double si, double imc)
{
    double x = (v - p->v_exp[n]) * p->inv_dt[n];
    double ie = se * (p->ce0[n] + p->ce1[n] * v);
    double ii = si * (p->ci0[n] + p->ci1[n] * v);
    x = x < EXP_ARG_MAX ? x : EXP_ARG_MAX;
    ie = ie / (1.0 + fabs(ie) * p->sat_e[n]);
    ii = ii / (1.0 + fabs(ii) * p->sat_i[n]);
    return (p->v_leak[n] - v + p->dt[n] * exp(x)) * p->inv_tau_m[n]
           + p->scale[n] * (ie - ii + p->i0[n] + imc - p->w_on[n] * w);
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

/* Heun for the circuits that need it; plain ones (if any) keep their exact step. */
__attribute__((noinline)) static int64_t fast_step_heun(FAST_STEP_ARGS, int any_plain)
{
    int64_t flagged = 0;
    const double t_e = t_s + h;
    const FastRows local = *rows, *p = &local;
#pragma omp simd reduction(+ : flagged)
    for (long n = 0; n < N; n++) {
        double v0 = v[n], w0 = w[n], e0 = se[n], i0 = si[n];
        double k1v = fast_dvdt(p, n, v0, w0, e0, i0, imc[n]);
        double k1w = fast_dwdt(p, n, v0, w0);
        double v1 = v0 + h * k1v, w1 = w0 + h * k1w;
        double k2v = fast_dvdt(p, n, v1, w1, e0 * p->p11e[n], i0 * p->p11i[n], imc[n]);
        double k2w = fast_dwdt(p, n, v1, w1);
        double vn = v0 + 0.5 * h * (k1v + k2v), wn = w0 + 0.5 * h * (k1w + k2w);
        double ve = v0 * p->p22[n] + e0 * p->p21e[n] - i0 * p->p21i[n] + p->c0[n];
        int64_t exact = any_plain & (p->plain[n] != 0.0);
        vn = exact ? ve : vn;
        wn = exact ? w0 : wn;
        /* held in the reset: adaptation follows its closed form too */
        double w_rs = w0 * p->ew[n] + p->w_rest[n] + p->krw[n] * (v0 - p->v_reset[n]);
        wn = reset_end[n] >= t_e ? w_rs : wn;
        FAST_STEP_FINISH
        w[n] = slow ? w0 : wn;
    }
    return flagged;
}

#endif
