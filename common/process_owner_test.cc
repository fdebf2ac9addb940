#include "common/process_owner.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mybuild::common {
namespace {

TEST(ProcessOwner, SelfIsAliveAndRoundTripsThroughItsTag) {
  ProcessOwner me = ProcessOwner::self();
  EXPECT_GT(me.start, 0);
  EXPECT_TRUE(me.alive());
  auto parsed = ProcessOwner::parse_tag(me.tag() + "-rest");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->pid, me.pid);
  EXPECT_EQ(parsed->start, me.start);
}

TEST(ProcessOwner, ADifferentStartTimeMeansAReusedPid) {
  ProcessOwner me = ProcessOwner::self();
  me.start += 1;
  EXPECT_FALSE(me.alive());
}

// A killed process its parent has not waited for yet is a zombie: /proc/<pid>/stat is still
// there, but it owns nothing any more.
TEST(ProcessOwner, AZombieIsDead) {
  pid_t child = ::fork();
  if (child == 0) ::pause();
  ASSERT_GT(child, 0);
  ProcessOwner owner{child, process_start_time(child).value_or(0)};
  EXPECT_TRUE(owner.alive());
  ::kill(child, SIGKILL);
  for (int i = 0; i < 200 && owner.alive(); ++i) ::usleep(5000);
  EXPECT_FALSE(owner.alive());
  int status = 0;
  ::waitpid(child, &status, 0);
}

TEST(ProcessOwner, RejectsWhatIsNotATag) {
  EXPECT_FALSE(ProcessOwner::parse_tag("XXXXXX"));
  EXPECT_FALSE(ProcessOwner::parse_tag("12"));
  EXPECT_FALSE(ProcessOwner::parse_tag("0.5-x"));
  EXPECT_FALSE(ProcessOwner::parse_tag("a.b"));
}

TEST(ProcessOwner, OwnedPrefixNamesThisProcess) {
  std::string name = owned_prefix("mybuild-bind-") + "Ab3xYz";
  auto owner = owner_in_name(name);
  ASSERT_TRUE(owner) << name;
  EXPECT_EQ(owner->pid, ProcessOwner::self().pid);
  EXPECT_FALSE(owner_in_name("mybuild-bind-Ab3xYz"));
}

}  // namespace
}  // namespace mybuild::common
