/* The 2PC canary rollout as faultline's model checker sees it, in Promela, to measure SPIN's
 * states per second on the same state space (bench/spin/run.sh; sim/explore/README.md, "Benchmark:
 * faultline vs SPIN").
 *
 * The configuration mirrors `faultline check --protocol two_phase_commit --nodes NP+1
 * --set 'stages=[1/2]' --set on_abort=halt`: one coordinator (n0) and NP participants, one stage,
 * every node healthy from the start, no crashes, the multiset network with copies_max 1 (so the
 * in-flight messages are a set of bits: a send of a message already in flight is absorbed), and
 * timers that may fire at any time. Each branch of the one `do` loop is one faultline action
 * (a delivery or a timer firing) executed in a d_step, so SPIN stores exactly the world states
 * faultline's explorer stores: with NP=2 both count 74404 states.
 *
 * Transcribed from protocols/two_phase_commit/node.cc for this configuration; branches the
 * configuration cannot reach are asserted unreachable rather than modelled.
 */
#ifndef NP
#define NP 2
#endif
#define N (NP + 1)

#define UNKNOWN 0
#define YES 1
#define NO 2
#define COMMIT 1
#define ABORT 2
#define STAGING 0
#define DONE 1
#define HALTED 2

/* Coordinator: its volatile state, log (BEGIN, DECISION) and timers. */
bit c_active;          /* tx1 is collecting votes */
byte c_votes[N];       /* UNKNOWN, YES, NO; [0] unused */
byte c_phase;          /* STAGING, DONE, HALTED */
bit c_begun;           /* BEGIN(tx1) logged */
byte c_decided;        /* 0, COMMIT, ABORT: DECISION(tx1) logged */
bit c_pending;         /* the decision awaits acks */
bit c_acked[N];
byte c_version = 1;
bit t_stage = 1;
bit t_prepare;
bit t_retry;
bit t_heartbeat = 1;

/* Participants: volatile state, log (PREPARED, COMMITTED/ABORTED) and the query timer. */
byte p_version[N];
byte p_prepared[N];    /* UNKNOWN, YES, NO: the PREPARED record's vote */
byte p_outcome[N];     /* 0, COMMIT, ABORT: the COMMITTED/ABORTED record */
bit p_in_doubt[N];
bit p_blocked[N];
bit t_query[N];

/* In-flight messages, per participant (copies_max 1). */
bit m_prepare[N];      /* n0 -> i Prepare{tx1} */
bit m_vote[N];         /* i -> n0 Vote{tx1, p_prepared[i]} */
bit m_decision[N];     /* n0 -> i Decision{tx1, c_decided} */
bit m_ack[N];          /* i -> n0 Ack{tx1} */
bit m_query[N];        /* i -> n0 DecisionQuery{tx1} */
bit m_heartbeat1[N];   /* n0 -> i Heartbeat{1} */
bit m_heartbeat2[N];   /* n0 -> i Heartbeat{2} */
bit m_request[N];      /* i -> n0 StateRequest */
bit m_sync1[N];        /* n0 -> i StateSync{tx0, version 1} */
bit m_sync2[N];        /* n0 -> i StateSync{tx1, version 2} */

byte k;                /* loop scratch, always reset to 0 so it never splits states */
byte yes_count;
byte no_count;

inline send_pending_decision() {
  k = 1;
  do
  :: k <= NP -> if :: !c_acked[k] -> m_decision[k] = 1 :: else -> skip fi; k++
  :: else -> break
  od;
  k = 0
}

inline decide(outcome) {
  c_active = 0;
  k = 1;
  do :: k <= NP -> c_votes[k] = UNKNOWN; k++ :: else -> break od;
  k = 0;
  c_decided = outcome;
  if :: outcome == COMMIT -> c_version = 2 :: else -> skip fi;
  t_prepare = 0;
  c_pending = 1;
  send_pending_decision();
  t_retry = 1;
  if :: outcome == COMMIT -> c_phase = DONE :: else -> c_phase = HALTED fi
}

inline evaluate_votes(timed_out) {
  yes_count = 0;
  no_count = 0;
  k = 1;
  do
  :: k <= NP ->
     if :: c_votes[k] == YES -> yes_count++ :: c_votes[k] == NO -> no_count++ :: else -> skip fi;
     k++
  :: else -> break
  od;
  k = 0;
  if
  :: no_count > 0 || timed_out -> decide(ABORT)
  :: else -> if :: yes_count == NP -> decide(COMMIT) :: else -> skip fi
  fi;
  yes_count = 0;
  no_count = 0
}

inline resolve(i, outcome) {
  p_in_doubt[i] = 0;
  assert(p_outcome[i] == 0);
  p_outcome[i] = outcome;
  t_query[i] = 0;
  if :: outcome == COMMIT && p_version[i] < 2 -> p_version[i] = 2 :: else -> skip fi;
  p_blocked[i] = 0;
  assert(!(c_decided != 0 && c_decided != outcome))  /* atomicity */
}

/* Every action that happens at, or is addressed to, participant i. */
#define PARTICIPANT(i) \
  :: d_step { m_vote[i] -> m_vote[i] = 0; \
       if :: c_active && c_votes[i] == UNKNOWN -> c_votes[i] = p_prepared[i]; evaluate_votes(0) :: else -> skip fi } \
  :: d_step { m_ack[i] -> m_ack[i] = 0; \
       if \
       :: c_pending -> c_acked[i] = 1; \
          k = 1; \
          do :: k <= NP && c_acked[k] -> k++ :: else -> break od; \
          if :: k > NP -> c_pending = 0; t_retry = 0; \
                k = 1; do :: k <= NP -> c_acked[k] = 0; k++ :: else -> break od \
             :: else -> skip fi; \
          k = 0 \
       :: else -> skip \
       fi } \
  :: d_step { m_query[i] -> m_query[i] = 0; \
       if :: c_decided != 0 -> m_decision[i] = 1 :: else -> assert(c_active) fi } \
  :: d_step { m_request[i] -> m_request[i] = 0; \
       if :: c_version == 1 -> m_sync1[i] = 1 :: else -> m_sync2[i] = 1 fi } \
  :: d_step { m_prepare[i] -> m_prepare[i] = 0; \
       if \
       :: p_prepared[i] != UNKNOWN -> m_vote[i] = 1 \
       :: else -> \
          assert(p_outcome[i] == 0 && !p_in_doubt[i]); \
          if \
          :: p_version[i] == 1 -> p_prepared[i] = YES; m_vote[i] = 1; p_in_doubt[i] = 1; p_blocked[i] = 0; t_query[i] = 1 \
          :: else -> p_prepared[i] = NO; p_outcome[i] = ABORT; m_vote[i] = 1 \
          fi \
       fi } \
  :: d_step { m_decision[i] -> m_decision[i] = 0; \
       if \
       :: p_in_doubt[i] -> resolve(i, c_decided); m_ack[i] = 1 \
       :: else -> \
          if \
          :: p_outcome[i] != 0 -> m_ack[i] = 1 \
          :: else -> assert(c_decided == ABORT); m_ack[i] = 1 \
          fi \
       fi } \
  :: d_step { m_heartbeat1[i] -> m_heartbeat1[i] = 0 } \
  :: d_step { m_heartbeat2[i] -> m_heartbeat2[i] = 0; \
       if :: p_version[i] < 2 -> m_request[i] = 1 :: else -> skip fi } \
  :: d_step { m_sync1[i] -> m_sync1[i] = 0 } \
  :: d_step { m_sync2[i] -> m_sync2[i] = 0; \
       if \
       :: p_in_doubt[i] -> resolve(i, COMMIT) \
       :: else -> assert(p_version[i] == 2) \
       fi } \
  :: d_step { t_query[i] -> t_query[i] = 0; \
       if :: p_in_doubt[i] -> p_blocked[i] = 1; m_query[i] = 1; t_query[i] = 1 :: else -> skip fi }

init {
  d_step {
    k = 1;
    do :: k <= NP -> p_version[k] = 1; k++ :: else -> break od;
    k = 0
  };
  do
  :: d_step { t_stage -> t_stage = 0;
       if
       :: !c_active && c_phase == STAGING ->
          c_active = 1; c_begun = 1;
          k = 1; do :: k <= NP -> m_prepare[k] = 1; k++ :: else -> break od; k = 0;
          t_prepare = 1
       :: else -> skip
       fi }
  :: d_step { t_prepare -> t_prepare = 0; if :: c_active -> evaluate_votes(1) :: else -> skip fi }
  :: d_step { t_retry -> t_retry = 0; if :: c_pending -> send_pending_decision(); t_retry = 1 :: else -> skip fi }
  :: d_step { t_heartbeat ->
       k = 1;
       do
       :: k <= NP -> if :: c_version == 1 -> m_heartbeat1[k] = 1 :: else -> m_heartbeat2[k] = 1 fi; k++
       :: else -> break
       od;
       k = 0 }
  PARTICIPANT(1)
#if NP >= 2
  PARTICIPANT(2)
#endif
#if NP >= 3
  PARTICIPANT(3)
#endif
#if NP >= 4
  PARTICIPANT(4)
#endif
  od
}
