-- wrk script for bench:accept: POSTs the sale in RECEIPT_BODY with a fresh Idempotency-Key per
-- request (KEY_PREFIX-thread-counter, so no request is an idempotent replay) and ends with one
-- JSON line of wrk's own counts and latency percentiles (microseconds).
local prefix = os.getenv("KEY_PREFIX") or tostring(os.time())
local threads = 0
local counter = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", prefix .. "-" .. threads)
end

function init(args)
  wrk.method = "POST"
  wrk.body = os.getenv("RECEIPT_BODY")
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("POS_TOKEN")
end

function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = tid .. "-" .. counter
  return wrk.format()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
