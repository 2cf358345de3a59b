/* SysV semaphores and message queues across a checkpoint: values, modes,
 * messages of several types in order, and they keep working. */
#include "crt.h" /* first: it defines _GNU_SOURCE */
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>

struct msg
{
  long type;
  char text[32];
};

static void
send_msg (int q, long type, const char *text)
{
  struct msg m = { type, "" };
  strcpy (m.text, text);
  CRT_CHECK (msgsnd (q, &m, strlen (text) + 1, 0) == 0, "msgsnd");
}

static void
expect_msg (int q, long type, const char *text)
{
  struct msg m = { 0, "" };
  CRT_CHECK (msgrcv (q, &m, sizeof m.text, type, IPC_NOWAIT) > 0 && strcmp (m.text, text) == 0,
             "message %ld: `%s`", type, m.text);
}

int
main (void)
{
  unsigned short vals[3] = { 5, 0, 7 }, got[3];
  struct sembuf op = { 1, 3, 0 };
  struct semid_ds sds;
  struct msqid_ds mds;
  int sem = semget (0x0c570002, 3, IPC_CREAT | 0600), q = msgget (0x0c570003, IPC_CREAT | 0620);

  CRT_CHECK (sem >= 0 && q >= 0, "semget/msgget");
  CRT_CHECK (semctl (sem, 0, SETALL, vals) == 0 && semop (sem, &op, 1) == 0, "semaphores");
  send_msg (q, 2, "second type");
  send_msg (q, 1, "first");
  send_msg (q, 1, "first again");
  crt_ready ();
  crt_wait ();

  CRT_CHECK (semctl (sem, 0, GETALL, got) == 0 && got[0] == 5 && got[1] == 3 && got[2] == 7,
             "values %u %u %u", got[0], got[1], got[2]);
  CRT_CHECK (semctl (sem, 0, IPC_STAT, &sds) == 0 && sds.sem_nsems == 3 && (sds.sem_perm.mode & 0777) == 0600,
             "semaphore set");
  CRT_CHECK (msgctl (q, IPC_STAT, &mds) == 0 && mds.msg_qnum == 3 && (mds.msg_perm.mode & 0777) == 0620,
             "queue: %lu messages", (unsigned long)mds.msg_qnum);
  expect_msg (q, 1, "first");
  expect_msg (q, 1, "first again");
  expect_msg (q, 0, "second type");
  op.sem_op = -3;
  CRT_CHECK (semop (sem, &op, 1) == 0 && semctl (sem, 1, GETVAL) == 0, "semop after");
  send_msg (q, 5, "new");
  expect_msg (q, 5, "new");
  semctl (sem, 0, IPC_RMID);
  msgctl (q, IPC_RMID, NULL);
  crt_pass ();
}
