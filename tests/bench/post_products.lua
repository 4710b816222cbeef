-- wrk script: create distinct products, one POST /api/products per request.
--
--   wrk -t2 -c64 -d10s -s tests/bench/post_products.lua http://127.0.0.1:9080
--
-- Every request carries its own body {"name":"Widget <n>","price":<n>.5,"sku":"ABC-123"}, where
-- n is unique across threads and requests (thread number * 10^9 + per-thread counter), so each
-- one creates a new entity. Responses are counted per status class on every thread; done()
-- prints one machine-readable line (times in microseconds):
--
--   WRK_RESULT requests=... duration_us=... rps=... p50_us=... p90_us=... p99_us=... max_us=...
--              sent=... unanswered=... status_202=... status_2xx=... non_2xx=... status_errors=...
--              connect_errors=... read_errors=... write_errors=... timeouts=...
--              positions=... duplicate_positions=... min_position=... max_position=...
--
-- status_errors is wrk's own summary.errors.status (responses with status > 399);
-- non_2xx counts every response outside 200..299 as seen by response(). unanswered = requests
-- written but not answered when wrk stopped (at most one per connection: they may still be
-- committed after the cut-off). positions/duplicate_positions: the distinct X-Event-Position
-- values of the 202s and how many 202s repeated a position another 202 already had (must be 0:
-- a repeat would mean two accepted commands share one event).

local threads = {}
local next_thread = 1

function setup(thread)
   thread:set("thread_no", next_thread)
   next_thread = next_thread + 1
   table.insert(threads, thread)
end

local counter = 0
local base = 0
local headers = { ["Content-Type"] = "application/json" }

function init(args)
   base = thread_no * 1000000000
   -- wrk calls request() once on the first thread's state to check the script before it starts
   -- (script_verify_request); that request is never sent.
   sent = thread_no == 1 and -1 or 0
   status_202 = 0
   status_2xx = 0
   non_2xx = 0
   positions = {}
end

function request()
   counter = counter + 1
   sent = sent + 1
   local n = base + counter
   local body = string.format('{"name":"Widget %d","price":%d.5,"sku":"ABC-123"}', n, n)
   return wrk.format("POST", "/api/products", headers, body)
end

function response(status, headers, body)
   if status == 202 then
      status_202 = status_202 + 1
      local p = tonumber(headers["x-event-position"] or headers["X-Event-Position"] or "")
      if p then
         positions[p] = (positions[p] or 0) + 1
      end
   end
   if status >= 200 and status < 300 then
      status_2xx = status_2xx + 1
   else
      non_2xx = non_2xx + 1
   end
end

function done(summary, latency, requests)
   local s202, s2xx, bad, sent_total = 0, 0, 0, 0
   local seen, distinct, dups, minp, maxp = {}, 0, 0, 0, 0
   for _, thread in ipairs(threads) do
      sent_total = sent_total + (thread:get("sent") or 0)
      s202 = s202 + (thread:get("status_202") or 0)
      s2xx = s2xx + (thread:get("status_2xx") or 0)
      bad = bad + (thread:get("non_2xx") or 0)
      for p, count in pairs(thread:get("positions") or {}) do
         if seen[p] then
            dups = dups + count
         else
            seen[p] = true
            distinct = distinct + 1
            dups = dups + count - 1
            if minp == 0 or p < minp then minp = p end
            if p > maxp then maxp = p end
         end
      end
   end
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d"
      .. " sent=%d unanswered=%d status_202=%d status_2xx=%d non_2xx=%d status_errors=%d"
      .. " connect_errors=%d read_errors=%d write_errors=%d timeouts=%d"
      .. " positions=%d duplicate_positions=%d min_position=%d max_position=%d\n",
      summary.requests, summary.duration, summary.requests / seconds,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      sent_total, sent_total - s2xx - bad, s202, s2xx, bad, e.status,
      e.connect, e.read, e.write, e.timeout, distinct, dups, minp, maxp))
end
