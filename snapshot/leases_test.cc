#include "snapshot/leases.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::snapshot {
namespace {

using common::Digest;
using common::Error;
using common::ErrorKind;
using std::chrono::seconds;

TEST(Leases, CreateAddReleaseAndExpire) {
  common::TempDir root;
  Database db(root.path() / "metadata.db");
  Leases leases(db);
  int64_t now = Leases::now();
  Lease a = leases.create(seconds(3600), "build app:v1");
  Lease gone = leases.create(seconds(0), "already expired");
  EXPECT_NE(a.id, gone.id);
  EXPECT_EQ(a.id.size(), 32u);
  leases.add(a.id, Digest::sha256_of("x"));
  leases.add(a.id, Digest::sha256_of("x"));  // twice is fine
  leases.add(gone.id, Digest::sha256_of("y"));

  auto live = leases.active(now);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].id, a.id);
  EXPECT_EQ(live[0].label, "build app:v1");
  EXPECT_EQ(leases.held(now), std::vector<Digest>{Digest::sha256_of("x")});

  EXPECT_EQ(leases.expire(now), 1);
  EXPECT_THROW(leases.add(gone.id, Digest::sha256_of("z")), Error);
  try {
    leases.renew(gone.id, seconds(10));
    FAIL() << "renewed a collected lease";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  }
  leases.renew(a.id, seconds(7200));
  EXPECT_GE(leases.active(now)[0].expires_at, now + 7200);

  leases.release(a.id);
  leases.release(a.id);  // releasing twice is fine
  EXPECT_TRUE(leases.active(now).empty());
  EXPECT_TRUE(leases.held(now).empty());
  // The content rows went with the lease (ON DELETE CASCADE).
  auto st = db.prepare("SELECT COUNT(*) FROM lease_content");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 0);
}

TEST(Leases, GuardReleasesOnScopeExit) {
  common::TempDir root;
  Database db(root.path() / "metadata.db");
  std::string id;
  {
    LeaseGuard guard(db, seconds(600), "scoped");
    guard.add(Digest::sha256_of("held"));
    id = guard.id();
    EXPECT_EQ(Leases(db).held(Leases::now()).size(), 1u);
    LeaseGuard moved(std::move(guard));
    EXPECT_EQ(moved.id(), id);
  }
  EXPECT_TRUE(Leases(db).active(Leases::now()).empty());
}

}  // namespace
}  // namespace mybuild::snapshot
