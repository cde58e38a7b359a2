/*
 * The lockscope trace format: the one contract between the shim (preload/)
 * and the analyzer (analyzer/).  Documented in docs/trace-format.md.
 *
 * A trace file is one process's record, written by liblockscope.so:
 *
 *   struct ls_file_header            (once, at offset 0)
 *   { struct ls_rec_header; payload }  records, back to back, each padded
 *                                    to a multiple of 8 bytes
 *
 * All integers are little-endian (the format is only written and read on
 * x86-64 and other little-endian Linux machines).  Every struct below has a
 * fixed layout without implicit padding; tests/unit/test_trace_layout.c pins
 * their sizes and offsets.
 *
 * Identifiers (stack, lock, thread, module) are per file and start at 1;
 * 0 means "none".  A record may refer to an id whose defining record comes
 * later in the file (readers resolve references after reading everything).
 *
 * The on-disk record codes (LS_REC_*) are part of the format and never
 * change meaning; in-memory enums of the shim and analyzer are separate.
 * A reader must skip records of unknown type (their size is known), and
 * must refuse files whose version is newer than it supports.
 */
#ifndef LOCKSCOPE_TRACE_H
#define LOCKSCOPE_TRACE_H

#include <stdint.h>

#define LS_TRACE_MAGIC "LSTRACE"        /* 7 chars + NUL = 8 bytes */
#define LS_TRACE_VERSION 3u
#define LS_TRACE_ALIGN 8u
/* Upper bound on one record's payload; anything larger is corruption. */
#define LS_TRACE_MAX_RECORD (1u << 20)
/* Upper bound on frames in one stack record. */
#define LS_TRACE_MAX_FRAMES 64u

struct ls_file_header {
    char magic[8];            /* LS_TRACE_MAGIC, NUL-terminated */
    uint32_t version;         /* LS_TRACE_VERSION */
    uint32_t header_size;     /* sizeof(struct ls_file_header) */
    uint32_t pid;
    uint32_t ppid;
    uint64_t start_ns;        /* CLOCK_REALTIME at process start */
};

struct ls_rec_header {
    uint16_t type;            /* LS_REC_* */
    uint16_t flags;           /* reserved, 0 */
    uint32_t size;            /* payload bytes, excluding padding */
};

enum {
    LS_REC_PROCESS = 1,
    LS_REC_MODULE = 2,
    LS_REC_STACK = 3,
    LS_REC_THREAD = 4,
    LS_REC_JOIN = 5,
    LS_REC_LOCK = 6,
    LS_REC_EDGE = 7,
    LS_REC_NOTE = 8,
    LS_REC_END = 9,
    LS_REC_THREAD_END = 10,
    LS_REC_DEADLOCK = 11,
    LS_REC_MISUSE = 12,
    LS_REC_CLOCK = 13,
    LS_REC_ACCESS = 14,
    LS_REC_WATCH = 15,
    LS_REC_THREAD_NAME = 16,
    LS_REC_PROFILE = 17,
    LS_REC_WRITER_QUEUE = 20,
    LS_REC_TIMELINE = 45,
    LS_REC_TIMELINE_CLOCK = 46,
    LS_REC_ACCESS_TIME = 47,
    LS_REC_OBJECT = 50,       /* a watch candidate that is not a global (heap, stack, TLS) */
    LS_REC_OBJECT_END = 51,   /* it stopped being one (freed, its thread ended) */
    LS_REC_ACCESS_OBJ = 52,   /* the object the access before it was made to */
    LS_REC_OBJECT_GLOBAL = 53, /* a watched global points to an object */
    LS_REC_EXEC = 40,         /* version 3: a program started (exec, vfork + exec, posix_spawn) */
    LS_REC_PYCODE = 25,
    LS_REC_PYSTACK = 26,
    LS_REC_PYLOCK = 27,
    LS_REC_PYTHON = 28,
    LS_REC_WATCH_TURNS = 54,  /* turns the watchpoints were armed, and rested */
    LS_REC_SYNC_RACE = 55,    /* an init or destroy of a sync object unordered with a use */
    LS_REC_THREAD_ARG = 56,   /* a new thread's start routine, and the object its argument is in */
    LS_REC_PYVAR = 60,        /* a Python variable watched for races */
    LS_REC_PYACCESS = 61,     /* a sampled access to one */
    LS_REC_PYWATCH = 62,      /* how Python variables were watched */
    LS_REC_EDGES = 65,        /* lock-order edges of one context, in a batch */
    LS_REC_EDGE_MORE = 66,    /* an edge had more contexts than were recorded */
};

/* LS_REC_PROCESS: followed by exe_len bytes of the executable's path, then
 * argc NUL-terminated argument strings. */
struct ls_rec_process {
    uint32_t pid;
    uint32_t ppid;
    uint32_t argc;
    uint32_t exe_len;
    uint32_t parent_tid;      /* forked from this thread of the parent, 0 after exec/at start */
    uint32_t reserved;
};

/* LS_REC_MODULE: a loaded ELF object.  Followed by build_id_len bytes of
 * build-id, then the path, NUL-terminated.  bias is the load bias
 * (dlpi_addr): runtime address = ELF virtual address + bias. */
struct ls_rec_module {
    uint32_t id;
    uint32_t build_id_len;
    uint64_t bias;
    uint64_t start;           /* lowest mapped address of its PT_LOAD segments */
    uint64_t end;             /* one past the highest */
};

/* LS_REC_STACK: followed by depth uint64_t return addresses, innermost
 * first.  Every entry is a return address into the caller (symbolize at
 * address - 1); the shim's own frames are already removed. */
struct ls_rec_stack {
    uint32_t id;
    uint32_t depth;
};

/* LS_REC_THREAD: a thread of the process started (or is the main thread).
 * Followed by name_len bytes of the thread's name (may be 0).
 * Happens-before from thread creation: every event of `parent` at an epoch
 * <= parent_epoch happened before this thread started. */
struct ls_rec_thread {
    uint32_t tid;             /* lockscope thread id, 1 = main thread */
    uint32_t os_tid;          /* gettid() */
    uint32_t parent;          /* creating thread's tid, 0 for the main thread */
    uint32_t parent_epoch;
    uint32_t create_stack;    /* where pthread_create was called, 0 if unknown */
    uint32_t name_len;
};

/* LS_REC_THREAD_NAME: thread tid was named (pthread_setname_np).  Followed
 * by name_len bytes.  A later record for the same thread wins. */
struct ls_rec_thread_name {
    uint32_t tid;
    uint32_t name_len;
};

/* LS_REC_WRITER_QUEUE: rwlock `lock` prefers writers
 * (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) and thread `tid` asked
 * for its write lock with a blocking call: writers can queue on it, and a
 * read request then waits behind a queued writer, even while other threads
 * hold it for reading.  Written once per lock generation, after the lock's
 * own record. */
struct ls_rec_writer_queue {
    uint32_t lock;
    uint32_t tid;
};

/* LS_REC_JOIN: `joiner` joined `joined`; every event of `joined` at an epoch
 * <= joined_epoch happened before the joiner's events at epochs > joiner_epoch. */
struct ls_rec_join {
    uint32_t joiner;
    uint32_t joiner_epoch;    /* the joiner's epoch before the join */
    uint32_t joined;
    uint32_t joined_epoch;    /* the joined thread's final epoch */
    uint32_t stack;
    uint32_t reserved;
};

/* LS_REC_THREAD_END: thread `tid` finished at `epoch`; exit_stack is where it
 * called pthread_exit (0 when it returned from its start routine). */
struct ls_rec_thread_end {
    uint32_t tid;
    uint32_t epoch;
    uint32_t exit_stack;
    uint32_t reserved;
};

/* Lock kinds (LS_REC_LOCK.kind). */
enum {
    LS_LOCK_MUTEX = 1,
    LS_LOCK_MUTEX_RECURSIVE = 2,
    LS_LOCK_MUTEX_ERRORCHECK = 3,
    LS_LOCK_RWLOCK = 4,
    LS_LOCK_SPIN = 5,
    /* not locks: other synchronization objects the shim keeps clocks for */
    LS_SYNC_COND = 16,
    LS_SYNC_SEM = 17,
    LS_SYNC_BARRIER = 18,
    LS_SYNC_ONCE = 19,
    LS_SYNC_ANNOTATION = 20,
    LS_SYNC_ATOMIC = 21,
    LS_SYNC_FUTEX = 26,       /* a futex word woken and waited on through syscall() */
    /* CPython's threading.Lock and RLock: binary semaphores (sem_init(s, 0, 1))
     * that one thread takes and releases */
    LS_LOCK_PY = 22,
    LS_LOCK_PY_RLOCK = 23,
};

/* LS_REC_LOCK: a lock (one generation of a sync object at an address).
 * A lock destroyed and initialized again at the same address gets a new id. */
struct ls_rec_lock {
    uint32_t id;
    uint32_t kind;            /* LS_LOCK_* */
    uint64_t addr;
    uint32_t init_stack;      /* where it was initialized, 0 if statically */
    uint32_t first_stack;     /* where it was first locked, 0 if not yet */
};

/* Edge flags (LS_REC_EDGE.flags). */
enum {
    LS_EDGE_TIMED = 1u << 0,  /* the acquisition of `to` had a timeout */
    LS_EDGE_FROM_APPROX = 1u << 1, /* from_stack's outer frames are where the
                                      acquiring function's caller is now */
};

/* LS_REC_EDGE: thread `tid`, holding lock `from` (and the nheld locks that
 * follow the record, `from` among them), asked for lock `to`.  Written the
 * first time this thread asks for `to` while holding exactly this set.
 * from_stack: where `from` was acquired; to_stack: where `to` is acquired. */
struct ls_rec_edge {
    uint32_t tid;
    uint32_t epoch;           /* the thread's create/join epoch */
    uint32_t from;
    uint32_t to;
    uint32_t from_stack;
    uint32_t to_stack;
    uint32_t flags;           /* LS_EDGE_* */
    uint32_t nheld;           /* followed by nheld uint32_t lock ids */
};

/* LS_REC_EDGES: lock-order edges that share one context, the compact form
 * of LS_REC_EDGE.  Thread `tid` (at `epoch`), holding `from` and the nother
 * locks that follow this struct, asked for `to`, for each of the n pairs
 * that follow them: struct ls_rec_edge_pair if pair_bytes is 8, struct
 * ls_rec_edge_pair16 if it is 4 (every id of the batch is below 65536);
 * from_stack, to_stack and flags
 * are each edge's as in LS_REC_EDGE, and its held set is the nother locks
 * plus `from`.  The shim keeps one lock-order table per process: an edge is
 * written the first time one of at most LS_EDGE_CONTEXTS contexts (thread,
 * epoch, the other locks held, the modes and timeout) is seen for its
 * (from, to) pair; later contexts are counted (LS_REC_EDGE_MORE). */
#define LS_EDGE_CONTEXTS 4u

struct ls_rec_edges {
    uint32_t tid;
    uint32_t epoch;
    uint32_t from_stack;
    uint32_t to_stack;
    uint16_t flags;           /* LS_EDGE_* */
    uint16_t nother;          /* followed by nother uint32_t lock ids */
    uint16_t n;               /* then n pairs */
    uint16_t pair_bytes;      /* of pair_bytes each: 8 or 4 */
};

struct ls_rec_edge_pair {
    uint32_t from;
    uint32_t to;
};

struct ls_rec_edge_pair16 {
    uint16_t from;
    uint16_t to;
};

/* LS_REC_EDGE_MORE: lock-order edge (from, to) was also seen in `count`
 * contexts beyond the LS_EDGE_CONTEXTS recorded for it (written when the
 * first one is seen and again, with the total, at exit; the largest count
 * holds).  tid is the thread of the first context not recorded. */
struct ls_rec_edge_more {
    uint32_t from;
    uint32_t to;
    uint32_t tid;
    uint32_t count;
};

/* LS_REC_NOTE: something the reader must know about the recording, e.g. a
 * table that filled up.  Followed by msg_len bytes of text. */
enum {
    LS_NOTE_INFO = 0,
    LS_NOTE_DROPPED = 1,      /* some events were not recorded */
    LS_NOTE_DISABLED = 2,     /* recording stopped at this point */
    LS_NOTE_DEADLOCK_OFF = 3, /* live deadlocks and stalls are not watched (an option) */
    LS_NOTE_STALL_OFF = 4,    /* stalls are not watched (an option) */
    LS_NOTE_PY_UNSEEN = 15,   /* a CPython whose Python locks lockscope cannot see */
    LS_NOTE_PY_SUBINTERP = 16, /* a subinterpreter ran: Python-level checking is off there */
    LS_NOTE_OBJECTS_FULL = 20, /* the table of watched objects was full: some not watched */
};

struct ls_rec_note {
    uint32_t code;            /* LS_NOTE_* */
    uint32_t msg_len;
};

/* LS_REC_END: the process ended normally (exit or return from main) or is
 * about to exec another program (LS_END_EXEC; the new program writes a file
 * of its own).  A file without it was cut off (killed, crashed before the
 * flush). */
enum { LS_END_EXEC = 1u << 0 };

struct ls_rec_end {
    uint64_t end_ns;          /* CLOCK_REALTIME */
    int32_t status;           /* exit status if known, else -1 */
    uint32_t flags;           /* LS_END_* */
};

/* LS_REC_DEADLOCK: a deadlock seen while it happened.  Followed by nthreads
 * entries, each a struct ls_rec_deadlock_thread followed by its nheld
 * struct ls_rec_held. */
enum {
    LS_DEADLOCK_SELF = 1u << 0,   /* one thread relocking a lock it holds */
    LS_DEADLOCK_ENDED = 1u << 1,  /* the shim ended the program */
    LS_DEADLOCK_STALL = 1u << 2,  /* not a cycle: every thread blocked in waits
                                     that nobody is left to end */
    LS_DEADLOCK_FORK_ORPHAN = 1u << 3, /* a forked child waits for a lock that
                                          another thread held at fork time */
    LS_DEADLOCK_ORPHAN = 1u << 4, /* a stall: a lock waited for is held by a
                                     thread that has exited (an LS_WAIT_EXITED
                                     entry, holding it) */
};
enum {
    LS_WAIT_LOCK = 1,             /* waits for lock wait_lock (write/exclusive) */
    LS_WAIT_JOIN = 2,             /* waits in pthread_join for wait_thread */
    LS_WAIT_LOCK_READ = 3,        /* waits for a read (shared) hold of wait_lock */
    LS_WAIT_COND = 4,             /* waits on a condition variable (wait_lock: its mutex) */
    LS_WAIT_SEM = 5,              /* waits on a semaphore */
    LS_WAIT_BARRIER = 6,          /* waits at a barrier */
    LS_WAIT_EXITED = 7,           /* not waiting: the thread has exited, still
                                     holding the locks listed (orphaned) */
};

struct ls_rec_deadlock {
    uint32_t nthreads;
    uint32_t flags;               /* LS_DEADLOCK_* */
    int32_t exit_status;          /* status the program was ended with, or -1 */
    uint32_t reserved;
};

struct ls_rec_deadlock_thread {
    uint32_t tid;
    uint32_t wait_kind;           /* LS_WAIT_* */
    uint32_t wait_lock;           /* lock id, LS_WAIT_LOCK */
    uint32_t wait_thread;         /* thread id: the lock's owner, or the joined thread */
    uint32_t wait_stack;          /* where the thread waits */
    uint32_t nheld;
};

struct ls_rec_held {
    uint32_t lock;
    uint32_t stack;               /* where it was acquired */
};

/* Flags of a held lock in ls_rec_edge's held list are not recorded; the
 * mode of the two locks of an edge is in its flags: */
enum {
    LS_EDGE_FROM_READ = 1u << 2,  /* `from` is held for reading (rwlock) */
    LS_EDGE_TO_READ = 1u << 3,    /* `to` is requested for reading */
};

/* LS_REC_MISUSE: the program used a pthread call wrongly.  Written once per
 * rule and call site (return address). */
enum {
    LS_MISUSE_ERRORCHECK_RELOCK = 1, /* error-checking mutex locked again by its owner (EDEADLK) */
    LS_MISUSE_UNLOCK_NOT_LOCKED = 2, /* unlock of a mutex nobody holds */
    LS_MISUSE_UNLOCK_NOT_OWNER = 3,  /* unlock of a mutex another thread holds */
    LS_MISUSE_PLAIN_RELOCK = 4,      /* plain mutex locked again by its owner (hangs) */
    LS_MISUSE_DESTROY_LOCKED = 5,    /* destroy of a locked mutex or rwlock */
    LS_MISUSE_DESTROY_COND_WAITERS = 6, /* destroy of a condvar threads wait on */
    LS_MISUSE_DESTROY_IN_USE = 7,    /* destroy of a barrier or semaphore threads wait at */
    LS_MISUSE_COND_WAIT_NOT_HELD = 8, /* condvar wait with a mutex the thread does not hold */
    LS_MISUSE_COND_TWO_MUTEXES = 9,  /* waiters on one condvar with two different mutexes */
    LS_MISUSE_EXIT_HOLDING = 10,     /* a thread ended holding a lock */
    LS_MISUSE_PROCESS_EXIT_HOLDING = 11, /* the process exited while its exiting thread held a lock */
    LS_MISUSE_RWLOCK_UNLOCK_NOT_HELD = 12, /* rwlock unlock by a thread holding it in no mode */
    LS_MISUSE_REINIT_IN_USE = 13,    /* init of a sync object that is locked or waited on */
    LS_MISUSE_CALL_ERROR = 14,       /* a call failed in a way that breaks the program's assumptions */
    LS_MISUSE_THREAD_LEAK = 20,      /* a joinable thread finished, neither joined nor detached
                                        at exit (tid: the leaked thread, stack: where it was
                                        created) */
    LS_MISUSE_ROBUST_INCONSISTENT = 21, /* a robust mutex acquired with EOWNERDEAD unlocked
                                           without pthread_mutex_consistent */
    LS_MISUSE_NOT_A_SEMAPHORE = 22,  /* a semaphore call on memory that holds no semaphore */
};

/* The call a misuse record is about (LS_REC_MISUSE.call), 0 if unknown.
 * The C11 codes (mtx_*, cnd_*, thrd_*, call_once) are the program's calls,
 * made through the pthread call of the same meaning. */
enum {
    LS_CALL_MUTEX_INIT = 1, LS_CALL_MUTEX_LOCK = 2, LS_CALL_MUTEX_TRYLOCK = 3,
    LS_CALL_MUTEX_TIMEDLOCK = 4, LS_CALL_MUTEX_CLOCKLOCK = 5, LS_CALL_MUTEX_UNLOCK = 6,
    LS_CALL_MUTEX_DESTROY = 7, LS_CALL_COND_INIT = 8, LS_CALL_COND_WAIT = 9,
    LS_CALL_COND_TIMEDWAIT = 10, LS_CALL_COND_CLOCKWAIT = 11, LS_CALL_COND_SIGNAL = 12,
    LS_CALL_COND_BROADCAST = 13, LS_CALL_COND_DESTROY = 14, LS_CALL_RWLOCK_INIT = 15,
    LS_CALL_RWLOCK_RDLOCK = 16, LS_CALL_RWLOCK_WRLOCK = 17, LS_CALL_RWLOCK_TRYRDLOCK = 18,
    LS_CALL_RWLOCK_TRYWRLOCK = 19, LS_CALL_RWLOCK_TIMEDRDLOCK = 20,
    LS_CALL_RWLOCK_TIMEDWRLOCK = 21, LS_CALL_RWLOCK_CLOCKRDLOCK = 22,
    LS_CALL_RWLOCK_CLOCKWRLOCK = 23, LS_CALL_RWLOCK_UNLOCK = 24, LS_CALL_RWLOCK_DESTROY = 25,
    LS_CALL_SPIN_INIT = 26, LS_CALL_SPIN_LOCK = 27, LS_CALL_SPIN_TRYLOCK = 28,
    LS_CALL_SPIN_UNLOCK = 29, LS_CALL_SPIN_DESTROY = 30, LS_CALL_SEM_INIT = 31,
    LS_CALL_SEM_WAIT = 32, LS_CALL_SEM_TRYWAIT = 33, LS_CALL_SEM_TIMEDWAIT = 34,
    LS_CALL_SEM_CLOCKWAIT = 35, LS_CALL_SEM_POST = 36, LS_CALL_SEM_DESTROY = 37,
    LS_CALL_BARRIER_INIT = 38, LS_CALL_BARRIER_WAIT = 39, LS_CALL_BARRIER_DESTROY = 40,
    LS_CALL_ONCE = 41, LS_CALL_CREATE = 42, LS_CALL_JOIN = 43, LS_CALL_TRYJOIN = 44,
    LS_CALL_TIMEDJOIN = 45, LS_CALL_DETACH = 46, LS_CALL_MTX_INIT = 47, LS_CALL_MTX_LOCK = 48,
    LS_CALL_MTX_TRYLOCK = 49, LS_CALL_MTX_TIMEDLOCK = 50, LS_CALL_MTX_UNLOCK = 51,
    LS_CALL_CND_INIT = 52, LS_CALL_CND_WAIT = 53, LS_CALL_CND_TIMEDWAIT = 54,
    LS_CALL_CND_SIGNAL = 55, LS_CALL_CND_BROADCAST = 56, LS_CALL_THRD_CREATE = 57,
    LS_CALL_THRD_JOIN = 58, LS_CALL_THRD_DETACH = 59, LS_CALL_CALL_ONCE = 60,
    LS_CALL_MUTEX_CONSISTENT = 61,
};

struct ls_rec_misuse {
    uint32_t rule;                /* LS_MISUSE_* */
    uint32_t tid;
    uint32_t lock;                /* the lock involved, 0 if none */
    uint32_t stack;               /* where the call was made */
    uint32_t lock_stack;          /* where the thread took the lock before, 0 if n/a */
    int32_t result;               /* what the call returned (an errno value), 0 if n/a */
    /* version 3: */
    uint32_t call;                /* LS_CALL_*: the call made, 0 if unknown */
    uint32_t other_tid;           /* the other thread involved (the lock's holder, a
                                     waiter), 0 if none or unknown */
    uint32_t other_stack;         /* where it took the lock or waits on the object, 0 if unknown */
    uint32_t lock2;               /* a second lock involved (cond-two-mutexes: the other
                                     waiters' mutex), 0 if none */
    int32_t value;                /* a value the call was given (sem_init's), 0 if n/a */
    uint32_t reserved;
};

/* LS_REC_CLOCK: thread tid's vector clock as of `version` (the thread's
 * count of clock joins).  Followed by n uint32_t entries, indexed by thread
 * id (entry 0 unused).  Written before the first access that refers to it. */
struct ls_rec_clock {
    uint32_t tid;
    uint32_t version;
    uint32_t n;
    uint32_t reserved;
};

/* LS_REC_ACCESS: a sampled memory access (a hardware watchpoint fired and
 * the instruction that made the access was decoded).  The accessing thread
 * was at `epoch` of its own clock, and knew the others as in its clock of
 * version clock_version.  Followed by nheld lock ids. */
enum {
    LS_ACCESS_WRITE = 1u << 0,
    LS_ACCESS_KIND_UNKNOWN = 1u << 1, /* read/write could not be told apart */
    LS_ACCESS_READ = 1u << 2,         /* a read-modify-write has both */
    LS_ACCESS_ATOMIC = 1u << 3,       /* a locked instruction or XCHG with memory */
    LS_ACCESS_INEXACT = 1u << 4,      /* the address could not be computed (the
                                         instruction overwrote its own base or index
                                         register; a masked or gather/scatter access):
                                         [addr, addr + size) holds every byte it
                                         accessed there, but not all of them need
                                         have been */
};

struct ls_rec_access {
    uint32_t tid;
    uint32_t epoch;
    uint32_t clock_version;
    uint32_t flags;           /* LS_ACCESS_* */
    uint64_t addr;            /* the first byte accessed */
    uint32_t size;            /* bytes accessed */
    uint32_t stack;           /* where: frame 0 is the instruction after the access */
    uint64_t watch_addr;      /* the watchpoint that fired: its first byte */
    uint32_t watch_len;       /* and length (1, 2, 4 or 8) */
    uint32_t nheld;
    /* Version 3: how the followed _Atomic globals stood when the access was
     * made: bits 0-30 count the traps of theirs the rate limit let pass
     * unseen so far, LS_ACCESS_SYNC_BENCHED is set while one of them is set
     * aside.  Two accesses are ordered exactly as the program ordered them
     * only if both have the same count and neither has the bit. */
    uint32_t sync_lost;
    uint32_t reserved;
};
#define LS_ACCESS_SYNC_BENCHED (1u << 31)

/* LS_REC_WATCH: how memory accesses were sampled in this process.  Followed
 * by msg_len bytes: why watching was refused, if it was.  A later
 * LS_REC_WATCH in the same file updates the earlier one (the shim writes one
 * at start, one when the program starts its first thread, and one at exit
 * with the counts). */
enum {
    LS_WATCH_ON = 1,          /* hardware watchpoints armed */
    LS_WATCH_REFUSED = 2,     /* the kernel refused them: races not checked */
    LS_WATCH_NONE = 3,        /* nothing to watch (no candidate globals) */
    LS_WATCH_OFF = 4,         /* turned off by option */
};

struct ls_rec_watch {
    uint32_t status;          /* LS_WATCH_* */
    uint32_t candidates;      /* global variables eligible for watching */
    uint32_t slots;           /* watchpoints (variables watched at a time) */
    uint32_t classify;        /* 1: reads and writes told apart (decoded) */
    uint32_t msg_len;
    uint32_t sync;            /* _Atomic globals followed as synchronization (low 16
                                 bits), LS_WATCH_SYNC_INCOMPLETE if some of their
                                 accesses were missed */
    /* What became of the traps (counted from the program's start): */
    uint64_t traps;           /* watchpoint traps taken */
    uint64_t exact;           /* accesses decoded to their exact bytes */
    uint64_t inexact;         /* accesses whose address could not be computed */
    uint64_t no_access;       /* CMOVcc with a false condition: no read by the program */
    uint64_t undecoded;       /* no instruction found that explains the trap (bytes the
                                 decoder rejects, a jump through memory) */
    uint64_t foreign;         /* made by code outside the program (the C library) */
    uint64_t stray;           /* decoded to bytes of no watched variable */
    uint64_t atomic;          /* made by atomic instructions */
    uint64_t limited;         /* set aside by the rate limit */
};
#define LS_WATCH_SYNC_INCOMPLETE (1u << 31)

/* ---- CPython ----------------------------------------------------------
 * In a CPython process the shim follows Python's own locks (LS_LOCK_PY*)
 * and takes Python stacks.  A Python stack is a stack id like any other:
 * its LS_REC_STACK record holds the native frames, and an LS_REC_PYSTACK
 * with the same id the Python frames, which the reports show first. */

/* LS_REC_PYTHON: the process runs CPython (written once, at start). */
enum {
    LS_PY_LOCKS = 1u << 0,    /* Python locks are followed (a known version) */
    LS_PY_LOCKS_UNSEEN = 1u << 1, /* this version's Lock does not go through libc */
};

struct ls_rec_python {
    uint32_t version;         /* Py_Version: 0x030b02f0 is 3.11.2 */
    uint32_t flags;           /* LS_PY_* */
};

/* LS_REC_PYCODE: a Python code object (a function).  Followed by file_len
 * bytes of its file name, then name_len bytes of its qualified name. */
struct ls_rec_pycode {
    uint32_t id;              /* 1, 2, ...: referred to by LS_REC_PYSTACK */
    int32_t first_line;
    uint32_t file_len;
    uint32_t name_len;
};

/* LS_REC_PYSTACK: the Python frames of stack `stack`, innermost first.
 * Followed by nframes struct ls_rec_pyframe. */
struct ls_rec_pystack {
    uint32_t stack;           /* the id of an LS_REC_STACK record */
    uint32_t nframes;
};

struct ls_rec_pyframe {
    uint32_t code;            /* an LS_REC_PYCODE id */
    int32_t line;             /* 0 if unknown */
};

/* LS_REC_PYLOCK: what a Python lock is.  Followed by name_len bytes: the
 * name it is bound to (`noodle_lock`, `self.lock`), if one was found.  A
 * later record for the same lock replaces the earlier one. */
enum {
    LS_PYLOCK_LOCK = 1,       /* a lock: taken and released by one thread */
    LS_PYLOCK_SIGNAL = 2,     /* released by a thread that did not hold it: a
                                 signal, its lock-order edges are void */
};

struct ls_rec_pylock {
    uint32_t lock;            /* LS_REC_LOCK id */
    uint32_t role;            /* LS_PYLOCK_* */
    uint32_t name_len;
    uint32_t reserved;
};

/* LS_REC_PYVAR: a Python variable whose accesses are watched: a module
 * global, by the value slot of its entry in the module's dict (the slot
 * moves when the dict grows: `slot` is where it was first watched).
 * Followed by module_len bytes of the module's name, then name_len bytes of
 * the variable's. */
enum { LS_PYVAR_GLOBAL = 1 };

struct ls_rec_pyvar {
    uint32_t id;              /* 1, 2, ...: referred to by LS_REC_PYACCESS */
    uint32_t kind;            /* LS_PYVAR_* */
    uint64_t slot;
    uint32_t module_len;
    uint32_t name_len;
};

/* LS_REC_PYACCESS: a sampled access to a Python variable, told by the
 * bytecode the thread was executing (LOAD_GLOBAL, LOAD_NAME: a read;
 * STORE_GLOBAL, STORE_NAME, DELETE_*: a write).  The thread was at `epoch`
 * of its own clock and knew the others as in its LS_REC_CLOCK of version
 * clock_version.  stack is a stack id with Python frames (LS_REC_PYSTACK).
 * Followed by nheld lock ids. */
struct ls_rec_pyaccess {
    uint32_t tid;
    uint32_t epoch;
    uint32_t clock_version;
    uint32_t flags;           /* LS_ACCESS_READ or LS_ACCESS_WRITE */
    uint32_t var;             /* LS_REC_PYVAR id */
    uint32_t stack;
    uint32_t nheld;
    uint32_t reserved;
    uint64_t ns;              /* CLOCK_MONOTONIC when it was made */
};

/* LS_REC_PYWATCH: how Python variables were watched in this process (a
 * later one updates the earlier).  Followed by msg_len bytes: why they were
 * not, if they were not. */
enum {
    LS_PYWATCH_ON = 1,
    LS_PYWATCH_OFF = 2,       /* turned off, or the kernel refused watchpoints */
    LS_PYWATCH_UNSUPPORTED = 3, /* an interpreter whose frames lockscope cannot read */
};

struct ls_rec_pywatch {
    uint32_t status;          /* LS_PYWATCH_* */
    uint32_t vars;            /* variables watched at some time */
    uint32_t candidates;      /* variables that could have been */
    uint32_t slots;           /* hardware watchpoints used */
    uint64_t traps;           /* traps taken */
    uint64_t accesses;        /* accesses recorded */
    uint64_t limited;         /* traps the rate limit set aside */
    uint64_t unresolved;      /* accesses lost: never resolved to Python lines */
    uint32_t msg_len;
    uint32_t flags;           /* LS_PYWATCH_HANDOFF_UNSEEN */
};
/* The program's own code uses queue.SimpleQueue, whose hand-offs make no
 * libc call: its Python races are not judged. */
#define LS_PYWATCH_HANDOFF_UNSEEN 1u

/* LS_REC_PROFILE: how one lock was used (written at exit, and when the lock
 * is destroyed).  Short holds are measured on one acquisition in
 * LS_PROFILE_SAMPLE and on those that waited (a clock read on each is too
 * dear); every hold that outlasts a tick of the shim's coarse clock (one
 * every LS_PROFILE_TICK_MS, read at acquisition) is timed at its release:
 * version 3's long_holds, never sampled, so no long hold is missed.  Wait
 * times on every acquisition that had to wait.  Followed by nsites struct
 * ls_rec_profile_site: the places that waited longest. */
#define LS_PROFILE_SAMPLE 64u
#define LS_PROFILE_TICK_MS 5u

struct ls_rec_profile {
    uint32_t lock;
    uint32_t nsites;
    uint64_t acquisitions;
    uint64_t contended;       /* acquisitions that had to wait */
    uint64_t owner_changes;   /* acquired by another thread than the last releaser */
    uint64_t wait_ns;         /* total time waited */
    uint64_t wait_max_ns;
    uint64_t hold_samples;    /* short holds measured (sampled) */
    uint64_t hold_sampled_ns; /* their total */
    uint64_t hold_max_ns;     /* longest measured hold, long or short */
    /* Version 3: every hold that outlasted a tick of the coarse clock, and
     * their total.  A hold not also sampled counts in hold_max_ns from the
     * tick before it began (at most LS_PROFILE_TICK_MS too long, never too
     * short), in long_hold_ns from the tick after. */
    uint64_t long_holds;
    uint64_t long_hold_ns;
    /* How much too long hold_max_ns may be: the longest a timed hold's
     * start was uncertain (from the tick it copied to the next one; more
     * than LS_PROFILE_TICK_MS when the ticker woke late). */
    uint64_t hold_slack_ns;
};

/* LS_REC_EXEC: process `pid` is about to run the program at the path
 * that follows (path_len bytes): this process exec'ing (LS_EXEC_SELF), a
 * vfork child of it exec'ing in its memory (LS_EXEC_VFORK), or a child it
 * started with posix_spawn (LS_EXEC_SPAWN; written once the call returned,
 * time_ns taken before it).  A trace of `pid` started at time_ns or later
 * is that program's; without one, the program was not traced (statically
 * linked, set-uid, or started without LD_PRELOAD).  LS_EXEC_FAILED: the
 * last exec of `pid` failed (the process goes on as it was). */
enum { LS_EXEC_SELF = 1, LS_EXEC_VFORK = 2, LS_EXEC_SPAWN = 3, LS_EXEC_FAILED = 4 };

struct ls_rec_exec {
    uint32_t pid;
    uint32_t how;             /* LS_EXEC_* */
    uint64_t time_ns;         /* CLOCK_REALTIME, as ls_file_header.start_ns */
    uint32_t path_len;
    uint32_t reserved;
};

struct ls_rec_profile_site {
    uint32_t stack;           /* where it waited */
    uint32_t reserved;
    uint64_t waits;
    uint64_t wait_ns;
};

/* ---- the timeline (LOCKSCOPE_OPTIONS=timeline=N) ---------------------
 * Each thread keeps its last N lock and wait events in a ring; the part of
 * it not yet written goes into the trace when the thread ends, before fork,
 * at exit, when a deadlock is reported and on a fatal signal. */

/* LS_REC_TIMELINE_CLOCK: written before the first LS_REC_TIMELINE of a
 * file: how the events' CLOCK_MONOTONIC times relate to the wall clock. */
struct ls_rec_timeline_clock {
    uint64_t mono_ns;         /* CLOCK_MONOTONIC ... */
    uint64_t real_ns;         /* ... and CLOCK_REALTIME, read together */
    uint32_t capacity;        /* events each thread's ring keeps */
    uint32_t source;          /* LS_TL_SOURCE_*: where the times come from */
};
enum {
    LS_TL_SOURCE_CLOCK = 1,   /* clock_gettime(CLOCK_MONOTONIC) at each event */
    LS_TL_SOURCE_TSC = 2,     /* the invariant TSC, converted to CLOCK_MONOTONIC ns */
};

/* Event kinds (ls_rec_tl_event.what). */
enum {
    LS_TL_ACQUIRED = 1,       /* obj: lock id; arg 1: for reading.  A hold begins (or,
                                 recursive, deepens) */
    LS_TL_RELEASED = 2,       /* obj: lock id */
    LS_TL_WAIT_BEGIN = 3,     /* arg: LS_WAIT_*; obj: the lock (LOCK, LOCK_READ: the
                                 acquisition requested, which must block), the condvar,
                                 semaphore or barrier (its lock id), or the thread
                                 joined (JOIN) */
    LS_TL_WAIT_END = 4,       /* the wait that began last ended (acquired, woken, timed out) */
    LS_TL_THREAD_START = 5,
    LS_TL_THREAD_END = 6,
};

struct ls_rec_tl_event {
    uint64_t ns;              /* CLOCK_MONOTONIC */
    uint32_t obj;
    uint16_t what;            /* LS_TL_* */
    uint16_t arg;
};

/* LS_REC_TIMELINE: events of thread tid, oldest first: its events number
 * first .. first + n - 1 (counted from the thread's start); `lost` events
 * before them were overwritten in the ring before they could be written.
 * Followed by n struct ls_rec_tl_event.  A thread's records come in order
 * and never overlap. */
struct ls_rec_timeline {
    uint32_t tid;
    uint32_t n;
    uint64_t first;
    uint64_t lost;
};

/* LS_REC_ACCESS_TIME: when thread tid made its latest sampled access
 * recorded so far (the LS_REC_ACCESS of that thread just before this record
 * in the file, with the same addr).  Written only with the timeline on. */
struct ls_rec_access_time {
    uint32_t tid;
    uint32_t reserved;
    uint64_t addr;
    uint64_t ns;              /* CLOCK_MONOTONIC */
};

/* ---- the sync objects' own lifetime -----------------------------------
 * pthread_*_init, pthread_*_destroy, sem_init and sem_destroy write the
 * object; every other call on it reads it.  LS_REC_SYNC_RACE: an init or
 * destroy (the `write` side) that happens-before does not order against
 * another thread's use or init/destroy of the same object (the `other`
 * side).  Judged by the shim on the vector clocks, on every call (not
 * sampled); written once per object generation and pair of threads. */
enum {
    LS_SLR_OTHER_FIRST = 1u << 0, /* the other side came first (the write found it) */
    LS_SLR_OTHER_WRITE = 1u << 1, /* the other side is an init or destroy too */
    LS_SLR_OTHER_INSIDE = 1u << 2, /* the other thread was still inside its call
                                      (a barrier wait) when the write came */
};
/* Where the object lives (ls_rec_sync_race.mem). */
enum { LS_SLMEM_UNKNOWN = 0, LS_SLMEM_GLOBAL = 1, LS_SLMEM_HEAP = 2, LS_SLMEM_STACK = 3 };

struct ls_rec_sync_race {
    uint64_t addr;            /* the object's first byte */
    uint32_t kind;            /* LS_LOCK_* or LS_SYNC_* (mutex, rwlock, cond, sem, barrier) */
    uint32_t flags;           /* LS_SLR_* */
    uint32_t mem;             /* LS_SLMEM_* */
    uint32_t write_tid;       /* the init or destroy: thread, its epoch, stack, LS_CALL_* */
    uint32_t write_epoch;
    uint32_t write_stack;
    uint32_t write_call;
    uint32_t other_tid;       /* the use (or other init/destroy) */
    uint32_t other_epoch;
    uint32_t other_stack;
    uint32_t other_call;
    uint32_t reserved;
};

/* LS_REC_OBJECT: memory that is watched besides the globals, one object
 * (one lifetime of it) with an id of its own (1, 2, ...; never reused in a
 * process).  A block freed and allocated again is a new object, so accesses
 * made to two objects never form a race, whatever their addresses. */
enum {
    LS_OBJ_HEAP = 1,          /* a heap block: [addr, + size) its usable bytes */
    LS_OBJ_STACK = 2,         /* a window of a thread's stack */
    LS_OBJ_TLS = 3,           /* a thread's TLS variable (or a window of its TLS block) */
    LS_OBJ_GLOBAL = 4,        /* a global (its symbol's size): named as globals are */
};
enum {
    LS_OBJ_VIA_ARG = 1,       /* what a new thread's argument points to */
    LS_OBJ_VIA_GLOBAL = 2,    /* the heap block a watched global pointer points to */
    LS_OBJ_VIA_SAMPLED = 3,   /* a sampled allocation (1 in heap_sample) */
    LS_OBJ_VIA_YOUNG = 4,     /* one of the first allocations of the process */
    LS_OBJ_VIA_ARG_PTR = 5,   /* what a word of a new thread's argument points to */
};
struct ls_rec_object {
    uint32_t id;
    uint16_t kind;            /* LS_OBJ_* */
    uint16_t via;             /* LS_OBJ_VIA_* */
    uint64_t addr;
    uint64_t size;
    uint32_t tid;             /* the thread that allocated it, or whose stack or TLS it is */
    uint32_t alloc_stack;     /* where it was allocated (sampled allocations), else 0 */
    uint32_t arg_tid;         /* VIA_ARG, VIA_ARG_PTR: the thread it was passed to */
    uint32_t stack;           /* VIA_ARG, VIA_ARG_PTR: where that thread was created, else 0 */
    uint64_t via_addr;        /* VIA_GLOBAL: the global holding the pointer;
                                 VIA_ARG_PTR: the argument's word holding it;
                                 TLS: the first byte of the module's TLS block */
    uint64_t alloc_size;      /* HEAP: the size asked for, when lockscope saw the
                                 allocation (0: not seen; size is then the usable size) */
};

/* LS_REC_OBJECT_END: object `id` is no longer watched: freed or reallocated
 * by thread tid (heap), or its thread ended (stack, TLS). */
struct ls_rec_object_end {
    uint32_t id;
    uint32_t tid;
};

/* LS_REC_OBJECT_GLOBAL: the global pointer at `global` was seen pointing
 * to the start of heap object `id` (one recorded before: a sampled block). */
struct ls_rec_object_global {
    uint32_t id;
    uint32_t reserved;
    uint64_t global;
};

/* LS_REC_THREAD_ARG: thread tid was created with start routine `start`
 * (the program's own: a C11 thread's, not lockscope's trampoline) and
 * argument `arg`, which points into object `obj` (of an LS_REC_OBJECT
 * record before it).  Written only when the argument is in a watched
 * object: the debug information of the start routine's parameter or
 * locals then names the object's fields (`job->count`). */
/* LS_REC_WATCH_TURNS: the sampler's turns, at exit: armed (the sampling
 * slots watching windows) and rested (every sampling slot disabled, after
 * a turn that found no two threads on a written window). */
struct ls_rec_watch_turns {
    uint32_t armed;
    uint32_t rested;
};

struct ls_rec_thread_arg {
    uint32_t tid;
    uint32_t obj;
    uint64_t arg;
    uint64_t start;
};

/* LS_REC_ACCESS_OBJ: the LS_REC_ACCESS of thread tid just before this record
 * in the file, with the same addr, was made to object `obj` (of an
 * LS_REC_OBJECT record before it).  Accesses without one were made to a
 * global. */
struct ls_rec_access_obj {
    uint32_t tid;
    uint32_t obj;
    uint64_t addr;
};

#endif
