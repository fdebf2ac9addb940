#include "builder/stage/healthcheck.h"

#include <cstdio>

#include "builder/stage/history_text.h"

namespace mybuild::builder {

image::Healthcheck healthcheck_of(const parser::Healthcheck& hc) {
  image::Healthcheck h;
  if (hc.none) {
    h.test = {"NONE"};
    return h;
  }
  if (hc.test.exec_form) {
    h.test = {"CMD"};
    h.test.insert(h.test.end(), hc.test.args.begin(), hc.test.args.end());
  } else {
    h.test = {"CMD-SHELL", hc.test.args.empty() ? "" : hc.test.args[0]};
  }
  if (hc.interval) h.interval_ns = hc.interval->count();
  if (hc.timeout) h.timeout_ns = hc.timeout->count();
  if (hc.start_period) h.start_period_ns = hc.start_period->count();
  if (hc.start_interval) h.start_interval_ns = hc.start_interval->count();
  if (hc.retries) h.retries = *hc.retries;
  return h;
}

std::string healthcheck_history(const image::Healthcheck& h) {
  auto duration = [](int64_t ns) { return go_quote(go_duration(std::chrono::nanoseconds(ns))); };
  std::string text = "HEALTHCHECK &{" + go_quote_list(h.test) + " " + duration(h.interval_ns) +
                     " " + duration(h.timeout_ns) + " " + duration(h.start_period_ns) + " " +
                     duration(h.start_interval_ns) + " ";
  char retries[16];
  std::snprintf(retries, sizeof retries, "'\\x%02x'", h.retries & 0xff);
  text += retries;
  text += "}";
  return text;
}

}  // namespace mybuild::builder
