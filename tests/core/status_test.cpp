#include "core/status.h"

#include <gtest/gtest.h>

namespace smile {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd number " + std::to_string(x) + ": pass an even number");
  return x / 2;
}

Status Chain(int x, int* out) {
  SMILE_ASSIGN_OR_RETURN(int h, Half(x));
  *out = h;
  return Status::Ok();
}

TEST(Status, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = NotFound("cannot open 'x.mp4': check the path");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "not found: cannot open 'x.mp4': check the path");
  EXPECT_EQ(s.WithContext("copy").message(), "copy: cannot open 'x.mp4': check the path");
  EXPECT_EQ(s.ExitCode(), 1);
  EXPECT_EQ(InvalidArgument("x").ExitCode(), 2);
  EXPECT_EQ(Cancelled("x").ExitCode(), 130);
}

TEST(Status, ResultCarriesValueOrError) {
  auto r = Half(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 4);
  auto e = Half(3);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  int out = 0;
  EXPECT_TRUE(Chain(10, &out).ok());
  EXPECT_EQ(out, 5);
  EXPECT_EQ(Chain(7, &out).code(), StatusCode::kInvalidArgument);
}

TEST(Status, ResultFromOkStatusIsAnInternalError) {
  Result<int> r{Status::Ok()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace smile
