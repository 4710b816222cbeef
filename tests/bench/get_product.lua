-- wrk: GET /api/products/{id} over ids bench-0 .. bench-(N-1), created beforehand.
local n = tonumber(os.getenv("PRODUCTS") or "1000")
local counter = 0
request = function()
    counter = counter + 1
    if wrk.path == "/health" then return wrk.format("GET", "/health") end
    return wrk.format("GET", "/api/products/bench-" .. (counter % n))
end
done = function(summary, latency, requests)
    local non2xx = summary.errors.status
    io.write(string.format("WRK_RESULT requests=%d duration_us=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d\n",
        summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, non2xx))
end
