/* Fixture of test_netlink and test_sockdiag (netns-fixture.c): each test
 * body runs in a forked child in a network namespace of its own, so that
 * whatever it sees or leaves behind is its own and dies with the child. */
#ifndef CRYO_TEST_NETNS_FIXTURE_H
#define CRYO_TEST_NETNS_FIXTURE_H

#include <stdbool.h>

/* Run @body in a forked child in a new network namespace; its return
 * value is the test's result (1 when the child could not run it). */
int in_netns (int (*body) (void));

/* Network namespaces need root: when not root, print the TAP skip plan
 * and return false (main then returns 0). */
bool netns_can_run (void);

#endif
