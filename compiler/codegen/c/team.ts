// The time loops' thread team: every thread runs the whole time loop. Either each thread runs its own examples
// alone (small weights, many examples: team_rows); or a forward step is split by units (program.ts: each chunk of
// units runs its columns of the step's products and its fused loop over every example, so a product's result is
// used where it was computed; new states go to a second buffer, one barrier a phase; a forward whose phases work
// unit by unit has only this loop, over the whole step when the team splits examples or has one thread); or
// (backward loops, and forwards with a reduction over the units) each step's products are split over the threads
// by panels of the packed weights (each thread streams only its share of W, and the per-step product has all B
// rows for its register tiles) and the fused loops by examples. Work goes in chunks taken as they come (each
// thread its own run first). A spinning barrier joins the halves of each product phase: the products read every
// example's operand, the fused loops every column of the product. The barrier spins with pause, then yields (a
// descheduled partner on a loaded machine must not cost a whole time slice of spinning); OpenMP's own barrier
// would sleep in the kernel under OMP_WAIT_POLICY=PASSIVE. Which thread computes a panel, a unit or an example
// changes no bit: each element is the same chain of multiply-adds (gemm.ts), each example's loop independent of
// the others.

export const cTeamSource = `
#include <sched.h>
#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif
/* count, sense: the barrier. slots: one chunk counter per thread (a cache line each) for the shared products. */
typedef struct { idx next; char pad[56]; } team_slot;
typedef struct { int count; int sense; team_slot *slots; } team_barrier;
/* base: where the next job's chunks start in every slot's count (never reset, the same in every thread).
   rows: the team splits examples only, [b0, b1) per thread (see team_rows). units: each step is split by units
   (program.ts: a chunk of units runs its columns of the products and its fused loop over every example). */
typedef struct { team_barrier *bar; int q, parts, sense; idx base; int rows, b0, b1, units; } team;
/* Whether to split the time loop by examples alone: each thread runs every step for its own examples, all of
   each product's columns for its rows, and never waits for the others. Best while the step's weights are not
   much more than a core's L2 (each thread reads all of them at every step, the rest from L3) and every thread has
   whole register tiles of rows; otherwise the step's products are shared by panels or units (each thread reads
   its share of the weights) at the cost of a barrier or two a step, which a descheduled thread on a busy machine
   stretches to a time slice. Measured here (1 MiB L2, 2 threads, B32 forward, alternated rounds): 1 MiB of
   weights (LSTM H256) 3.7% faster by examples, GRU H256 6%; 2.3 MiB even; 4 MiB 3% slower, 6.5 MiB 5%, 16 MiB
   20%. */
static int team_rows(int parts, int B, idx weight_bytes) {
  return parts > 1 && weight_bytes <= (3 << 19) && B >= 2 * MR * parts;
}
static void team_wait(team *tm);
/* The barrier of a step: none when each thread runs its own examples alone. */
static void team_sync(team *tm) {
  if (!tm->rows) team_wait(tm);
}
/* Every thread of the team meets here. */
static void team_wait(team *tm) {
  if (tm->parts == 1) return;
  const int s = !tm->sense;
  tm->sense = s;
  if (__atomic_add_fetch(&tm->bar->count, 1, __ATOMIC_ACQ_REL) == tm->parts) {
    __atomic_store_n(&tm->bar->count, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&tm->bar->sense, s, __ATOMIC_RELEASE);
  } else {
    for (int spins = 0; __atomic_load_n(&tm->bar->sense, __ATOMIC_ACQUIRE) != s; spins++) {
      if (spins < 2000) CPU_RELAX();
      else sched_yield();
    }
  }
}
/* A chunk of slot r's range [base, end), or -1 when all are taken. A count left below base by an earlier job
   whose range in this slot was shorter jumps to base; a late thread of an earlier job finds the count at or past
   its own end and takes nothing. */
static idx slot_claim(team_slot *slot, idx base, idx end) {
  idx c = __atomic_load_n(&slot->next, __ATOMIC_RELAXED);
  for (;;) {
    const idx at = c > base ? c : base;
    if (at >= end) return -1;
    if (__atomic_compare_exchange_n(&slot->next, &c, at + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) return at;
  }
}
/* C[M, N] = A·B (over K's rows [ka, kb)) in chunks of B's panels. Thread r owns the r-th run of chunks (the same
   panels at every step, so its share of the weights stays in its own cache) and takes them first; a thread done
   with its own then takes the others' (a thread on a slower or busier core, as a VM's vCPU can be, does fewer
   instead of keeping the rest waiting: with an even split alone one thread waited 1.5-3 ms a run here). */
NOCLONE static void gemm_share(team *tm, idx M, idx N, idx K, idx ka, idx kb, const float *A, idx ars, idx aks, const float *Bp, float *C, idx ldc) {
  const idx panels = (N + NR - 1) / NR;
  if (tm->parts == 1) {
    gemm_rows(M, N, K, ka, kb, A, ars, aks, Bp, C, ldc, 0, 1);
    return;
  }
  if (tm->rows) {
    gemm_rows(tm->b1 - tm->b0, N, K, ka, kb, A + tm->b0 * ars, ars, aks, Bp, C + tm->b0 * ldc, ldc, 0, 1);
    return;
  }
  const idx per = panels / (8 * tm->parts) > 1 ? panels / (8 * tm->parts) : 1;
  const idx chunks = (panels + per - 1) / per, run = (chunks + tm->parts - 1) / tm->parts, base = tm->base;
  tm->base += run;
  for (int k = 0; k < tm->parts; k++) {
    const int r = (tm->q + k) % tm->parts;
    const idx own = chunks - r * run < run ? (chunks - r * run > 0 ? chunks - r * run : 0) : run;
    for (idx c; (c = slot_claim(&tm->bar->slots[r], base, base + own)) >= 0;) {
      const idx p0 = (r * run + c - base) * per, p1 = p0 + per < panels ? p0 + per : panels;
      const idx c0 = p0 * NR, c1 = p1 * NR < N ? p1 * NR : N;
      gemm_rows(M, c1 - c0, K, ka, kb, A, ars, aks, Bp + p0 * K * NR, C + c0, ldc, 0, 1);
    }
  }
}
/* The examples of a step's per-example calls between two barriers, in chunks taken as for the products: each
   thread first its own run of chunks (the same examples at every step: their state rows stay in its cache),
   then what the others have not taken. */
typedef struct { idx base, run, chunks; int per, k, B, shared; } team_iter;
static void examples_begin(team *tm, team_iter *it, int B) {
  it->B = B;
  it->shared = 0;
  it->per = B / (4 * tm->parts) > 1 ? B / (4 * tm->parts) : 1;
  it->chunks = (B + it->per - 1) / it->per;
  it->run = (it->chunks + tm->parts - 1) / tm->parts;
  it->base = tm->base;
  it->k = 0;
  tm->base += it->run;
}
static int examples_next(team *tm, team_iter *it, int *b0, int *b1) {
  if (tm->parts == 1 || (tm->rows && !it->shared)) {
    if (it->k++) return 0;
    *b0 = tm->parts == 1 ? 0 : tm->b0;
    *b1 = tm->parts == 1 ? it->B : tm->b1;
    return 1;
  }
  for (; it->k < tm->parts; it->k++) {
    const int r = (tm->q + it->k) % tm->parts;
    const idx own = it->chunks - r * it->run < it->run ? (it->chunks - r * it->run > 0 ? it->chunks - r * it->run : 0) : it->run;
    const idx c = slot_claim(&tm->bar->slots[r], it->base, it->base + own);
    if (c >= 0) {
      const idx i = r * it->run + c - it->base;
      *b0 = (int)(i * it->per);
      *b1 = *b0 + it->per < it->B ? *b0 + it->per : it->B;
      return 1;
    }
  }
  return 0;
}
/* C[T·B, N] = A·B on the team, then a barrier: the hoisted input products, inside the team's parallel region (no
   second wake-up of the threads). By groups of MB·MR rows taken as they come (a slower core takes fewer); a team
   that splits its steps by units (N a whole number of blocks of H) splits the columns too: slot r holds columns
   g·H + [u0, u1) of every block g, where [u0, u1) are the units of thread r's own chunks in the loop
   (examples_begin over H / NR panels). Each thread first computes the columns that its own chunks of the loop
   will read, and they stay in its core's caches (on this 2-vCPU host a line from the other core costs ~280 ns;
   LSTM B64 X512 H512 T32 forward 30.7 -> 29.9 ms, faster in 39 of 60 alternated rounds). */
NOCLONE static void gemm_team(team *tm, int T, int B, idx N, idx K, const float *A, idx ars, idx aks, const float *Bp, float *C, idx ldc, idx H) {
  const idx M = (idx)T * B, base = tm->base;
  if (tm->units && N % H == 0) {
    const idx groups = (M + MB * MR - 1) / (MB * MR), panels = H / NR;
    team_iter loop; /* the loop's chunks of units: thread r owns panels [r·run·per, (r+1)·run·per) */
    examples_begin(tm, &loop, (int)panels);
    tm->base = base + groups;
    for (int k = 0; k < tm->parts; k++) {
      const int r = (tm->q + k) % tm->parts;
      const idx own = loop.run * loop.per, u0 = (r * own < panels ? r * own : panels) * NR, u1 = ((r + 1) * own < panels ? (r + 1) * own : panels) * NR;
      if (u1 <= u0) continue; /* more threads than the loop has chunks */
      for (idx c; (c = slot_claim(&tm->bar->slots[r], base, base + groups)) >= 0;) {
        const idx m0 = (c - base) * MB * MR, m1 = m0 + MB * MR < M ? m0 + MB * MR : M;
        for (idx g = 0; g < N; g += H) gemm(m1 - m0, u1 - u0, K, A + m0 * ars, ars, aks, Bp + (g + u0) * K, C + m0 * ldc + g + u0, ldc, 0, 1);
      }
    }
  } else {
    team_iter it;
    int g0, g1;
    examples_begin(tm, &it, (int)((M + MB * MR - 1) / (MB * MR)));
    it.shared = 1;
    while (examples_next(tm, &it, &g0, &g1)) {
      const idx m0 = (idx)g0 * MB * MR, m1 = (idx)g1 * MB * MR < M ? (idx)g1 * MB * MR : M;
      gemm(m1 - m0, N, K, A + m0 * ars, ars, aks, Bp, C + m0 * ldc, ldc, 0, 1);
    }
  }
  team_wait(tm);
}
/* Threads for a time loop of T·B·work multiply-adds: up to nt, one when it is too small to share. */
static int team_size(int nt, idx T, int B, idx work) {
  return nt > 1 && T * B * work >= par_min ? nt : 1;
}
/* How the latest time loop was shared (tests check it): 4 * threads + 0 (products by panels), 1 (examples only) or
   2 (units). */
#if CF_PART == 2
extern int last_team;
#else
int last_team = 0;
EXPORT int cf_last_team(void) { return last_team; }
#endif
/* Whether every example runs all T steps. */
static int all_full(float *const *R, int B, int T) {
  const int32_t *LEN = (const int32_t *)R[0];
  for (int b = 0; b < B; b++) if (LEN[b] < T) return 0;
  return 1;
}
/* Steps until every example has ended (the loops must agree on it: all threads meet at every barrier). */
static int last_step(float *const *R, int B, int T) {
  const int32_t *LEN = (const int32_t *)R[0];
  int m = 0;
  for (int b = 0; b < B; b++) m = LEN[b] > m ? LEN[b] : m;
  return m < T ? m : T;
}
`;
