/*
 * spew-keeper: moves what shell appliances write into their stdout and stderr FIFOs into spool
 * files, with splice(2), so that no byte an appliance wrote is ever held in a process that a
 * kill -9 could take down with it. Node cannot splice; this is the one thing spew asks of C.
 *
 * A byte is in the FIFO or in the spool file, never in between: splice moves the pipe's pages
 * into the file and consumes from the pipe only what it moved. The agent reads the spools at
 * its own pace, writes the timestamped log, and keeps its place in a record of its own (see
 * src/logs/spool-reader.ts). Either process may die at any instant and nothing is lost: the
 * FIFOs hold what the keeper has not moved, the spools what the agent has not logged.
 *
 *   spew-keeper DIR       DIR holds: lock (flock: one keeper per DIR), pid ("PID STARTTIME"),
 *                         ctl (FIFO, commands from the agent), news (FIFO, lines to the agent).
 *
 * Commands on ctl, one a line:
 *   watch RUNDIR           spool RUNDIR/out and RUNDIR/err into RUNDIR/out.spool, err.spool
 *   unwatch RUNDIR         stop (the appliance was removed)
 *   flush RUNDIR TOKEN     move all there is now; answer "flushed TOKEN OUTSIZE ERRSIZE"
 *   trim RUNDIR STREAM N   the agent has logged the first N bytes of the spool: when that is
 *                          all of it (or all but a last line not ended, of a spool past its
 *                          bound), a new spool takes its place (only the keeper writes to it)
 *   exit                   move all there is, then exit
 * News: "data RUNDIR" after bytes were moved (a hint: the agent reads the spools anyway when it
 * starts), "dropped RUNDIR STREAM LINES BYTES WHY" for output that could not be kept (a full
 * disk), "error RUNDIR WHAT".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A spool never grows past this while the agent does not read it: past it the keeper stops
 * reading the FIFO, and the appliance's writes wait (as they would in a full pipe) until the
 * agent has logged the spool; an appliance cannot fill the disk through spew. */
#define SPOOL_MAX (64LL * 1024 * 1024)
/* Of a spool past its bound, the most a trim carries over into the new one: a line not ended. */
#define CARRY_MAX (1024 * 1024)
/* Output that could not be kept is told at most this often per stream: a full disk under a
 * firehose must not become a flood of news. */
#define DROP_REPORT_MS 250
/* How much one stream may move before the others get their turn. */
#define TURN_BYTES (1024 * 1024)
#define LINE_MAX_LEN 8192
/* How often, when idle, the keeper looks whether its dir is still there. */
#define ORPHAN_CHECK_MS 10000

enum { OUT = 0, ERR = 1 };
static const char *const STREAM_NAMES[2] = {"out", "err"};

struct watch;

struct stream {
  struct watch *owner;
  int fifo; /* -1 once closed: an event already taken for it is skipped */
  int spool;
  long long size; /* of the spool: the keeper is its only writer */
  unsigned long long dropped_lines, dropped_bytes;
  const char *drop_reason;
  long long reported_at; /* ms, CLOCK_MONOTONIC */
  int paused;            /* past SPOOL_MAX: the FIFO is not read until the spool is replaced */
};

struct watch {
  char *dir;
  struct stream streams[2];
  struct watch *next;
};

static struct watch *watches;
/* Unwatched during a batch of events that may still name their streams: freed after it. */
static struct watch *graveyard;
static int epoll_fd, ctl_fd, news_fd;
static char ctl_buf[LINE_MAX_LEN];
static size_t ctl_len;
static volatile sig_atomic_t exit_asked;
static int news_lost; /* news that did not fit in the FIFO: the agent rereads everything */

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void on_term(int sig) {
  (void)sig;
  exit_asked = 1;
}

/* One line of news to the agent; never blocks (an agent that is not reading misses hints, not data). */
static void news(const char *fmt, ...) {
  char line[LINE_MAX_LEN];
  va_list args;
  va_start(args, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, args);
  va_end(args);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  if (write(news_fd, line, (size_t)n) != n) news_lost = 1;
}

/* Opens a file the keeper works with: never through a link, only of the kind asked, only its own. */
static int open_own(const char *path, int flags, mode_t kind) {
  int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || (st.st_mode & S_IFMT) != kind || st.st_uid != geteuid()) {
    close(fd);
    errno = EPERM;
    return -1;
  }
  return fd;
}

static struct watch *find(const char *dir) {
  for (struct watch *w = watches; w; w = w->next)
    if (strcmp(w->dir, dir) == 0) return w;
  return NULL;
}

static void close_stream(struct stream *s) {
  if (s->fifo >= 0) {
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, s->fifo, NULL);
    close(s->fifo);
  }
  if (s->spool >= 0) close(s->spool);
  s->fifo = s->spool = -1;
}

static void unwatch(const char *dir) {
  for (struct watch **at = &watches; *at; at = &(*at)->next) {
    struct watch *w = *at;
    if (strcmp(w->dir, dir) != 0) continue;
    close_stream(&w->streams[OUT]);
    close_stream(&w->streams[ERR]);
    *at = w->next;
    w->next = graveyard;
    graveyard = w;
    return;
  }
}

static void watch(const char *dir) {
  if (find(dir) || dir[0] != '/') return;
  struct watch *w = calloc(1, sizeof *w);
  if (!w || !(w->dir = strdup(dir))) {
    free(w);
    news("error %s out of memory", dir);
    return;
  }
  for (int i = 0; i < 2; i++) {
    struct stream *s = &w->streams[i];
    char path[PATH_MAX];
    s->owner = w;
    s->fifo = s->spool = -1;
    snprintf(path, sizeof path, "%s/%s", dir, STREAM_NAMES[i]);
    /* Read-write: with a writer of its own the keeper never sees end-of-file between runs. */
    s->fifo = open_own(path, O_RDWR | O_NONBLOCK, S_IFIFO);
    struct stat st;
    if (s->fifo >= 0) {
      snprintf(path, sizeof path, "%s/%s.spool", dir, STREAM_NAMES[i]);
      /* No O_APPEND: splice refuses to write to such a file; the keeper keeps the offset itself.
       * Read-write: a trim carries a line not ended over into the next spool. */
      s->spool = open_own(path, O_RDWR | O_CREAT, S_IFREG);
    }
    if (s->fifo < 0 || s->spool < 0 || fstat(s->spool, &st) != 0) {
      news("error %s cannot open %s: %s", dir, path, strerror(errno));
      close_stream(&w->streams[OUT]);
      close_stream(&w->streams[ERR]);
      free(w->dir);
      free(w);
      return;
    }
    s->size = st.st_size;
  }
  w->next = watches;
  watches = w;
  for (int i = 0; i < 2; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->streams[i]};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, w->streams[i].fifo, &ev);
  }
}

/* What cannot be kept is read off the FIFO (the appliance must never block on it) and counted. */
static void drop(struct stream *s, const char *reason) {
  char buf[65536];
  s->drop_reason = reason;
  ssize_t n = read(s->fifo, buf, sizeof buf);
  if (n <= 0) return;
  s->dropped_bytes += (unsigned long long)n;
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == '\n') s->dropped_lines++;
}

/* Stops or resumes reading a stream's FIFO. */
static void arm(struct stream *s, int on) {
  struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.ptr = s};
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, s->fifo, &ev);
  s->paused = !on;
}

/* Moves what the FIFO holds into the spool, up to `budget` bytes; answers whether any moved. */
static int move(struct stream *s, long long budget) {
  int moved = 0;
  while (budget > 0) {
    if (s->size >= SPOOL_MAX) {
      arm(s, 0);
      return moved;
    }
    loff_t at = s->size;
    size_t want = (size_t)(budget < SPOOL_MAX - s->size ? budget : SPOOL_MAX - s->size);
    ssize_t n = splice(s->fifo, NULL, s->spool, &at, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      s->size += n;
      budget -= n;
      moved = 1;
      continue;
    }
    if (n == 0 || errno == EAGAIN) return moved;
    if (errno == EINTR) continue;
    drop(s, strerror(errno)); /* ENOSPC, EDQUOT, EIO, EFBIG: not kept, but counted */
    return moved;
  }
  return moved;
}

/* Tells of output dropped; unless `now_too`, only what has waited DROP_REPORT_MS. Answers
 * whether any is left to tell later. */
static int report_drops(struct watch *w, int now_too) {
  int left = 0;
  long long now = now_ms();
  for (int i = 0; i < 2; i++) {
    struct stream *s = &w->streams[i];
    if (s->dropped_bytes == 0) continue;
    if (!now_too && now - s->reported_at < DROP_REPORT_MS) {
      left = 1;
      continue;
    }
    s->reported_at = now;
    news("dropped %s %s %llu %llu %s", w->dir, STREAM_NAMES[i], s->dropped_lines, s->dropped_bytes, s->drop_reason ? s->drop_reason : "?");
    s->dropped_lines = s->dropped_bytes = 0;
  }
  return left;
}

static void move_all(struct watch *w) {
  int moved = 0;
  for (int i = 0; i < 2; i++) moved |= move(&w->streams[i], LLONG_MAX);
  if (moved) news("data %s", w->dir);
  report_drops(w, 1);
}

static void trim(const char *dir, const char *stream, long long consumed) {
  struct watch *w = find(dir);
  if (!w) return;
  int i = strcmp(stream, "err") == 0 ? ERR : OUT;
  struct stream *s = &w->streams[i];
  /* Only when the agent has all of it; or, of a spool past its bound (which takes no more, so
   * the agent cannot be reading on), all but a line not ended, which the new spool begins with. */
  long long carry = s->size - consumed;
  if (s->size == 0 || carry < 0 || (carry > 0 && !(s->paused && carry <= CARRY_MAX))) return;
  /* A new file in its place, not the old one cut back: a reader that finds another inode
   * there knows the spool began anew, however much has been written to it since. */
  char path[PATH_MAX], fresh[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s.spool", dir, STREAM_NAMES[i]);
  snprintf(fresh, sizeof fresh, "%s/%s.spool.new", dir, STREAM_NAMES[i]);
  unlink(fresh);
  int fd = open(fresh, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return;
  static char tail[CARRY_MAX];
  if ((carry > 0 && (pread(s->spool, tail, (size_t)carry, consumed) != carry || pwrite(fd, tail, (size_t)carry, 0) != carry)) ||
      rename(fresh, path) != 0) {
    close(fd);
    unlink(fresh);
    return;
  }
  close(s->spool);
  s->spool = fd;
  s->size = carry;
  if (s->paused) arm(s, 1);
}

static void command(char *line) {
  char *verb = strtok(line, " ");
  char *dir = strtok(NULL, " ");
  if (!verb) return;
  if (strcmp(verb, "exit") == 0) {
    exit_asked = 1;
  } else if (dir && strcmp(verb, "watch") == 0) {
    watch(dir);
  } else if (dir && strcmp(verb, "unwatch") == 0) {
    unwatch(dir);
  } else if (dir && strcmp(verb, "flush") == 0) {
    char *token = strtok(NULL, " ");
    struct watch *w = find(dir);
    if (w) move_all(w);
    news("flushed %s %lld %lld", token ? token : "-", w ? w->streams[OUT].size : -1LL, w ? w->streams[ERR].size : -1LL);
  } else if (dir && strcmp(verb, "trim") == 0) {
    char *stream = strtok(NULL, " ");
    char *count = strtok(NULL, " ");
    if (stream && count) trim(dir, stream, strtoll(count, NULL, 10));
  }
}

static void read_commands(void) {
  for (;;) {
    ssize_t n = read(ctl_fd, ctl_buf + ctl_len, sizeof ctl_buf - 1 - ctl_len);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    ctl_len += (size_t)n;
    char *start = ctl_buf, *end;
    while ((end = memchr(start, '\n', ctl_len - (size_t)(start - ctl_buf)))) {
      *end = '\0';
      command(start);
      start = end + 1;
    }
    ctl_len -= (size_t)(start - ctl_buf);
    memmove(ctl_buf, start, ctl_len);
    /* A line longer than the buffer is no command: it goes. */
    if (ctl_len == sizeof ctl_buf - 1) ctl_len = 0;
  }
}

/* "PID STARTTIME": who this keeper is, as the agent checks it (field 22 of /proc/PID/stat). */
static int write_pid(const char *dir) {
  char path[PATH_MAX], stat[1024], tmp[PATH_MAX];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, stat, sizeof stat - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) return -1;
  stat[n] = '\0';
  char *field = strrchr(stat, ')');
  for (int i = 0; field && i < 20; i++) field = strchr(field + 1, ' ');
  if (!field) return -1;
  unsigned long long start = strtoull(field + 1, NULL, 10);
  snprintf(tmp, sizeof tmp, "%s/pid.tmp", dir);
  snprintf(path, sizeof path, "%s/pid", dir);
  unlink(tmp);
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  dprintf(fd, "%d %llu\n", getpid(), start);
  close(fd);
  return rename(tmp, path);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: spew-keeper DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  char path[PATH_MAX];

  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  struct sigaction term = {.sa_handler = on_term};
  sigaction(SIGTERM, &term, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGUSR1, SIG_IGN);
  signal(SIGUSR2, SIG_IGN);
  signal(SIGALRM, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  signal(SIGTTIN, SIG_IGN);
  signal(SIGTTOU, SIG_IGN);

  snprintf(path, sizeof path, "%s/lock", dir);
  int lock = open_own(path, O_RDWR | O_CREAT, S_IFREG);
  if (lock < 0) {
    fprintf(stderr, "spew-keeper: %s: %s\n", path, strerror(errno));
    return 1;
  }
  /* Another keeper holds it: that one does the work. */
  if (flock(lock, LOCK_EX | LOCK_NB) != 0) return 0;

  snprintf(path, sizeof path, "%s/ctl", dir);
  ctl_fd = open_own(path, O_RDWR | O_NONBLOCK, S_IFIFO);
  char news_path[PATH_MAX];
  snprintf(news_path, sizeof news_path, "%s/news", dir);
  news_fd = open_own(news_path, O_RDWR | O_NONBLOCK, S_IFIFO);
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (ctl_fd < 0 || news_fd < 0 || epoll_fd < 0) {
    fprintf(stderr, "spew-keeper: %s: %s\n", dir, strerror(errno));
    return 1;
  }
  struct epoll_event ctl_ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, ctl_fd, &ctl_ev);
  if (write_pid(dir) != 0) {
    fprintf(stderr, "spew-keeper: cannot write %s/pid: %s\n", dir, strerror(errno));
    return 1;
  }

  struct stat ctl_st;
  fstat(ctl_fd, &ctl_st);
  struct epoll_event events[64];
  int drops_waiting = 0;
  while (!exit_asked) {
    int n = epoll_wait(epoll_fd, events, 64, drops_waiting ? DROP_REPORT_MS : ORPHAN_CHECK_MS);
    if (n < 0 && errno != EINTR) return 1;
    /* Its dir gone or made anew (the state dir wiped): no agent will ever talk to this keeper. */
    struct stat now;
    if (n == 0 && !drops_waiting && (stat(path, &now) != 0 || now.st_ino != ctl_st.st_ino)) break;
    for (int i = 0; i < n; i++) {
      struct stream *s = events[i].data.ptr;
      if (!s) {
        read_commands();
        continue;
      }
      if (s->fifo < 0) continue;
      if (move(s, TURN_BYTES)) news("data %s", s->owner->dir);
    }
    drops_waiting = 0;
    for (struct watch *w = watches; w; w = w->next) drops_waiting |= report_drops(w, 0);
    while (graveyard) {
      struct watch *dead = graveyard;
      graveyard = dead->next;
      free(dead->dir);
      free(dead);
    }
    if (news_lost) {
      news_lost = 0;
      news("data *");
    }
  }
  for (struct watch *w = watches; w; w = w->next) move_all(w);
  return 0;
}
